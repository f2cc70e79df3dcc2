"""One check's line on the running screen: status (icon and word), time, and title."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import Static

from precheck.result import N_
from precheck.tui.text import Words
from precheck.tui.widgets.status import ICONS, RUNNING, WAITING, pad, spinner

if TYPE_CHECKING:
    from precheck.runner import CheckMeta

STATES = ("waiting", "running", "pass", "warn", "fail", "skip", "error")
SECONDS = N_("{seconds} s")


def word_width(words: Words) -> int:
    """The widest status word in this language, so the titles line up."""
    from precheck.reports.render import STATUS_WORDS

    return max(cell_len(w) for w in (words(WAITING), words(RUNNING),
                                     *(words.core(m) for m in STATUS_WORDS.values())))


class CheckRow(Static):
    """A check as it runs: waiting, running (with the time so far), then its result."""

    def __init__(self, meta: CheckMeta) -> None:
        super().__init__(classes="check-row -waiting")
        self.meta = meta
        self.title = ""  # translated; set whenever the language changes
        self.state = "waiting"
        self.started: float | None = None
        self.duration: float | None = None

    def start(self, now: float) -> None:
        self.state, self.started = "running", now
        self._mark()

    def finish(self, status: str, now: float, measured: float) -> None:
        """The result came at ``now``; ``measured`` is the runner's own time for it, used when
        the start was never seen (a check that was not applicable is never started)."""
        self.state = status if status in STATES else "error"
        self.duration = now - self.started if self.started is not None else measured
        self._mark()

    def _mark(self) -> None:
        for state in STATES:
            self.set_class(state == self.state, f"-{state}")

    def show(self, words: Words, now: float) -> None:
        """Draw the line as of ``now`` (the app's clock)."""
        from precheck.reports.render import STATUS_WORDS

        meta = self.meta
        self.title = words.translator.render(meta.title, meta.domain, meta.locale_dir)
        if self.state == "waiting":
            icon, word, took = ICONS["waiting"], words(WAITING), ""
        elif self.state == "running":
            elapsed = max(0.0, now - (self.started or now))
            icon, word = spinner(elapsed), words(RUNNING)
            took = words(SECONDS, seconds=f"{elapsed:.1f}")
        else:
            icon, word = ICONS[self.state], words.core(STATUS_WORDS[self.state])
            took = words(SECONDS, seconds=f"{self.duration or 0.0:.1f}")
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f"{icon} {pad(word, word_width(words))} ", style="bold")
        text.append(f"{pad(took, 6)} ")
        text.append(self.title)
        self.update(text)

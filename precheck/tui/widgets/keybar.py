"""The line of keys at the bottom of each screen, in the chosen language; each key is clickable."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from precheck.tui.text import Words


@dataclass(frozen=True, slots=True)
class Key:
    """A key, what it does (a message id) and the action it runs (``app.help``, ``screen.x``)."""

    key: str
    label: str
    action: str
    optional: bool = False  # left out where the bar has no room for it


class KeyHint(Static):
    """One key and its word; a click runs its action, as pressing the key would."""

    def __init__(self, hint: Key) -> None:
        super().__init__(classes="key-hint")
        self.hint = hint

    def show(self, words: Words) -> None:
        text = Text()
        text.append(f" {self.hint.key} ", style="reverse")
        text.append(f" {words(self.hint.label)}")
        self.update(text)

    async def on_click(self) -> None:
        await self.run_action(self.hint.action)


class KeyBar(Horizontal):
    """The screen's keys, shown as ``[F1] ヘルプ``: never colour alone, and readable by mouse."""

    def __init__(self, keys: tuple[Key, ...], *, id: str | None = None) -> None:  # noqa: A002 - Textual's own name
        super().__init__(id=id, classes="key-bar")
        self.keys = keys
        self.applies: Callable[[Key], bool] = lambda _key: True

    def compose(self) -> ComposeResult:
        for hint in self.keys:
            yield KeyHint(hint)

    def show(self, words: Words) -> None:
        for hint in self.query(KeyHint):
            hint.show(words)

    def offer(self, applies: Callable[[Key], bool]) -> None:
        """Show only the keys that work now (the others would do nothing, or only explain); an
        optional key only when every key shown still fits the bar."""
        self.applies = applies
        hints = list(self.query(KeyHint))
        for hint in hints:
            hint.display = applies(hint.hint)
        width = sum(cell_len(str(h.render())) + 1 for h in hints if h.display)
        room = self.app.size.width  # the bar spans the terminal (its own size lags a resize)
        for hint in hints:
            if hint.display and hint.hint.optional and width > room:
                hint.display = False
                width -= cell_len(str(hint.render())) + 1

    def on_resize(self) -> None:
        self.offer(self.applies)

"""The question after the test tone: 聞こえましたか？ (yes or no)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from precheck.reports.render.wrap import Prose
from precheck.result import N_
from precheck.tui.screens import AppModal, relabel
from precheck.tui.text import Words

QUESTION = N_("Did you hear the tone?")
EXPLAIN = N_("Answer honestly: if you heard nothing, the results will say how to fix it.")
YES = N_("Yes")
NO = N_("No")
AGAIN = N_("Play again")
#: What the question returns when the job seeker wants to hear the tone once more.
PLAY_AGAIN = "again"


class SpeakerQuestion(AppModal[bool | str | None]):
    """Asks whether the tone was heard; dismisses with True, False, None (Esc: no answer) or
    :data:`PLAY_AGAIN` (A: play it once more before answering)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", show=False),
        Binding("n", "answer(False)", show=False),
        Binding("a", "again", show=False),
        Binding("escape", "answer(None)", show=False),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Static(id="question", classes="dialog-title")
            yield Static(id="explain")
            with Horizontal(classes="actions"):
                yield Button(id="yes", variant="success")
                yield Button(id="no", variant="error")
                yield Button(id="again")

    def on_mount(self) -> None:
        self.query_one("#yes", Button).focus()

    def translate(self, words: Words) -> None:
        self.query_one("#question", Static).update(words(QUESTION))
        self.query_one("#explain", Static).update(Prose(words(EXPLAIN)))
        relabel(self.query_one("#yes", Button), f"{words(YES)} (Y)")
        relabel(self.query_one("#no", Button), f"{words(NO)} (N)")
        relabel(self.query_one("#again", Button), f"{words(AGAIN)} (A)")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "again":
            self.action_again()
        else:
            self.dismiss(event.button.id == "yes")

    def action_again(self) -> None:
        self.dismiss(PLAY_AGAIN)

    def action_answer(self, heard: bool | None) -> None:
        self.dismiss(heard)

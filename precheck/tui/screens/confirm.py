"""A yes-or-no question before something that cannot be undone from the screen it leaves."""

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

YES = N_("Yes")
NO = N_("No")


class Confirm(AppModal[bool]):
    """Asks ``question`` (with ``explain`` below it); dismisses with True for yes. No is focused:
    Enter or Esc keeps the job seeker where they are."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", show=False),
        Binding("n,escape", "answer(False)", show=False),
    ]

    def __init__(self, question: str, explain: str) -> None:
        super().__init__()
        self.question = question
        self.explain = explain

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Static(id="question", classes="dialog-title")
            yield Static(id="explain")
            with Horizontal(classes="actions"):
                yield Button(id="yes", variant="error")
                yield Button(id="no", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def translate(self, words: Words) -> None:
        self.query_one("#question", Static).update(Prose(words(self.question)))
        self.query_one("#explain", Static).update(Prose(words(self.explain)))
        relabel(self.query_one("#yes", Button), f"{words(YES)} (Y)")
        relabel(self.query_one("#no", Button), f"{words(NO)} (N)")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

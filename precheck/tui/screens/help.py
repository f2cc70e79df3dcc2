"""The keys, on every screen: F1 or ?."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Static

from precheck.reports.render.wrap import Prose
from precheck.result import N_
from precheck.tui.screens import AppModal, relabel
from precheck.tui.text import Words

TITLE = N_("Help: keys")
KEYS = (
    ("F1, ?", N_("Show this help")),
    ("F2, L", N_("Switch between Japanese and English")),
    ("Tab, Shift+Tab", N_("Move to the next or previous item")),
    ("↑ ↓", N_("Move in a list; scroll")),
    ("Enter, Space", N_("Press the selected button; open the selected result")),
    ("Esc", N_("Go back; cancel the check; close a window like this one")),
    ("Y, N", N_("Answer yes or no when asked whether you heard the tone")),
    ("R", N_("Results: check everything again")),
    ("F", N_("Results: check again only the items that failed")),
    ("S", N_("Results: save the signed report")),
    ("D", N_("Results: save a diagnostic file for Hello Work staff")),
    ("B", N_("Results: book a consultation (when the booking service is set up)")),
    ("C", N_("Results: check in on the day of the consultation")),
    ("Ctrl+Q", N_("Quit (the camera and microphone are released first)")),
)
MOUSE = N_("You can also click buttons, keys at the bottom of the screen and results with the "
           "mouse.")
CLOSE = N_("Close")


class HelpScreen(AppModal[None]):
    """Lists every key and what it does."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", show=False),
        Binding("f1", "close", show=False),
        Binding("question_mark", "close", show=False),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog wide"):
            yield Static(id="help-title", classes="dialog-title")
            with VerticalScroll(id="help-body"):
                yield Static(id="help-keys")
                yield Static(id="help-mouse")
            with Horizontal(classes="actions"):
                yield Button(id="close", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#close", Button).focus()

    def translate(self, words: Words) -> None:
        self.query_one("#help-title", Static).update(words(TITLE))
        table = Table.grid(padding=(0, 2))
        table.add_column(no_wrap=True, style="bold")
        table.add_column(overflow="fold")
        for key, what in KEYS:
            table.add_row(key, Prose(words(what)))
        self.query_one("#help-keys", Static).update(table)
        self.query_one("#help-mouse", Static).update(Prose(words(MOUSE)))
        relabel(self.query_one("#close", Button), words(CLOSE))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)

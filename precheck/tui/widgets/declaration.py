"""A declaration on the results screen: a statement the job seeker promises (nobody can measure
it), whether it is confirmed, and the box to confirm it."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.console import Group
from rich.padding import Padding
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Checkbox, Static

from precheck.reports.render.wrap import Prose
from precheck.result import N_
from precheck.tui.screens import relabel
from precheck.tui.widgets.tick_box import TickBox

if TYPE_CHECKING:
    from textual.app import ComposeResult

    from precheck import declarations
    from precheck.tui.text import Words

CONFIRM = N_("I promise this")
CONFIRMED = N_("Confirmed")
NOT_CONFIRMED = N_("Not confirmed yet")


class DeclarationItem(Vertical):
    """A statement the job seeker promises, and the box to confirm it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "app.focus_next", show=False),
        Binding("up", "app.focus_previous", show=False),
    ]

    def __init__(self, declaration: declarations.Declaration, confirmed: bool) -> None:
        super().__init__(classes="declaration")
        self.declaration = declaration
        self.confirmed = confirmed

    def compose(self) -> ComposeResult:
        yield Static(classes="declaration-text")
        yield TickBox(value=self.confirmed, id=f"confirm-{self.declaration.id.split('.')[-1]}")

    def show(self, words: Words, status: str) -> None:
        from precheck.tui.widgets.status import ICONS

        confirmed = status == "pass"
        head = Text(f"{ICONS['pass' if confirmed else 'fail']} "
                    f"{words(CONFIRMED if confirmed else NOT_CONFIRMED)}  "
                    f"{words(self.declaration.title)}", style="bold")
        self.query_one(Static).update(
            Group(head, Padding(Prose(words(self.declaration.statement)), (0, 0, 0, 2))))
        relabel(self.query_one(Checkbox), words(CONFIRM))
        for state in ("pass", "fail"):
            self.set_class(status == state, f"-{state}")

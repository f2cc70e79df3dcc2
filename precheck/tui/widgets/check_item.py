"""One check on the results screen: its status, title and summary, and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.console import Group
from rich.padding import Padding
from rich.table import Table
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Static

from precheck.reports.render.wrap import Prose
from precheck.tui.widgets.status import ICONS

if TYPE_CHECKING:
    from rich.console import RenderableType

    from precheck.reports.render import CheckView
    from precheck.tui.text import Words


class CheckItem(Static, can_focus=True):
    """A check's result as the report says it; Enter or a click opens its evidence."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select", show=False),
        # ↑↓ move from item to item (the list scrolls with the focus), as Tab does.
        Binding("down", "app.focus_next", show=False),
        Binding("up", "app.focus_previous", show=False),
    ]

    @dataclass
    class Selected(Message):
        """The job seeker asked for the details of a check."""

        check_id: str

    def __init__(self, view: CheckView) -> None:
        super().__init__(classes="check-item")
        self.view = view

    def show(self, view: CheckView, words: Words) -> None:
        from precheck.reports.render import BLOCKS_BOOKING, HOW_TO_FIX, STATUS_WORDS

        self.view = view
        for status in ICONS:
            self.set_class(status == view.status, f"-{status}")
        self.set_class(view.blocks, "-blocks")
        head = Text()
        word = words.core(STATUS_WORDS.get(view.status, STATUS_WORDS["error"]))
        head.append(f"{ICONS.get(view.status, '?')} {word}", style="bold")
        head.append(f"  {view.title}", style="bold")
        if view.blocks:
            head.append(f"  [{words.core(BLOCKS_BOOKING)}]", style="bold reverse")
        parts: list[RenderableType] = [head, Padding(Prose(view.summary), (0, 0, 0, 2))]
        if view.fix:
            parts.append(Padding(Text(words.core(HOW_TO_FIX), style="italic"), (0, 0, 0, 2)))
            parts.append(Padding(numbered(view.fix), (0, 0, 0, 2)))
        self.update(Group(*parts))

    def action_select(self) -> None:
        self.post_message(self.Selected(self.view.id))

    def on_click(self) -> None:
        self.focus()
        self.action_select()


def numbered(steps: tuple[str, ...]) -> Table:
    """``1. step`` lines whose wrapped text stays indented under the step, not under the number."""
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")  # Japanese has no spaces to break at
    for number, step in enumerate(steps, 1):
        table.add_row(f"{number}.", Prose(step))
    return table

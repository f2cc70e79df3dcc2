"""A check box that looks like one: [ ] before it is ticked, [✔] after (Textual's own shows
an "X" either way and tells them apart by colour only)."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Checkbox


class TickBox(Checkbox):
    """A Checkbox drawn as ``[ ]`` / ``[✔]`` (the tick is a one-cell character, as the status
    icons are)."""

    @property
    def _button(self) -> Content:
        mark = "✔" if self.value else " "
        style = self.get_visual_style("toggle--button") if self.value else None
        if style is None:
            return Content(f"[{mark}]")
        return Content.assemble("[", (mark, style), "]")

"""The live microphone level: a bar and the number, so it reads without colour."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

#: The bar spans -60 dBFS (a quiet room) to 0 dBFS (the loudest a microphone can give).
FLOOR_DBFS = -60.0


class LevelMeter(Widget):
    """``label ██████░░░░ -23 dB``; a note instead of the bar when there is no level."""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's own name
        super().__init__(id=id)
        self.label = ""
        self.level: float | None = None
        self.note = ""

    def show(self, label: str, level: float | None, note: str = "") -> None:
        self.label, self.level, self.note = label, level, note
        self.refresh()

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f"{self.label} ", style="bold")
        if self.level is None:
            text.append(self.note)
            return text
        width = max(4, self.size.width - text.cell_len - 8)
        filled = round(width * fraction(self.level))
        text.append("█" * filled, style="green")
        text.append("░" * (width - filled), style="dim")
        text.append(f" {self.level:4.0f} dB")
        return text


def fraction(dbfs: float) -> float:
    """Where ``dbfs`` sits on the bar, from 0 (at or below the floor) to 1 (full scale)."""
    return min(1.0, max(0.0, (dbfs - FLOOR_DBFS) / -FLOOR_DBFS))

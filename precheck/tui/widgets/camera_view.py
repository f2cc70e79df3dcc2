"""The live camera preview, drawn with Unicode half blocks: two grey pixels per character cell."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.color import Color
from rich.style import Style
from rich.text import Text
from textual.widget import Widget

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray
    from rich.console import RenderableType

UPPER_HALF = "▀"


class CameraView(Widget):
    """Shows the newest preview frame (grey, any size) scaled into the widget, or a note."""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's own name
        super().__init__(id=id)
        self._frame: NDArray[np.uint8] | None = None
        self._note = ""

    def show_frame(self, frame: NDArray[np.uint8] | None, note: str = "") -> None:
        """A new frame (None: show ``note`` instead)."""
        self._frame, self._note = frame, note
        self.refresh()

    def render(self) -> RenderableType:
        frame = self._frame
        width, height = self.size.width, self.size.height
        if frame is None or width < 1 or height < 1:
            return Text(self._note, justify="center")
        return half_blocks(frame, width, height)


def half_blocks(frame: NDArray[np.uint8], width: int, height: int) -> Text:
    """``frame`` fitted into ``width`` x ``height`` cells, keeping its shape, as half blocks."""
    import numpy as np

    rows, cols = frame.shape[:2]
    # A cell is about twice as tall as wide and holds two pixels one above the other, so a
    # pixel is square: fit cols x rows pixels into width x (2 * height).
    scale = min(width / cols, 2 * height / rows)
    out_w, out_h = max(1, int(cols * scale)), max(2, int(rows * scale) // 2 * 2)
    ys = np.linspace(0, rows - 1, out_h).astype(int)
    xs = np.linspace(0, cols - 1, out_w).astype(int)
    small = frame[np.ix_(ys, xs)]
    left = (width - out_w) // 2
    text = Text(no_wrap=True)
    styles: dict[tuple[int, int], Style] = {}
    for r in range(0, out_h, 2):
        text.append(" " * left)
        for top, bottom in zip(small[r], small[r + 1], strict=True):
            key = (int(top) >> 2, int(bottom) >> 2)  # 64 grey levels: plenty, and fewer styles
            style = styles.get(key)
            if style is None:
                t, b = key[0] << 2, key[1] << 2
                style = styles[key] = Style(color=Color.from_rgb(t, t, t),
                                            bgcolor=Color.from_rgb(b, b, b))
            text.append(UPPER_HALF, style)
        if r + 2 < out_h:
            text.append("\n")
    return text

"""Line breaking for Japanese and English text in a terminal: the report and the app alike.

Rich and Textual break lines only at spaces. Japanese has none, so a long sentence was either cut
or broken at the one space it held (``Windows では``), leaving half a line empty, while a Latin word
such as ``precheck`` was split in two. Here a line may break between any two Japanese characters,
at spaces, and between Japanese and Latin text, never inside a Latin word (unless it is longer
than a line), and never before closing punctuation or after an opening bracket (kinsoku shori, in
its simple form). Widths are terminal cells: a Japanese character takes two.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.measure import Measurement
from rich.text import Text

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderResult
    from rich.style import StyleType

#: May not start a line: closing brackets and punctuation, small kana, the long-vowel mark.
NO_START = frozenset("、。，．・：；？！ー）」』】〕〉》］｝”’…"
                     "ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ々"
                     ")]},.:;!?%")
#: May not end a line: opening brackets.
NO_END = frozenset("（「『【〔〈《［｛“‘([{")


def is_wide(char: str) -> bool:
    """True for characters a line may break around (Japanese letters and punctuation)."""
    return cell_len(char) == 2


def atoms(text: str) -> list[str]:
    """``text`` cut into the pieces a line may break between."""
    pieces: list[str] = []
    for char in text:
        previous = pieces[-1] if pieces else ""
        glue = bool(previous) and (
            char in NO_START
            or previous[-1] in NO_END
            or (not is_wide(char) and not char.isspace() and not previous[-1].isspace()
                and not is_wide(previous[-1]))
            or (char.isspace() and previous[-1].isspace()))
        if glue:
            pieces[-1] = previous + char
        else:
            pieces.append(char)
    return pieces


def wrap(text: str, width: int) -> list[str]:
    """The lines of ``text`` at most ``width`` cells wide (its own newlines kept)."""
    width = max(1, width)
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines.extend(_wrap_paragraph(paragraph, width))
    return lines


def _wrap_paragraph(paragraph: str, width: int) -> Iterator[str]:
    line = ""
    for piece in atoms(paragraph):
        atom = piece
        if atom.isspace():
            if line:
                line += atom
            continue
        if cell_len(line + atom) <= width:
            line = line + atom
            continue
        if line.strip():
            yield line.rstrip()
        line = ""
        while cell_len(atom) > width:  # a piece longer than a line: fold it by characters
            cut = _fit(atom, width)
            yield atom[:cut]
            atom = atom[cut:]
        line = atom
    if line.strip() or not paragraph:
        yield line.rstrip()


def _fit(text: str, width: int) -> int:
    """How many leading characters of ``text`` fit in ``width`` cells (at least one)."""
    used = 0
    for index, char in enumerate(text):
        used += cell_len(char)
        if used > width:
            return max(1, index)
    return len(text)


class Prose:
    """Text that wraps as :func:`wrap` does, as a Rich renderable (inside tables, padding...)."""

    def __init__(self, text: str, style: StyleType = "") -> None:
        self.text = text
        self.style = style

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for line in wrap(self.text, options.max_width):
            yield Text(line, style=self.style, end="\n", no_wrap=True)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        longest = max((cell_len(line) for line in self.text.split("\n")), default=0)
        widest_atom = max((cell_len(a) for a in atoms(self.text) if not a.isspace()), default=0)
        return Measurement(min(widest_atom, options.max_width), min(longest, options.max_width))

"""Line breaking for Japanese: between characters, never inside a Latin word, kinsoku kept."""

from __future__ import annotations

import io

import pytest
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table

from precheck.tui.wrap import NO_END, NO_START, Prose, wrap

# A fix step as the core catalog says it: Japanese with Latin words and brackets.
CAMERA_FIX = ("カメラの使用を許可してください。Windows では「設定」>「プライバシーとセキュリティ」>"
              "「カメラ」で「カメラへのアクセス」をオンにします。macOS では、precheck を起動した"
              "アプリ（「ターミナル」など）をオンにし、そのアプリを起動し直します。")


@pytest.mark.parametrize("width", [10, 23, 40, 57, 76])
def test_japanese_fills_each_line_and_keeps_every_character(width: int) -> None:
    lines = wrap(CAMERA_FIX, width)
    assert "".join(lines).replace(" ", "") == CAMERA_FIX.replace(" ", "")
    assert all(cell_len(line) <= width for line in lines)
    # no line but the last ends more than a few cells short: Japanese breaks between characters
    assert all(cell_len(line) >= width - 10 for line in lines[:-1])


@pytest.mark.parametrize("width", [12, 23, 40, 57])
def test_no_line_starts_with_closing_punctuation_or_ends_with_an_opening_bracket(
        width: int) -> None:
    for line in wrap(CAMERA_FIX, width):
        assert line[0] not in NO_START, line
        assert line[-1] not in NO_END, line


@pytest.mark.parametrize("width", [15, 23, 40])
def test_latin_words_are_never_split(width: int) -> None:
    lines = wrap(CAMERA_FIX, width)
    for word in ("Windows", "macOS", "precheck"):
        assert sum(word in line for line in lines) == 1, (word, lines)


def test_english_breaks_at_spaces_only() -> None:
    text = "Allow camera access: on Windows, Settings > Privacy & security > Camera"
    assert wrap(text, 30) == ["Allow camera access: on", "Windows, Settings > Privacy &",
                              "security > Camera"]


def test_newlines_are_kept_and_a_word_longer_than_a_line_is_folded() -> None:
    assert wrap("a\n\nb", 10) == ["a", "", "b"]
    assert wrap("abcdefghijkl", 5) == ["abcde", "fghij", "kl"]
    assert wrap("あいうえお", 4) == ["あい", "うえ", "お"]


def test_prose_wraps_inside_a_table_cell() -> None:
    table = Table.grid()
    table.add_column(no_wrap=True)
    table.add_column()
    table.add_row("1.", Prose(CAMERA_FIX))
    console = Console(width=40, file=io.StringIO(), color_system=None)
    with console.capture() as captured:
        console.print(table)
    lines = captured.get().splitlines()
    assert len(lines) > 3
    assert all(cell_len(line) <= 40 for line in lines)
    assert "".join(line[2:].strip() for line in lines).replace(" ", "") == CAMERA_FIX.replace(
        " ", "")

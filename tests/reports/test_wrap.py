"""Line breaking for Japanese: between characters, never inside a Latin word, kinsoku kept.

One breaker serves the terminal report and the app; the last tests hold them to the same lines.
"""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table

from precheck.reports.render.terminal import render_terminal
from precheck.reports.render.wrap import NO_END, NO_START, Prose, atoms, wrap
from precheck.tui.widgets.check_item import numbered

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


FOLD_SAMPLES = [
    "お使いのディストリビューションのサポート中のリリースにアップグレードしてください（Ubuntu と"
    " Linux Mint：アップデートマネージャーに表示されます。Debian：リリースノートのアップグレードの"
    "章に従ってください。Fedora：「sudo dnf system-upgrade」）。",
    "サウンドの設定（Windows:「設定」>「システム」>「サウンド」、macOS:「システム設定」>「サウンド」）"
    "を開き、入力にヘッドセットかマイクを選んでください。",
    "Web カメラをつないで、もう一度確認してください。",
]


@pytest.mark.parametrize("text", FOLD_SAMPLES)
@pytest.mark.parametrize("width", [20, 33, 40, 76])
def test_japanese_is_folded_between_characters_not_pushed_down(text: str, width: int) -> None:
    lines = wrap(text, width)
    assert all(cell_len(line) <= width for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")  # nothing lost
    assert all(not line.startswith(("、", "。", "）", "」")) for line in lines[1:])
    assert all(not line.endswith(("（", "「")) for line in lines[:-1])
    for word in ("Debian", "Ubuntu", "Fedora", "Windows", "macOS"):
        if word in text and width >= 20:
            assert any(word in line for line in lines), f"{word} was split at width {width}"
    # The first line is used: a short Latin word does not push the sentence to the next line.
    assert cell_len(lines[0]) >= width // 2 or len(lines) == 1


# Sentences the terminal report once broke badly: "Windows Defende|r Firewall" at 10 cells, and a
# line starting with "）。" at 18 (the character before the bracket must move down with it).
DEFENDER = ("「Windows Defender Firewall」サービスが動いているか確認してから、もう一度チェックして"
            "ください（スタート > 「services.msc」と入力 > Windows Defender Firewall > 開始）。")
HEADSET = ("ヘッドセットかマイクをつないでください（多くのノートパソコンにはマイクが内蔵されて"
           "います）。")
SAMPLES = [DEFENDER, HEADSET, CAMERA_FIX, *FOLD_SAMPLES]


def report_fixed_by(step: str) -> dict[str, Any]:
    """A report of one failed check whose fix is ``step``, in Japanese."""
    return {"verdict": "fail", "created": "2026-11-23T01:02:03Z", "policy": {"version": "1"},
            "checks": [{"id": "test.wrap", "status": "fail", "required": True, "article": "5(2)",
                        "title": {"text": {"ja": "折り返し"}}, "summary": {"text": {"ja": "要約"}},
                        "fix": [{"text": {"ja": step}}]}]}


def step_lines(renderable: object, width: int) -> list[str]:
    """The lines of the first numbered step in ``renderable``, number and indent taken off."""
    console = Console(width=width, file=io.StringIO(), color_system=None)
    with console.capture() as captured:
        console.print(renderable)
    lines: list[str] = []
    for line in captured.get().splitlines():
        numbered_line = re.match(r"\s*1\.\s+(.*)", line)
        if numbered_line:
            lines = [numbered_line[1].rstrip()]
        elif lines and line.strip() and not re.match(r"\s*\d+\.", line):
            lines.append(line.strip())
        elif lines:
            break
    return lines


@pytest.mark.parametrize("text", SAMPLES)
@pytest.mark.parametrize("width", [10, 18, 23, 33, 40, 57, 76])
def test_the_terminal_report_and_the_app_break_a_step_alike(text: str, width: int) -> None:
    # Both lay a step beside its number, "1." and a space; the report indents the list by four.
    in_app = step_lines(numbered((text,)), width + 3)
    in_terminal = step_lines(render_terminal(report_fixed_by(text), "ja"), width + 7)
    assert in_terminal == in_app == wrap(text, width)
    if all(cell_len(piece) <= width for piece in atoms(text)):  # else one is cut by characters
        assert not any(line.startswith(("、", "。", "）", "」")) for line in in_terminal)
    assert not any(line.endswith("Defende") for line in in_terminal)

"""A booking made in a real terminal, through the real gateway: tmux at 80x24, in Japanese.

Bare ``precheck`` runs every live check, and the required ones fail on a test machine, so it never
reaches 予約できます there. The terminal runs tests/tui/booking_app.py instead: the same app over
the one quick live check that passes here, with the real gateway client on the gateway the test
serves (create_app on SQLite, requiring only that check). The test presses the keys a person
would, reads the screen with ``tmux capture-pane``, and finds the booking in the gateway's
database.
"""

from __future__ import annotations

import re
import sqlite3
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.tui.conftest import RealGateway
from tests.tui.test_tmux import Terminal, fits, need_tmux

LAUNCHER = Path(__file__).with_name("booking_app.py")
#: A free time as the booking page lists it: 2026年12月7日（月） 10:00
SLOT = r"\d{4}年\d{1,2}月\d{1,2}日（.）\s*\d{1,2}:\d\d"

pytestmark = pytest.mark.slow


def test_a_booking_typed_in_a_terminal_reaches_the_gateways_database(
        gateway: RealGateway, tmp_path: Path) -> None:
    need_tmux()
    terminal = Terminal(tmp_path / "home")
    try:
        book(terminal, gateway, tmp_path)
    finally:
        terminal.close()


def book(terminal: Terminal, gateway: RealGateway, tmp_path: Path) -> None:
    terminal.run(sys.executable, str(LAUNCHER), gateway.url, str(tmp_path / "saved"))
    terminal.wait_for(lambda s: "チェックを始める" in s)
    terminal.press("Enter")
    terminal.wait_for(lambda s: "自己申告にチェックを入れると予約できます" in s, seconds=60)
    # the first declaration has the focus: tick it, move to the next, tick that
    terminal.press("Space")
    terminal.wait_for(lambda s: s.count("[✔]") == 1)
    terminal.press("Down", "Space")
    shown = terminal.wait_for(lambda s: "予約できます" in s and "予約できません" not in s)
    fits(shown)
    terminal.press("b")
    terminal.wait_for(lambda s: "窓口を選んでください" in s, seconds=15)
    terminal.press("Tab", "Enter")  # from the page to the office list: open it
    shown = terminal.wait_for(lambda s: "ワークプラザ天文館" in s, seconds=15)
    listed = [line for line in shown.splitlines() if line.startswith(" ▊  ")]
    # the list opens on its first line (no office yet) under the closed list's own line
    down = next(i for i, line in enumerate(listed) if "天文館" in line) - 1
    terminal.press(*["Down"] * down, "Enter")
    terminal.wait_for(lambda s: "ワークプラザ天文館" in s and "▼" in s)
    terminal.wait_for(lambda s: re.search(SLOT, s) is not None, seconds=15)
    settle()  # the list gives the focus back to itself once it has closed
    terminal.press("Tab", "Down")  # to the free times: the first one
    for text in ("山田 花子", "hanako@example.jp", "090-1234-5678"):  # name, e-mail, phone
        settle()
        terminal.press("Tab")
        settle()
        terminal.type(text)
        terminal.wait_for(showing(text))
    for key in ("Tab", "Tab", "Tab", "Enter"):  # past the optional 求職番号 and note: 予約する
        settle()
        terminal.press(key)
    shown = terminal.wait_for(lambda s: "受付番号" in s and "┗" in s, seconds=20)
    fits(shown)
    with sqlite3.connect(gateway.database) as database:
        booked = database.execute("SELECT reference, office_id, name, email, phone "
                                  "FROM bookings").fetchall()
    assert len(booked) == 1, booked
    reference, office, name, email, phone = booked[0]
    assert (office, name, email, phone) == (
        "tenmonkan", "山田 花子", "hanako@example.jp", "090-1234-5678")
    assert f"受付番号 {reference}" in shown  # in the box that says it was booked
    assert "予約を受け付けました" in shown
    # no English (an error, a button) and no check id or command line for the job seeker
    words = re.sub(r"hanako@example\.jp|\(Esc\)", "", shown.replace(reference, ""))
    assert re.search(r"\b[A-Za-z]{3,}\b", words) is None, shown
    for technical in ("software.", "precheck", "--"):
        assert technical not in shown
    terminal.press("C-q")
    terminal.wait_for(lambda s: "EXIT:0" in s, seconds=15)


def showing(text: str) -> Callable[[str], bool]:
    """Whether a screen shows ``text``."""
    return lambda shown: text in shown


def settle() -> None:
    """A moment for the app to move the focus: keys typed faster than that can land before."""
    time.sleep(0.3)

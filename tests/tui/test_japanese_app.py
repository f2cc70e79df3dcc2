"""Textual's own English never reaches a Japanese job seeker: no command palette, Ctrl+C
answered in the app's language."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tui.conftest import WINDOWS, Clock, app_for, replayed
from tests.tui.test_flow import SIZE


@pytest.mark.asyncio
async def test_ctrl_c_says_how_to_quit_in_japanese_and_ctrl_p_opens_nothing(
        clock: Clock, tmp_path: Path) -> None:
    app = app_for(replayed(WINDOWS), clock, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+c")
        await pilot.pause()
        said = [(n.title, n.message) for n in app._notifications]
        assert said == [("終了しますか？", "終了するには Ctrl+Q を押してください。")]
        screen = app.screen
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert app.screen is screen  # no (English) command palette
        assert app.is_running  # and Ctrl+C did not quit


def test_evidence_in_words_and_the_raw_rest_for_the_staff() -> None:
    from precheck.tui.evidence import split
    from precheck.tui.text import Words

    shown = split({"duration_s": 3.2, "udp": None, "proxy": "none", "medium": "wired",
                   "captive_portal": False, "products": ["Zoom", "Teams"],
                   "error": "<urlopen error [Errno -2] Name or service not known>",
                   "probe": "sounddevice:record:3s", "observed": {"a": 1}}, Words("ja"))
    rows = dict(shown.rows)
    assert rows == {"かかった時間": "3.2 秒", "接続のしかた": "ケーブル（有線 LAN）",
                    "公衆 Wi-Fi のログイン画面": "いいえ", "見つかったプログラム": "Zoom、Teams"}
    staff = dict(shown.staff)
    assert staff["probe"] == "sounddevice:record:3s"  # kept, unchanged, for the staff
    assert "Errno" in staff["error"]
    assert staff["udp"] == "null"
    assert staff["observed"] == '{"a": 1}'
    assert not any("Errno" in value or "_" in label for label, value in shown.rows)


@pytest.mark.asyncio
async def test_the_detail_screen_splits_the_evidence(clock: Clock, tmp_path: Path) -> None:
    from precheck.tui.screens.detail import CheckDetail
    from precheck.tui.screens.results import ResultsScreen
    from tests.tui.test_flow import run_to_results, text_of, wait_for

    app = app_for(replayed(WINDOWS), clock, tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        await run_to_results(pilot)
        assert isinstance(app.screen, ResultsScreen)
        await pilot.press("enter")  # the first blocking item: the camera
        await wait_for(pilot, lambda: isinstance(app.screen, CheckDetail))
        shown = text_of(app, "#detail-evidence")
        assert "わかったこと" in shown or "職員向けの詳細" in shown
        for raw in ("duration_s", "null", "true", "false"):
            if "職員向けの詳細" in shown:
                shown = shown.split("職員向けの詳細")[0]
            assert raw not in shown, shown

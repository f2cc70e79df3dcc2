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

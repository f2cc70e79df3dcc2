"""Keys and layout of the results screen: ↑↓ move the focus through the items, the key bar names
R S D (B C with a gateway), and every line fits from 60x20 to 200x60."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.cells import cell_len

from precheck.gateway_client import GatewayClient
from precheck.tui.screens.results import ResultsScreen
from precheck.tui.widgets.check_item import CheckItem
from tests.tui.conftest import WINDOWS, Clock, app_for, replayed
from tests.tui.test_flow import SIZE, run_to_results


@pytest.mark.asyncio
async def test_up_and_down_move_the_focus_through_the_items(clock: Clock,
                                                             tmp_path: Path) -> None:
    app = app_for(replayed(WINDOWS), clock, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await run_to_results(pilot)
        screen = app.screen
        assert isinstance(screen, ResultsScreen)
        first = app.focused
        assert isinstance(first, CheckItem)
        await pilot.press("down")
        second = app.focused
        assert second is not first
        assert second is not None
        await pilot.press("up")
        assert app.focused is first
        # Enter opens the item that has the focus, which the list keeps in sight
        for _ in range(3):
            await pilot.press("down")
        focused = app.focused
        assert focused is not None
        assert focused.region.height > 0  # on screen


@pytest.mark.asyncio
@pytest.mark.parametrize("gateway", [False, True])
async def test_the_key_bar_names_the_results_keys(clock: Clock, tmp_path: Path,
                                                  gateway: bool) -> None:
    options = {"gateway": GatewayClient("http://127.0.0.1:9")} if gateway else {}
    app = app_for(replayed(WINDOWS), clock, tmp_path, **options)
    async with app.run_test(size=SIZE) as pilot:
        await run_to_results(pilot)
        keys = [h.hint.key for h in app.screen.query("KeyHint")]  # type: ignore[attr-defined]
        assert keys == ["R", "S", "D", *(["B", "C"] if gateway else []), "F1", "Ctrl+Q"]
        bar = app.screen.query_one(".key-bar")
        for language in ("ja", "en"):
            await pilot.pause()
            assert app.language == language
            shown = sum(cell_len(str(h.render())) + 1 for h in app.screen.query("KeyHint"))
            assert shown <= bar.size.width, f"the key bar is cut at 80 columns ({language})"
            await pilot.press("f2")

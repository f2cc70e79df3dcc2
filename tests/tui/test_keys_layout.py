"""Keys and layout of the results screen: ↑↓ move the focus through the items, the key bar names
R S D (B C with a gateway, once they can work; Enter on a focused item), and every line fits from
60x20 to 200x60."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.cells import cell_len

from precheck.gateway_client import GatewayClient
from precheck.tui.screens.results import ResultsScreen
from precheck.tui.widgets.check_item import CheckItem
from tests.tui import gateway_stand
from tests.tui.conftest import WINDOWS, Clock, app_for, replayed
from tests.tui.gateway_stand import Stand
from tests.tui.test_flow import SIZE, run_to_results

stand = gateway_stand.stand


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
        assert keys == ["Enter", "R", "S", "D", *(["B", "C"] if gateway else []), "F1",
                        "Ctrl+Q"]
        bar = app.screen.query_one(".key-bar")
        for language in ("ja", "en"):
            await pilot.pause()
            assert app.language == language
            shown = sum(cell_len(str(h.render())) + 1 for h in app.screen.query("KeyHint")
                        if h.display)
            assert shown <= bar.size.width, f"the key bar is cut at 80 columns ({language})"
            await pilot.press("f2")


@pytest.mark.asyncio
async def test_the_key_bar_follows_the_focus_and_the_verdict(clock: Clock,
                                                              tmp_path: Path) -> None:
    from textual.widgets import Checkbox

    app = app_for(replayed(WINDOWS), clock, tmp_path,
                  gateway=GatewayClient("http://127.0.0.1:9"))
    async with app.run_test(size=SIZE) as pilot:
        await run_to_results(pilot)

        def offered() -> list[str]:
            return [h.hint.key for h in app.screen.query("KeyHint")  # type: ignore[attr-defined]
                    if h.display]

        assert isinstance(app.focused, CheckItem)
        assert offered() == ["Enter", "R", "S", "D", "F1", "Ctrl+Q"]  # failing: no B, no C
        app.screen.query(Checkbox).first().focus()
        await pilot.pause()
        assert offered() == ["R", "S", "D", "F1", "Ctrl+Q"]  # a declaration: Space ticks it


@pytest.mark.asyncio
async def test_a_bare_file_name_is_saved_in_the_proposed_folder_and_named_in_full(
        clock: Clock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from textual.widgets import Input

    from precheck.tui.screens.save import SaveScreen
    from tests.tui.test_flow import said, wait_for

    elsewhere = tmp_path / "started-here"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the folder the app was started in
    folder = tmp_path / "Documents"
    folder.mkdir()
    app = app_for(replayed(WINDOWS), clock, folder)
    async with app.run_test(size=SIZE) as pilot:
        await run_to_results(pilot)
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, SaveScreen))
        app.screen.query_one("#path", Input).value = "mine.json"
        await pilot.press("enter")
        await wait_for(pilot, lambda: bool(said(app)))
        assert (folder / "mine.json").is_file()
        assert not (elsewhere / "mine.json").exists()
        assert str((folder / "mine.json").resolve()) in said(app)


@pytest.mark.asyncio
async def test_book_is_disabled_until_a_pass_and_after_a_booking(
        stand: Stand, clock: Clock, tmp_path: Path) -> None:
    from textual.widgets import Button, Checkbox

    from tests.tui.conftest import LINUX_FINE
    from tests.tui.test_booking import book_the_slot, serve_booking
    from tests.tui.test_flow import said, wait_for

    serve_booking(stand, "confirmed")
    app = app_for(replayed(LINUX_FINE), clock, tmp_path, gateway=GatewayClient(stand.url))
    async with app.run_test(size=SIZE) as pilot:
        await run_to_results(pilot)
        book = app.screen.query_one("#book", Button)
        assert book.disabled  # the declarations are not ticked yet: not ready
        for box in app.screen.query(Checkbox):
            await pilot.click(f"#{box.id}")
        await pilot.pause()
        assert not book.disabled
        await book_the_slot(pilot, app)  # type: ignore[unreachable]  # mypy kept the narrowing
        await wait_for(pilot, lambda: app.screen.query_one("#submit", Button).disabled)
        assert app.screen.query_one("#book-status").has_class("-booked")
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen))
        assert app.screen.query_one("#book", Button).disabled
        await pilot.press("b")
        assert "予約済み" in said(app)
        assert isinstance(app.screen, ResultsScreen)

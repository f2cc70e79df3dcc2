"""Check-in on the day (当日の受付): the on-the-day checks look again right before the report is
sent, so the gateway gets what runs at check-in (software.running, Article 5(5))."""

from __future__ import annotations

from pathlib import Path

import pytest

from precheck.gateway_client import GatewayClient
from precheck.tui.screens.check_in import CheckInScreen
from precheck.tui.screens.results import ResultsScreen
from tests.tui.conftest import Clock, app_for, replayed
from tests.tui.gateway_stand import Stand
from tests.tui.test_booking import ready_to_book, sent, serve_office, stand
from tests.tui.test_flow import text_of, wait_for

__all__ = ["stand"]  # the gateway stand fixture, shared with test_booking


@pytest.mark.asyncio
async def test_check_in_runs_the_on_the_day_checks_again_and_sends_them(
        stand: Stand, clock: Clock, tmp_path: Path) -> None:
    serve_office(stand)
    stand.json("POST", "/api/v1/bookings/TK-7Q2M/check-in", 200, {
        "reference": "TK-7Q2M", "status": "confirmed", "checked_in_at": "2026-11-24T00:55:00Z"})
    # A real Windows process list with Zoom running, judged for a TeleOffice office
    # (tests/fixtures/bundles/SOURCES-running.md): an advisory warning, so booking is open.
    checkup = replayed(("running-windows10-zoom-office-teleoffice",))
    app = app_for(checkup, clock, tmp_path, gateway=GatewayClient(stand.url))
    async with app.run_test(size=(120, 50)) as pilot:  # the warning and both declarations
        await ready_to_book(pilot)
        runs_before = len(checkup._runs)
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, CheckInScreen))
        await wait_for(pilot, lambda: app.checkup.office is not None)
        await pilot.press(*"TK-7Q2M", "enter")
        await wait_for(pilot, lambda: "受付しました" in text_of(app, "#check-in-status"))
        assert len(checkup._runs) == runs_before + 1
        results = app.screen_stack[-2]
        assert isinstance(results, ResultsScreen)
        before = results.document
        await pilot.press("escape")  # back to the results, which show the new outcomes
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen))
        shown = app.screen
        assert isinstance(shown, ResultsScreen)
        assert shown.document is not before
        assert "Zoom" in shown.items["software.running"].view.summary
    report = sent(stand, "POST", "/api/v1/bookings/TK-7Q2M/check-in")["report"]
    assert isinstance(report, dict)
    running = next(c for c in report["checks"] if c["id"] == "software.running")
    assert running["status"] == "warn"
    assert "call: Zoom" in running["evidence"]["programs"]

"""The app against the real booking gateway (create_app on SQLite, served by uvicorn on this
machine): it lists the gateway's offices and free slots, books with its own fresh signed report
(the gate verifies it), and shows the gateway's refusal of an early check-in in Japanese."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Checkbox, Input, OptionList

from precheck import plugins
from precheck import policy as policies
from precheck.gateway_client import GatewayClient
from precheck.tui.checkup import Checkup
from precheck.tui.screens.book import BookScreen
from precheck.tui.screens.check_in import CheckInScreen
from tests.tui.booking_app import CHECK
from tests.tui.conftest import Clock, RealGateway, app_for
from tests.tui.test_flow import run_to_results, text_of, wait_for

SIZE = (80, 24)


@pytest.mark.asyncio
async def test_booking_and_an_early_check_in_against_the_real_gateway(
        gateway: RealGateway, clock: Clock, tmp_path: Path) -> None:
    checkup = Checkup(plugins.load().select([CHECK]), policies.builtin())
    app = app_for(checkup, clock, tmp_path, gateway=GatewayClient(gateway.url))
    async with app.run_test(size=SIZE) as pilot:
        await run_to_results(pilot)
        for box in app.screen.query(Checkbox):
            await pilot.click(f"#{box.id}")
        await pilot.pause()
        assert app.screen.document["verdict"] == "pass"  # type: ignore[attr-defined]
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, BookScreen))
        screen = app.screen
        assert isinstance(screen, BookScreen)
        await wait_for(pilot, lambda: len(screen.offices) > 1)
        office = next(o for o in screen.offices if o.id == "tenmonkan")
        assert office.source == "gateway"
        screen.query_one("#office").value = "tenmonkan"  # type: ignore[attr-defined]
        slots = screen.query_one("#slots", OptionList)
        await wait_for(pilot, lambda: bool(screen.slots), seconds=15)
        for field, value in (("name", "山田 花子"), ("email", "hanako@example.jp"),
                             ("phone", "090-1234-5678")):
            screen.query_one(f"#field-{field}", Input).value = value
        slots.highlighted = 0
        await pilot.click("#submit")
        await wait_for(pilot, lambda: screen.booking is not None or screen.problem is not None,
                       seconds=15)
        assert screen.problem is None, text_of(app, "#book-status")
        booking = screen.booking
        assert booking is not None
        assert booking.status == "pending_confirmation"  # Work Plaza Tenmonkan: confirm by email
        assert booking.reference in text_of(app, "#book-status")
        await pilot.press("escape")
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, CheckInScreen))
        dialog = app.screen
        assert isinstance(dialog, CheckInScreen)
        await wait_for(pilot, lambda: bool(dialog.offices))
        await pilot.press(*booking.reference, "enter")
        await wait_for(pilot, lambda: dialog.problem is not None or dialog.result is not None,
                       seconds=15)
        # days before the consultation, unconfirmed: the gateway refuses, in the app's language
        assert dialog.result is None
        assert dialog.problem is not None
        assert dialog.problem.kind == "rejected"
        shown = text_of(app, "#check-in-status")
        assert "受け付けませんでした" in shown
        assert dialog.problem.message is not None
        assert dialog.problem.message.ja.split("。")[0] in shown.replace("\n", "")

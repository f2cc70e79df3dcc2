"""Booking and checking in from the results screen, against a gateway on this machine.

The gateway is a stand-in HTTP server speaking the contract's JSON API (tests/tui/gateway_stand):
what the app sends is read back from it, the report is verified with the real signature code,
and the gateway's own refusals are shown to the job seeker in their language.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, OptionList

from precheck.gateway_client import GatewayClient
from precheck.reports.render import JAPAN
from precheck.tui.app import PrecheckApp
from precheck.tui.screens.book import BookScreen
from precheck.tui.screens.check_in import CheckInScreen
from precheck.tui.screens.results import ResultsScreen
from tests.tui import gateway_stand
from tests.tui.conftest import LINUX_FINE, WINDOWS, Clock, app_for, replayed
from tests.tui.gateway_stand import Stand
from tests.tui.test_flow import run_to_results, said, text_of, wait_for

stand = gateway_stand.stand

SIZE = (80, 24)
OFFICE = {"id": "tenmonkan", "name_ja": "ワークプラザ天文館", "name_en": "Work Plaza Tenmonkan",
          "kind": 2, "phone": "099-000-0000",
          "required_fields": ["name", "start", "email", "phone"],
          "optional_fields": ["jobseeker_number", "note"], "slot_minutes": 30, "video_app": "",
          "confirmation_minutes": 60}
NONCE = "c" * 43


def serve_office(stand: Stand) -> datetime:
    """The contract's answers for one office with one free slot; the slot's start."""
    start = (datetime.now(JAPAN) + timedelta(days=2)).replace(
        hour=10, minute=0, second=0, microsecond=0)
    stand.json("GET", "/api/v1/offices", 200, [OFFICE])
    stand.json("GET", "/api/v1/offices/tenmonkan/slots", 200, [
        {"start": (start - timedelta(minutes=30)).isoformat(), "end": start.isoformat(),
         "free": False},
        {"start": start.isoformat(), "end": (start + timedelta(minutes=30)).isoformat(),
         "free": True}])
    stand.json("POST", "/api/v1/challenges", 201,
               {"nonce": NONCE, "office_id": "tenmonkan", "expires_at": "2099-01-01T00:00:00Z"})
    return start


def serve_booking(stand: Stand, status: str, **more: str) -> datetime:
    """serve_office, and the gateway's answer to the booking (``status``, then ``more``)."""
    start = serve_office(stand)
    stand.json("POST", "/api/v1/bookings", 201, {
        "reference": "TK-7Q2M", "office_id": "tenmonkan", "status": status,
        "start": start.isoformat(), "end": (start + timedelta(minutes=30)).isoformat(), **more})
    return start


async def ready_to_book(pilot) -> None:  # type: ignore[no-untyped-def]
    """Run the checks and confirm both declarations: the verdict is then 予約できます."""
    await run_to_results(pilot)
    for box in pilot.app.screen.query(Checkbox):
        await pilot.click(f"#{box.id}")
    await pilot.pause()
    assert pilot.app.screen.document["verdict"] == "pass"


async def book_the_slot(pilot: Pilot[Any], app: PrecheckApp) -> None:
    """Open the booking screen (b), fill in the required fields and book the one slot."""
    await pilot.press("b")
    await wait_for(pilot, lambda: isinstance(app.screen, BookScreen))
    slots = app.screen.query_one("#slots", OptionList)
    await wait_for(pilot, lambda: slots.option_count == 1)
    for field, value in (("name", "a"), ("email", "b@example.jp"), ("phone", "1")):
        app.screen.query_one(f"#field-{field}", Input).value = value
    slots.highlighted = 0
    await pilot.click("#submit")


def sent(stand: Stand, method: str, path: str) -> dict[str, object]:
    bodies: list[dict[str, object]] = [
        json.loads(b) for m, p, _h, b in stand.requests if (m, p) == (method, path)]
    assert len(bodies) == 1, f"{method} {path} was sent {len(bodies)} times"
    return bodies[0]


@pytest.mark.asyncio
async def test_booking_sends_the_form_and_the_fresh_signed_report_with_the_challenge(
        stand: Stand, clock: Clock, tmp_path: Path) -> None:
    from precheck.reports.signing import verify

    start = serve_booking(stand, "pending_confirmation", confirm_by="2099-01-01T01:00:00Z")
    checkup = replayed(LINUX_FINE)
    app = app_for(checkup, clock, tmp_path, gateway=GatewayClient(stand.url))
    async with app.run_test(size=SIZE) as pilot:
        await ready_to_book(pilot)
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, BookScreen))
        slots = app.screen.query_one("#slots", OptionList)
        await wait_for(pilot, lambda: slots.option_count == 1 and not slots.get_option_at_index(
            0).disabled)
        assert "10:00" in str(slots.get_option_at_index(0).prompt)  # the taken 9:30 is not offered
        # the office asks for these: name, email and phone required, the rest optional
        for field, value in (("name", "山田 花子"), ("email", "hanako@example.jp"),
                             ("phone", "090-1234-5678"), ("jobseeker_number", "")):
            app.screen.query_one(f"#field-{field}", Input).value = value
        slots.highlighted = 0
        await pilot.click("#submit")
        await wait_for(pilot, lambda: "TK-7Q2M" in text_of(app, "#book-status"))
        status = text_of(app, "#book-status")
    assert "予約を受け付けました" in status
    assert "メールのリンク" in status
    assert sent(stand, "POST", "/api/v1/challenges") == {"office_id": "tenmonkan"}
    booking = sent(stand, "POST", "/api/v1/bookings")
    assert {k: booking[k] for k in ("office_id", "name", "email", "phone", "language")} == {
        "office_id": "tenmonkan", "name": "山田 花子", "email": "hanako@example.jp",
        "phone": "090-1234-5678", "language": "ja"}
    assert "jobseeker_number" not in booking  # left empty: not sent
    assert datetime.fromisoformat(str(booking["start"])) == start
    report = booking["report"]
    assert isinstance(report, dict)
    verified = verify(report)
    assert verified.report.challenge == NONCE
    assert verified.report.verdict == "pass"
    assert checkup.office is not None
    assert checkup.office.id == "tenmonkan"


@pytest.mark.asyncio
async def test_a_refused_booking_shows_the_gateways_reasons_in_japanese(
        stand: Stand, clock: Clock, tmp_path: Path) -> None:
    serve_office(stand)
    stand.json("POST", "/api/v1/bookings", 422, {
        "error": "rule_broken",
        "message": {"ja": "この日時は予約できません", "en": "This time cannot be booked"},
        "reasons": [{"rule": "lead", "field": "start",
                     "message": {"ja": "前日までに予約してください",
                                 "en": "Book by the day before"}}]})
    app = app_for(replayed(LINUX_FINE), clock, tmp_path, gateway=GatewayClient(stand.url))
    async with app.run_test(size=SIZE) as pilot:
        await ready_to_book(pilot)
        await book_the_slot(pilot, app)
        await wait_for(pilot, lambda: "受け付けませんでした" in text_of(app, "#book-status"))
        status = text_of(app, "#book-status")
        assert "この日時は予約できません" in status
        assert "前日までに予約してください" in status
        await pilot.press("f2")
        assert "Book by the day before" in text_of(app, "#book-status")


@pytest.mark.asyncio
async def test_missing_fields_are_named_before_anything_is_sent(
        stand: Stand, clock: Clock, tmp_path: Path) -> None:
    serve_office(stand)
    app = app_for(replayed(LINUX_FINE), clock, tmp_path, gateway=GatewayClient(stand.url))
    async with app.run_test(size=SIZE) as pilot:
        await ready_to_book(pilot)
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, BookScreen))
        await wait_for(pilot, lambda: app.screen.query_one("#slots", OptionList).option_count)
        app.screen.query_one("#field-name", Input).value = "山田"
        await pilot.click("#submit")
        status = text_of(app, "#book-status")
    assert "メールアドレス" in status
    assert "電話番号" in status
    assert not [r for r in stand.requests if r[1] == "/api/v1/bookings"]


@pytest.mark.asyncio
async def test_booking_waits_for_a_passing_verdict(
        stand: Stand, clock: Clock, tmp_path: Path) -> None:
    serve_office(stand)
    app = app_for(replayed(WINDOWS), clock, tmp_path, gateway=GatewayClient(stand.url))
    async with app.run_test(size=SIZE) as pilot:
        await run_to_results(pilot)
        await pilot.press("b")
        await pilot.pause()
        assert isinstance(app.screen, ResultsScreen)
        assert "「予約できます」" in said(app)


@pytest.mark.asyncio
async def test_a_gateway_that_is_down_is_said_plainly(clock: Clock, tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = app_for(replayed(LINUX_FINE), clock, tmp_path,
                  gateway=GatewayClient(f"http://127.0.0.1:{port}"))
    async with app.run_test(size=SIZE) as pilot:
        note = ""
        for _ in range(200):
            note = text_of(app, "#office-note")
            if "接続できない" in note:
                break
            await pilot.pause(0.05)
        assert "予約サービスに接続できない" in note  # and the check can still start
        await ready_to_book(pilot)
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, BookScreen))
        await wait_for(pilot, lambda: "接続できませんでした" in text_of(app, "#book-status"))


@pytest.mark.asyncio
async def test_check_in_sends_the_reference_and_a_fresh_report(
        stand: Stand, clock: Clock, tmp_path: Path) -> None:
    from precheck.reports.signing import verify

    serve_office(stand)
    stand.json("POST", "/api/v1/bookings/TK-7Q2M/check-in", 200, {
        "reference": "TK-7Q2M", "status": "confirmed", "checked_in_at": "2026-11-24T00:55:00Z"})
    app = app_for(replayed(LINUX_FINE), clock, tmp_path, gateway=GatewayClient(stand.url))
    async with app.run_test(size=SIZE) as pilot:
        await ready_to_book(pilot)
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, CheckInScreen))
        await wait_for(pilot, lambda: app.checkup.office is not None)  # the one office, chosen
        await pilot.press(*"TK-7Q2M", "enter")
        await wait_for(pilot, lambda: "受付しました" in text_of(app, "#check-in-status"))
        assert "11月24日" in text_of(app, "#check-in-status")
    report = sent(stand, "POST", "/api/v1/bookings/TK-7Q2M/check-in")["report"]
    assert isinstance(report, dict)
    assert verify(report).report.challenge == NONCE

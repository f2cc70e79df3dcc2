"""Reminders and calendar files through a real SMTP server (aiosmtpd), read back with the
``icalendar`` parser, and the outbox read row by row: no link token in clear, before or after
sending (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import text

from precheck.gateway import desk, mail, mail_sender, reminders
from precheck.gateway.db import session_factory
from precheck.gateway.offices import TOKYO
from precheck.gateway.settings import GatewaySettings
from tests.gateway.conftest import MONDAY
from tests.gateway.test_mail import Mailbox, running_smtp, with_smtp

NEXT_MONDAY_1000 = datetime(2026, 12, 7, 10, 0, tzinfo=TOKYO)
FRIDAY_0905 = datetime(2026, 12, 4, 9, 5, tzinfo=TOKYO)


@pytest.fixture
def mail_server() -> Iterator[tuple[Mailbox, Controller]]:
    with running_smtp() as server:
        yield server


def plain_body(message: Any) -> str:
    """The text part of a delivered mail."""
    part = message.get_body(("plain",))
    assert part is not None, "the mail has no text part"
    return str(part.get_content())


def calendar_of(message: Any) -> icalendar.Calendar:
    [part] = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert part.get_filename() == "consultation.ics"
    return icalendar.Calendar.from_ical(part.get_content())


def raw_outbox(engine: Any) -> list[dict[str, Any]]:
    """Every column of every outbox row, as the database holds it (plain SQL, no model)."""
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(text("SELECT * FROM outbox"))]


def contains(row: dict[str, Any], secret: str) -> bool:
    for value in row.values():
        if isinstance(value, bytes | memoryview) and secret.encode() in bytes(value):
            return True
        if isinstance(value, str) and secret in value:
            return True
    return False


def test_the_reminder_and_its_calendar_file_arrive_and_parse(
        gateway: Any, engine: Any, book: Any, settings: GatewaySettings,
        mail_server: tuple[Mailbox, Controller]) -> None:
    mailbox, controller = mail_server
    session = session_factory(engine)()
    desk.set_office_meeting(gateway, session, "namerikawa", "https://teleoffice.example/r/42",
                            actor="staff:1", now=MONDAY)
    created = book("namerikawa", NEXT_MONDAY_1000, MONDAY)
    assert reminders.send_reminders(gateway, session, FRIDAY_0905) == 1
    configured = with_smtp(settings, controller.port)
    counts = mail_sender.send_due(session_factory(engine), configured, FRIDAY_0905)
    assert counts.sent == 2
    booked, reminder = mailbox.messages
    assert created.booking.reference in str(reminder["Subject"])
    body = plain_body(reminder)
    assert "https://teleoffice.example/r/42" in body
    assert "/bookings/manage/" in body
    for message in (booked, reminder):
        calendar = calendar_of(message)
        assert str(calendar["METHOD"]) == "PUBLISH"
        [event] = calendar.walk("VEVENT")
        start = event.decoded("DTSTART")
        assert start == NEXT_MONDAY_1000
        assert start.tzinfo is not None
        assert str(start.tzinfo) in ("Asia/Tokyo", str(ZoneInfo("Asia/Tokyo")))
        assert event["DTSTART"].params["TZID"] == "Asia/Tokyo"
        assert event.decoded("DTEND") - start == timedelta(minutes=30)
        assert str(event["UID"]) == f"{created.booking.reference}@localhost"  # MAIL_FROM's domain
        assert str(event["LOCATION"]) == "https://teleoffice.example/r/42"
        assert "076-475-0324" in str(event["CONTACT"])
        assert created.booking.reference in str(event["DESCRIPTION"])
        [zone] = calendar.walk("VTIMEZONE")
        assert str(zone["TZID"]) == "Asia/Tokyo"
    # A moved booking's file keeps the UID with a higher SEQUENCE; a cancelled one cancels it.
    first = calendar_of(booked).walk("VEVENT")[0]
    moved = desk.move(gateway, session, created.booking.id, NEXT_MONDAY_1000 + timedelta(days=1),
                      actor="staff:1", now=FRIDAY_0905 + timedelta(hours=1), by_job_seeker=False)
    gateway.set_status(session, moved.booking.id, "confirmed", "cancelled_by_office",
                       staff_id=1, now=FRIDAY_0905 + timedelta(hours=2))
    assert mail_sender.send_due(session_factory(engine), configured,
                         FRIDAY_0905 + timedelta(hours=2)).sent == 2
    moved_event = calendar_of(mailbox.messages[2]).walk("VEVENT")[0]
    assert str(moved_event["UID"]) == str(first["UID"])
    assert int(str(moved_event["SEQUENCE"])) > int(str(first["SEQUENCE"]))
    assert moved_event.decoded("DTSTART") == NEXT_MONDAY_1000 + timedelta(days=1)
    cancelled = calendar_of(mailbox.messages[3])
    assert str(cancelled["METHOD"]) == "CANCEL"
    assert str(cancelled.walk("VEVENT")[0]["STATUS"]) == "CANCELLED"


def test_the_outbox_holds_no_link_token_in_clear_before_or_after_sending(
        gateway: Any, engine: Any, book: Any, settings: GatewaySettings,
        mail_server: tuple[Mailbox, Controller]) -> None:
    mailbox, controller = mail_server
    confirm = book("tenmonkan", datetime(2026, 12, 2, 10, 30, tzinfo=TOKYO), MONDAY)
    booked = book("namerikawa", NEXT_MONDAY_1000, MONDAY, email="hanako@example.jp")
    tokens = [confirm.confirm_token, booked.cancel_token]
    assert all(tokens)
    waiting = raw_outbox(engine)
    assert len(waiting) == 2
    for row in waiting:
        assert row["sealed_token"] is not None
        assert not any(contains(row, token) for token in tokens)
    counts = mail_sender.send_due(session_factory(engine), with_smtp(settings, controller.port),
                                  MONDAY)
    assert counts.sent == 2
    delivered = "\n".join(plain_body(m) for m in mailbox.messages)
    assert all(token in delivered for token in tokens)  # the job seeker got working links
    for row in raw_outbox(engine):
        assert row["sent_at"] is not None
        assert row["sealed_token"] is None  # nothing left to recover the link from
        assert not any(contains(row, token) for token in tokens)
        assert mail.TOKEN_SLOT in row["body"]


def test_a_sealing_key_made_in_a_rolled_back_transaction_is_not_kept(engine: Any) -> None:
    from precheck.gateway.models import GatewayKey

    with session_factory(engine)() as first:
        made = mail.outbox_key(first)
        first.rollback()  # e.g. the booking's commit failed: the key is gone with it
    with session_factory(engine)() as second:
        kept = mail.outbox_key(second)
        second.commit()
    with session_factory(engine)() as third:
        stored = third.get(GatewayKey, mail.OUTBOX_KEY)
        assert stored is not None
        assert bytes(stored.value) == kept
        assert mail.outbox_key(third) == kept
    assert made != kept

"""The office's desk on real SQLite and PostgreSQL: bookings staff make for a caller, closures
set at run time, moves by staff and by the job seeker's link, meeting addresses, the export's
range, and reminders the day before by the office's business days."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from precheck.gateway import closures, desk, reminders
from precheck.gateway.models import Booking, BookingEvent, Closure, OutboxMail, Status
from precheck.gateway.offices import TOKYO
from precheck.gateway.service import BookingForm, RuleBroken, SlotTaken, StaleState
from tests.gateway.conftest import FORM, MONDAY
from tests.gateway.test_service import THURSDAY_1000, WEDNESDAY_1030, rules_of

FRIDAY_1000 = datetime(2026, 12, 4, 10, 0, tzinfo=TOKYO)
NEXT_MONDAY_1000 = datetime(2026, 12, 7, 10, 0, tzinfo=TOKYO)
STAFF = 7


def caller(start: datetime, **fields: str) -> BookingForm:
    return BookingForm(start=start, **{**FORM, **fields})


def mails(session: Any) -> list[OutboxMail]:
    rows = list(session.execute(select(OutboxMail).order_by(OutboxMail.id)).scalars())
    session.rollback()
    return rows


# -- a booking for a caller ----------------------------------------------------------------------

def test_staff_book_for_a_caller_with_the_office_rules_and_no_report(
        gateway: Any, session: Any) -> None:
    created = desk.book_for_caller(gateway, session, "kagoshima", caller(WEDNESDAY_1030),
                                   staff_id=STAFF, now=MONDAY)
    booking = created.booking
    assert booking.status == Status.CONFIRMED
    assert booking.booked_by == f"staff:{STAFF}"
    assert booking.verdict == ""  # no report: recorded as absent
    assert gateway.booking_report(session, booking.id) == {}
    [mail] = mails(session)
    assert mail.kind == "booked"
    assert mail.attachment is not None
    assert json.loads(mail.attachment)["reference"] == booking.reference  # the file's facts
    [event] = session.execute(select(BookingEvent)).scalars().all()
    assert event.actor == f"staff:{STAFF}"
    assert event.detail == "booked for a caller; no report"
    # The same rules as online: a Saturday and a malformed email are refused.
    with pytest.raises(RuleBroken) as refused:
        desk.book_for_caller(gateway, session, "kagoshima",
                             caller(datetime(2026, 12, 5, 10, 0, tzinfo=TOKYO), email="nope"),
                             staff_id=STAFF, now=MONDAY)
    assert set(rules_of(refused)) == {"closed", "invalid"}
    with pytest.raises(SlotTaken):
        desk.book_for_caller(gateway, session, "kagoshima", caller(WEDNESDAY_1030),
                             staff_id=STAFF, now=MONDAY)



def test_a_caller_is_booked_past_the_limits_per_person(gateway: Any, session: Any) -> None:
    """Staff spoke with the caller: a second live booking with the same email and 求職番号
    (online, limit_email and limit_jobseeker_number refuse it) is made."""
    first = desk.book_for_caller(gateway, session, "kagoshima", caller(WEDNESDAY_1030),
                                 staff_id=STAFF, now=MONDAY)
    second = desk.book_for_caller(gateway, session, "kagoshima", caller(THURSDAY_1000),
                                  staff_id=STAFF, now=MONDAY)
    assert first.booking.email == second.booking.email
    assert second.booking.status == Status.CONFIRMED

# -- closures -------------------------------------------------------------------------------------

def test_a_closure_takes_slots_off_the_list_and_refuses_bookings_until_lifted(
        gateway: Any, session: Any, book: Any) -> None:
    office = gateway.office("namerikawa")
    ranges = closures.spans(office, THURSDAY_1000.date(), "morning")
    [closure_id] = closures.close(session, office, ranges, "  館内 点検 ", actor="staff:7",
                                  now=MONDAY)
    session.commit()
    slots = gateway.list_slots(session, "namerikawa", THURSDAY_1000.date(),
                               THURSDAY_1000.date(), MONDAY)
    free = {s.start.strftime("%H:%M") for s in slots if s.free}
    assert "10:00" not in free
    assert "11:30" not in free
    assert "13:00" in free
    assert "15:30" in free
    with pytest.raises(RuleBroken) as refused:
        book("namerikawa", THURSDAY_1000, MONDAY)
    assert rules_of(refused) == ["closed"]
    assert "館内 点検" in str(refused.value.violations[0].message.args)
    assert closures.lift(session, "namerikawa", closure_id, actor="staff:8", now=MONDAY)
    assert not closures.lift(session, "namerikawa", closure_id, actor="staff:8", now=MONDAY)
    session.commit()
    assert book("namerikawa", THURSDAY_1000, MONDAY).booking.status == Status.CONFIRMED
    row = session.get(Closure, closure_id)
    assert (row.created_by, row.lifted_by, row.reason) == ("staff:7", "staff:8", "館内 点検")


def test_closing_single_slots_and_counting_the_bookings_inside(
        gateway: Any, session: Any, book: Any) -> None:
    office = gateway.office("namerikawa")
    book("namerikawa", THURSDAY_1000, MONDAY)
    ranges = closures.spans(office, THURSDAY_1000.date(), "slots",
                            (THURSDAY_1000, THURSDAY_1000 + timedelta(hours=1)))
    closures.close(session, office, ranges, "研修", actor="staff:7", now=MONDAY)
    session.commit()
    low = THURSDAY_1000.replace(hour=0)
    views = closures.views_between(session, "namerikawa", low, low + timedelta(days=1))
    assert [(v.start.strftime("%H:%M"), v.bookings) for v in views] == [("10:00", 1),
                                                                        ("11:00", 0)]
    free = {s.start.strftime("%H:%M") for s in gateway.list_slots(
        session, "namerikawa", low.date(), low.date(), MONDAY) if s.free}
    assert "10:30" in free
    assert "11:00" not in free
    with pytest.raises(closures.ClosureError):
        closures.clean_reason("   ")


# -- moves ----------------------------------------------------------------------------------------

def test_staff_move_a_booking_and_the_job_seeker_is_mailed(
        gateway: Any, session: Any, book: Any) -> None:
    created = book("namerikawa", THURSDAY_1000, MONDAY)
    moved = desk.move(gateway, session, created.booking.id, FRIDAY_1000, actor="staff:7",
                      now=MONDAY, by_job_seeker=False)
    assert moved.booking.start == FRIDAY_1000
    assert moved.old_start == THURSDAY_1000
    kinds = [m.kind for m in mails(session)]
    assert kinds == ["booked", "moved"]
    events = session.execute(select(BookingEvent).order_by(BookingEvent.id)).scalars().all()
    assert events[-1].detail == "moved from 2026-12-03T10:00+09:00"
    assert events[-1].actor == "staff:7"
    # The old time is free again, the new one taken.
    other = book("namerikawa", THURSDAY_1000, MONDAY, email="b@example.jp")
    assert other.booking.start == THURSDAY_1000
    with pytest.raises(SlotTaken):
        desk.move(gateway, session, other.booking.id, FRIDAY_1000, actor="staff:7",
                  now=MONDAY, by_job_seeker=False)


def test_the_job_seeker_moves_through_the_link_within_the_office_rules(
        gateway: Any, session: Any, book: Any) -> None:
    created = book("namerikawa", FRIDAY_1000, MONDAY)
    token = created.cancel_token
    # Two business days ahead: Thursday is too late on Wednesday; next Monday is fine.
    wednesday = MONDAY + timedelta(days=2)  # (a Wednesday)
    with pytest.raises(RuleBroken) as refused:
        desk.move_by_link(gateway, session, token, THURSDAY_1000, wednesday)
    assert rules_of(refused) == ["too_late"]
    moved = desk.move_by_link(gateway, session, token, NEXT_MONDAY_1000, wednesday)
    assert moved.booking.start == NEXT_MONDAY_1000
    # The same link still works, until the end of the new session's day.
    sunday = NEXT_MONDAY_1000 - timedelta(hours=12)
    assert desk.booking_by_manage_token(gateway, session, token, sunday).id == moved.booking.id
    # On the session's day itself a change is by phone only.
    with pytest.raises(RuleBroken) as same_day:
        desk.move_by_link(gateway, session, token, NEXT_MONDAY_1000 + timedelta(days=2),
                          NEXT_MONDAY_1000 - timedelta(hours=1))
    assert "same_day_change" in rules_of(same_day)
    # Staff may move past the lead time (they spoke with the job seeker).
    staff_moved = desk.move(gateway, session, moved.booking.id, THURSDAY_1000,
                            actor="staff:7", now=wednesday, by_job_seeker=False)
    assert staff_moved.booking.start == THURSDAY_1000


def test_a_cancelled_booking_cannot_be_moved(gateway: Any, session: Any, book: Any) -> None:
    created = book("namerikawa", THURSDAY_1000, MONDAY)
    gateway.set_status(session, created.booking.id, Status.CONFIRMED, Status.CANCELLED_BY_OFFICE,
                       staff_id=STAFF, now=MONDAY)
    with pytest.raises(StaleState):
        desk.move(gateway, session, created.booking.id, FRIDAY_1000, actor="staff:7",
                  now=MONDAY, by_job_seeker=False)


# -- meeting addresses ---------------------------------------------------------------------------

def test_the_meeting_address_per_office_and_per_booking_goes_into_the_mails(
        gateway: Any, session: Any, book: Any) -> None:
    desk.set_office_meeting(gateway, session, "namerikawa", "https://teleoffice.example/room/1",
                            actor="staff:7", now=MONDAY)
    first = book("namerikawa", THURSDAY_1000, MONDAY)
    assert "https://teleoffice.example/room/1" in mails(session)[-1].body
    assert desk.effective_meeting(session, first.booking) == "https://teleoffice.example/room/1"
    view = desk.set_booking_meeting(gateway, session, first.booking.id,
                                    "https://zoom.example/j/123", actor="staff:7", now=MONDAY)
    assert desk.effective_meeting(session, view) == "https://zoom.example/j/123"
    latest = mails(session)[-1]
    assert latest.kind == "meeting"
    assert "https://zoom.example/j/123" in latest.body
    for bad in ("http://zoom.example/j/1", "javascript:alert(1)", "https://a b.example/"):
        with pytest.raises(RuleBroken):
            desk.clean_meeting_url(bad)


def test_the_export_range_covers_several_days(gateway: Any, session: Any, book: Any) -> None:
    book("namerikawa", THURSDAY_1000, MONDAY)
    book("namerikawa", FRIDAY_1000, MONDAY, email="b@example.jp")
    found = desk.range_view(gateway, session, "namerikawa", THURSDAY_1000.date(),
                            FRIDAY_1000.date())
    assert [b.start for b in found] == [THURSDAY_1000, FRIDAY_1000]
    with pytest.raises(RuleBroken):
        desk.range_view(gateway, session, "namerikawa", FRIDAY_1000.date(),
                        THURSDAY_1000.date())


# -- reminders ------------------------------------------------------------------------------------

def test_reminders_go_out_on_the_previous_business_day_once(
        gateway: Any, session: Any, book: Any) -> None:
    office = gateway.office("namerikawa")
    # A Monday session is reminded on the Friday before, at 09:00.
    assert reminders.reminder_at(office, NEXT_MONDAY_1000) == datetime(2026, 12, 4, 9, 0,
                                                                       tzinfo=TOKYO)
    created = book("namerikawa", NEXT_MONDAY_1000, MONDAY)
    thursday_evening = datetime(2026, 12, 3, 20, 0, tzinfo=TOKYO)
    assert reminders.send_reminders(gateway, session, thursday_evening) == 0
    friday_morning = datetime(2026, 12, 4, 9, 5, tzinfo=TOKYO)
    assert reminders.send_reminders(gateway, session, friday_morning) == 1
    assert reminders.send_reminders(gateway, session, friday_morning) == 0
    reminder = mails(session)[-1]
    assert reminder.kind == "reminder"
    assert reminder.booking_id == created.booking.id
    assert reminder.sealed_token is not None
    assert "[[link-token]]" in reminder.body
    # A booking moved after its reminder is reminded again for its new time.
    desk.move(gateway, session, created.booking.id, NEXT_MONDAY_1000 + timedelta(days=1),
              actor="staff:7", now=friday_morning, by_job_seeker=False)
    assert reminders.send_reminders(gateway, session, datetime(2026, 12, 7, 9, 1,
                                                               tzinfo=TOKYO)) == 1


def test_no_reminder_for_a_booking_made_after_its_reminder_time(
        gateway: Any, session: Any) -> None:
    late = datetime(2026, 12, 4, 15, 0, tzinfo=TOKYO)  # Friday afternoon, for Monday
    desk.book_for_caller(gateway, session, "kagoshima", caller(NEXT_MONDAY_1000),
                         staff_id=STAFF, now=late)
    assert reminders.send_reminders(gateway, session, late + timedelta(minutes=5)) == 0
    booking = session.execute(select(Booking)).scalar_one()
    assert booking.reminder_sent_at is not None  # handled: its booked mail has just gone out
    assert [m.kind for m in mails(session)] == ["booked"]


def test_the_sweeper_leaves_a_phone_booking_to_staff(gateway: Any, session: Any) -> None:
    created = desk.book_for_caller(gateway, session, "kagoshima", caller(WEDNESDAY_1030),
                                   staff_id=STAFF, now=MONDAY)
    counts = gateway.sweep(session, WEDNESDAY_1030 + timedelta(minutes=30))
    assert counts.no_shows == 0  # no app to check in with: staff mark attended or no-show
    assert gateway.get_booking(session, created.booking.id).status == Status.CONFIRMED


def test_a_booking_waiting_for_confirmation_is_moved_and_mailed(
        gateway: Any, session: Any, book: Any) -> None:
    created = book("tenmonkan", WEDNESDAY_1030, MONDAY)
    moved = desk.move(gateway, session, created.booking.id, THURSDAY_1000, actor="staff:7",
                      now=MONDAY + timedelta(minutes=5), by_job_seeker=False)
    assert moved.booking.status == Status.PENDING
    assert [m.kind for m in mails(session)] == ["confirm", "moved"]
    # Its confirm link still confirms it, at the new time.
    confirmed = gateway.confirm_booking(session, created.confirm_token,
                                        MONDAY + timedelta(minutes=10))
    assert confirmed.booking.start == THURSDAY_1000

"""The booking service on real SQLite and PostgreSQL: holds and their lapse, confirmation and
cancellation by token, same-day cancellation by phone only, check-in, no-shows and blocks, and
compare-and-swap status changes (each test runs once per database)."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from precheck.gateway import gate
from precheck.gateway.models import (
    Booking,
    BookingEvent,
    BookingToken,
    Challenge,
    NoShowStanding,
    OutboxMail,
    Status,
)
from precheck.gateway.offices import TOKYO
from precheck.gateway.service import (
    TOKEN_BYTES,
    BookingForm,
    LinkExpired,
    NotFound,
    RuleBroken,
    SlotTaken,
    StaleState,
)
from tests.gateway.conftest import FORM, MONDAY

WEDNESDAY_1030 = datetime(2026, 12, 2, 10, 30, tzinfo=TOKYO)
THURSDAY_1000 = datetime(2026, 12, 3, 10, 0, tzinfo=TOKYO)

Book = Callable[..., Any]


def rules_of(exc: pytest.ExceptionInfo[Any]) -> list[str]:
    value = exc.value
    if isinstance(value, RuleBroken):
        return [v.code for v in value.violations]
    return [r.rule for r in value.reasons]


# -- booking and holds ----------------------------------------------------------------------------

def test_a_kind_1_office_books_at_once_and_mails_a_cancel_link(
        gateway: Any, session: Any, book: Book) -> None:
    created = book("namerikawa", THURSDAY_1000, MONDAY)
    booking = created.booking
    assert booking.status == Status.CONFIRMED
    assert created.confirm_token is None
    assert created.cancel_token is not None
    assert booking.start == THURSDAY_1000
    assert booking.start.tzinfo is not None
    assert booking.jobseeker_number == "46010-123456"
    mail = session.execute(select(OutboxMail)).scalar_one()
    assert mail.kind == "booked"
    assert mail.recipient == FORM["email"]
    assert created.cancel_token not in mail.body  # sealed apart, filled in when sent
    assert "https://gateway.test/bookings/manage/[[link-token]]" in mail.body
    assert "2026年12月3日（木） 10:00〜10:30（日本時間）" in mail.body
    assert "Thu 3 Dec 2026, 10:00–10:30 (Japan time)" in mail.body
    assert mail.body.index("日本時間") < mail.body.index("Japan time")  # Japanese first


def test_a_kind_2_booking_waits_for_its_link_and_holds_the_slot(
        gateway: Any, session: Any, book: Book) -> None:
    created = book("tenmonkan", WEDNESDAY_1030, MONDAY)
    booking = created.booking
    assert booking.status == Status.PENDING
    assert booking.hold_expires_at == MONDAY + timedelta(hours=1)
    assert created.confirm_token is not None
    assert created.cancel_token is None
    slots = gateway.list_slots(session, "tenmonkan", WEDNESDAY_1030.date(),
                               WEDNESDAY_1030.date(), MONDAY + timedelta(minutes=59))
    assert [s.free for s in slots if s.start == WEDNESDAY_1030] == [False]
    with pytest.raises(SlotTaken):
        book("tenmonkan", WEDNESDAY_1030, MONDAY + timedelta(minutes=59), email="b@example.jp")
    mail = session.execute(select(OutboxMail)).scalar_one()
    assert created.confirm_token not in mail.body
    assert "/bookings/confirm/[[link-token]]" in mail.body


def test_an_unconfirmed_hold_lapses_after_one_hour_by_itself(
        gateway: Any, session: Any, book: Book) -> None:
    created = book("tenmonkan", WEDNESDAY_1030, MONDAY)
    lapsed = MONDAY + timedelta(hours=1)
    # No sweeper has run: the slot is free again and can be booked by someone else ...
    slots = gateway.list_slots(session, "tenmonkan", WEDNESDAY_1030.date(),
                               WEDNESDAY_1030.date(), lapsed)
    assert [s.free for s in slots if s.start == WEDNESDAY_1030] == [True]
    second = book("tenmonkan", WEDNESDAY_1030, lapsed, email="second@example.jp")
    assert second.booking.status == Status.PENDING
    # ... the first link no longer confirms anything, and its booking is marked expired.
    with pytest.raises(LinkExpired):
        gateway.confirm_booking(session, created.confirm_token, lapsed)
    first = gateway.get_booking(session, created.booking.id)
    assert first.status == Status.EXPIRED
    events = session.execute(select(BookingEvent.to_status).where(
        BookingEvent.booking_id == first.id).order_by(BookingEvent.id)).scalars().all()
    assert events == [Status.PENDING, Status.EXPIRED]


def test_the_link_confirms_within_the_hour_but_not_a_second_later(
        gateway: Any, session: Any, book: Book) -> None:
    early = book("tenmonkan", WEDNESDAY_1030, MONDAY)
    confirmed = gateway.confirm_booking(session, early.confirm_token,
                                        MONDAY + timedelta(minutes=59, seconds=59))
    assert confirmed.booking.status == Status.CONFIRMED
    assert confirmed.booking.hold_expires_at is None
    late = book("tenmonkan", WEDNESDAY_1030 + timedelta(hours=1), MONDAY, email="c@example.jp")
    with pytest.raises(LinkExpired):
        gateway.confirm_booking(session, late.confirm_token, MONDAY + timedelta(hours=1))


def test_the_sweeper_marks_lapsed_holds_expired(gateway: Any, session: Any, book: Book) -> None:
    created = book("tenmonkan", WEDNESDAY_1030, MONDAY)
    assert gateway.sweep(session, MONDAY + timedelta(minutes=59)).expired == 0
    counts = gateway.sweep(session, MONDAY + timedelta(hours=1))
    assert counts.expired == 1
    assert gateway.get_booking(session, created.booking.id).status == Status.EXPIRED
    assert gateway.sweep(session, MONDAY + timedelta(hours=2)).expired == 0


def test_opening_a_link_changes_nothing(gateway: Any, session: Any, book: Book) -> None:
    created = book("tenmonkan", WEDNESDAY_1030, MONDAY)
    for _ in range(3):  # a mail scanner following the link, several times
        shown = gateway.link_booking(session, created.confirm_token, "confirm", MONDAY)
        assert shown.status == Status.PENDING
    assert gateway.get_booking(session, created.booking.id).status == Status.PENDING


def test_a_double_confirmation_applies_once(gateway: Any, session: Any, book: Book) -> None:
    created = book("tenmonkan", WEDNESDAY_1030, MONDAY)
    gateway.confirm_booking(session, created.confirm_token, MONDAY + timedelta(minutes=1))
    with pytest.raises(StaleState) as second:
        gateway.confirm_booking(session, created.confirm_token, MONDAY + timedelta(minutes=2))
    assert second.value.current == Status.CONFIRMED
    kinds = session.execute(select(OutboxMail.kind).order_by(OutboxMail.id)).scalars().all()
    assert kinds == ["confirm", "confirmed"]  # one completion mail, not two


def test_unknown_tokens_are_not_found(gateway: Any, session: Any) -> None:
    with pytest.raises(NotFound):
        gateway.confirm_booking(session, "x" * 43, MONDAY)
    with pytest.raises(NotFound):
        gateway.cancel_booking(session, "x" * 43, MONDAY)


def test_tokens_carry_256_bits_and_are_stored_only_hashed(
        gateway: Any, session: Any, book: Book) -> None:
    created = book("namerikawa", THURSDAY_1000, MONDAY)
    token = created.cancel_token
    assert TOKEN_BYTES * 8 >= 128
    assert len(token) >= 43  # 32 bytes in base64url
    rows = session.execute(select(BookingToken)).scalars().all()
    assert [r.token_hash for r in rows] == [hashlib.sha256(token.encode()).hexdigest()]
    assert token not in str(session.execute(select(Booking.report)).scalar_one())
    # It expires at the end of the session's day.
    assert rows[0].expires_at == datetime(2026, 12, 4, 0, 0, tzinfo=TOKYO)


def test_a_taken_slot_is_refused_and_a_cancelled_one_is_free_again(
        gateway: Any, session: Any, book: Book) -> None:
    first = book("namerikawa", THURSDAY_1000, MONDAY)
    with pytest.raises(SlotTaken) as taken:
        book("namerikawa", THURSDAY_1000, MONDAY, email="other@example.jp")
    assert "someone else" in taken.value.message.msgid
    gateway.cancel_booking(session, first.cancel_token, MONDAY)
    again = book("namerikawa", THURSDAY_1000, MONDAY, email="other@example.jp")
    assert again.booking.status == Status.CONFIRMED
    live = session.execute(select(func.count()).select_from(Booking).where(
        Booking.status.in_([Status.CONFIRMED, Status.PENDING]))).scalar_one()
    assert live == 1


def test_a_refused_booking_does_not_use_up_its_challenge(
        gateway: Any, session: Any, report_factory: Callable[..., dict[str, Any]],
        book: Book) -> None:
    book("namerikawa", THURSDAY_1000, MONDAY)
    issued = gateway.issue_challenge(session, "namerikawa", MONDAY)
    report = report_factory(issued.nonce, created=MONDAY)
    form = BookingForm(start=THURSDAY_1000, **{**FORM, "email": "other@example.jp"})
    with pytest.raises(SlotTaken):
        gateway.create_booking(session, "namerikawa", form, report, MONDAY)
    # The same report books another free time: "taken" costs the job seeker no new check.
    later = BookingForm(start=THURSDAY_1000 + timedelta(minutes=30),
                        **{**FORM, "email": "other@example.jp"})
    assert gateway.create_booking(session, "namerikawa", later, report, MONDAY).booking.id


def test_office_rules_and_form_problems_are_listed_together(
        gateway: Any, session: Any, report_factory: Callable[..., dict[str, Any]]) -> None:
    issued = gateway.issue_challenge(session, "namerikawa", MONDAY)
    saturday = datetime(2026, 12, 5, 10, 0, tzinfo=TOKYO)
    form = BookingForm(start=saturday, name="", email="not-an-address",
                       jobseeker_number="12-34")
    with pytest.raises(RuleBroken) as broken:
        gateway.create_booking(session, "namerikawa", form,
                               report_factory(issued.nonce, created=MONDAY), MONDAY)
    assert sorted(rules_of(broken)) == ["closed", "invalid", "invalid", "missing"]
    assert session.execute(select(func.count()).select_from(Booking)).scalar_one() == 0
    assert session.execute(select(Challenge.used_at)).scalar_one() is None


def test_the_deadline_is_enforced_when_booking_not_only_when_listing(
        gateway: Any, session: Any, book: Book) -> None:
    # Namerikawa takes bookings 2 business days ahead: Thursday's sessions close on Tuesday.
    wednesday = datetime(2026, 12, 2, 9, 0, tzinfo=TOKYO)
    slots = gateway.list_slots(session, "namerikawa", THURSDAY_1000.date(),
                               THURSDAY_1000.date(), wednesday)
    assert not any(s.free for s in slots)
    with pytest.raises(RuleBroken) as late:
        book("namerikawa", THURSDAY_1000, wednesday)
    assert rules_of(late) == ["too_late"]


# -- cancellation ---------------------------------------------------------------------------------

def test_cancelling_online_works_until_the_day_before(
        gateway: Any, session: Any, book: Book) -> None:
    created = book("namerikawa", THURSDAY_1000, MONDAY)
    evening_before = datetime(2026, 12, 2, 23, 59, tzinfo=TOKYO)
    cancelled = gateway.cancel_booking(session, created.cancel_token, evening_before)
    assert cancelled.status == Status.CANCELLED_BY_USER
    kinds = session.execute(select(OutboxMail.kind).order_by(OutboxMail.id)).scalars().all()
    assert kinds == ["booked", "cancelled"]
    with pytest.raises(StaleState):  # a second press: nothing more to cancel
        gateway.cancel_booking(session, created.cancel_token, evening_before)


def test_same_day_cancellation_is_refused_with_the_offices_phone_number(
        gateway: Any, session: Any, book: Book) -> None:
    created = book("namerikawa", THURSDAY_1000, MONDAY)
    morning = datetime(2026, 12, 3, 0, 0, tzinfo=TOKYO)
    with pytest.raises(RuleBroken) as refused:
        gateway.cancel_booking(session, created.cancel_token, morning)
    assert rules_of(refused) == ["same_day_cancel"]
    texts = {lang: gate.render(refused.value.violations[0].message, lang) for lang in ("ja", "en")}
    assert "076-475-0324" in texts["ja"]
    assert "076-475-0324" in texts["en"]
    assert gateway.get_booking(session, created.booking.id).status == Status.CONFIRMED
    # The refusal holds for a request made straight to the service, not only on the page,
    # and whatever zone the caller's clock is in (it is the office's day that counts).
    still_the_2nd_in_utc = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)  # 3 December 01:00 in Tokyo
    with pytest.raises(RuleBroken):
        gateway.cancel_booking(session, created.cancel_token, still_the_2nd_in_utc)


# -- check-in and no-shows ------------------------------------------------------------------------

def _check_in(gateway: Any, session: Any, report_factory: Callable[..., dict[str, Any]],
              reference: str, now: datetime) -> Any:
    issued = gateway.issue_challenge(session, "namerikawa", now)
    return gateway.check_in(session, reference, report_factory(issued.nonce, created=now), now)


def test_check_in_on_the_day_with_a_fresh_report(
        gateway: Any, session: Any, book: Book,
        report_factory: Callable[..., dict[str, Any]]) -> None:
    reference = book("namerikawa", THURSDAY_1000, MONDAY).booking.reference
    with pytest.raises(RuleBroken) as early:
        _check_in(gateway, session, report_factory, reference,
                  datetime(2026, 12, 2, 10, 0, tzinfo=TOKYO))
    assert rules_of(early) == ["checkin_not_today"]
    at = THURSDAY_1000 - timedelta(minutes=5)
    done = _check_in(gateway, session, report_factory, reference.lower().replace("-", " "), at)
    assert done.checked_in_at == at
    assert done.checkin_report_digest.startswith("sha256:")
    with pytest.raises(StaleState) as again:
        _check_in(gateway, session, report_factory, reference, at + timedelta(minutes=1))
    assert again.value.current == "checked_in"
    assert gateway.sweep(session, THURSDAY_1000 + timedelta(minutes=30)).no_shows == 0


def test_check_in_is_refused_from_the_no_show_time_on(
        gateway: Any, session: Any, book: Book,
        report_factory: Callable[..., dict[str, Any]]) -> None:
    reference = book("namerikawa", THURSDAY_1000, MONDAY).booking.reference
    with pytest.raises(RuleBroken) as late:
        _check_in(gateway, session, report_factory, reference,
                  THURSDAY_1000 + timedelta(minutes=10))
    assert rules_of(late) == ["checkin_too_late"]


def test_check_in_needs_a_report_that_passes_the_gate(
        gateway: Any, session: Any, book: Book,
        report_factory: Callable[..., dict[str, Any]]) -> None:
    reference = book("namerikawa", THURSDAY_1000, MONDAY).booking.reference
    at = THURSDAY_1000 - timedelta(minutes=5)
    issued = gateway.issue_challenge(session, "namerikawa", at)
    stale = report_factory(issued.nonce, created=at - timedelta(hours=1))
    with pytest.raises(gate.GateRejected) as refused:
        gateway.check_in(session, reference, stale, at)
    assert rules_of(refused) == ["stale"]


def test_ten_minutes_without_check_in_is_a_no_show(
        gateway: Any, session: Any, book: Book) -> None:
    created = book("namerikawa", THURSDAY_1000, MONDAY)
    assert gateway.sweep(session, THURSDAY_1000 + timedelta(minutes=9, seconds=59)).no_shows == 0
    assert gateway.sweep(session, THURSDAY_1000 + timedelta(minutes=10)).no_shows == 1
    assert gateway.get_booking(session, created.booking.id).status == Status.NO_SHOW
    standing = gateway.booking_standing(session, created.booking)
    assert standing.no_shows == 1
    assert not standing.blocked
    assert gateway.sweep(session, THURSDAY_1000 + timedelta(hours=1)).no_shows == 0


def test_the_policy_number_of_no_shows_blocks_online_booking_until_staff_lift_it(
        gateway: Any, session: Any, book: Book) -> None:
    office = gateway.office("namerikawa")
    assert office.no_show_limit == 2
    first = book("namerikawa", THURSDAY_1000, MONDAY)
    second = book("namerikawa", THURSDAY_1000 + timedelta(minutes=30), MONDAY)
    gateway.sweep(session, THURSDAY_1000 + timedelta(hours=1))
    assert gateway.booking_standing(session, first.booking).blocked
    next_week = THURSDAY_1000 + timedelta(days=7)
    day_after = THURSDAY_1000 + timedelta(days=1)
    # Blocked by the email, by the 求職番号 with another email, and by the device key.
    with pytest.raises(RuleBroken) as blocked:
        book("namerikawa", next_week, day_after)
    assert rules_of(blocked) == ["blocked"]
    with pytest.raises(RuleBroken):
        book("namerikawa", next_week, day_after, email="new@example.jp")
    with pytest.raises(RuleBroken):
        book("namerikawa", next_week, day_after, email="new@example.jp",
             jobseeker_number="46010-999999")
    # Another office has its own count.
    assert book("kagoshima", next_week, day_after).booking.status == Status.CONFIRMED
    lifted = gateway.lift_block(session, "namerikawa", reference=second.booking.reference,
                                actor="staff:1", now=day_after)
    assert lifted == 3  # email, 求職番号 and device key
    assert book("namerikawa", next_week, day_after).booking.status == Status.CONFIRMED
    rows = session.execute(select(NoShowStanding.subject)).scalars().all()
    assert all(FORM["email"] not in row and "46010" not in row for row in rows)


def test_staff_mark_no_shows_only_after_ten_minutes_and_can_undo_one(
        gateway: Any, session: Any, book: Book) -> None:
    created = book("namerikawa", THURSDAY_1000, MONDAY)
    booking_id = created.booking.id
    with pytest.raises(RuleBroken) as early:
        gateway.set_status(session, booking_id, Status.CONFIRMED, Status.NO_SHOW, staff_id=1,
                           now=THURSDAY_1000 + timedelta(minutes=5))
    assert rules_of(early) == ["too_early"]
    late = THURSDAY_1000 + timedelta(minutes=10)
    gateway.set_status(session, booking_id, Status.CONFIRMED, Status.NO_SHOW, staff_id=1,
                       now=late)
    assert gateway.booking_standing(session, created.booking).no_shows == 1
    undone = gateway.set_status(session, booking_id, Status.NO_SHOW, Status.ATTENDED,
                                staff_id=2, now=late)
    assert undone.status == Status.ATTENDED
    assert gateway.booking_standing(session, created.booking).no_shows == 0


# -- compare-and-swap -----------------------------------------------------------------------------

def test_two_staff_members_cannot_both_apply_a_change(
        gateway: Any, session: Any, book: Book) -> None:
    booking_id = book("namerikawa", THURSDAY_1000, MONDAY).booking.id
    at = THURSDAY_1000 + timedelta(minutes=15)
    gateway.set_status(session, booking_id, Status.CONFIRMED, Status.ATTENDED, staff_id=1,
                       now=at)
    with pytest.raises(StaleState) as lost:
        gateway.set_status(session, booking_id, Status.CONFIRMED, Status.NO_SHOW, staff_id=2,
                           now=at)
    assert lost.value.current == Status.ATTENDED
    actors = session.execute(select(BookingEvent.actor).where(
        BookingEvent.booking_id == booking_id).order_by(BookingEvent.id)).scalars().all()
    assert actors == ["job seeker", "staff:1"]


def test_transitions_staff_may_not_make_are_refused(
        gateway: Any, session: Any, book: Book) -> None:
    booking_id = book("namerikawa", THURSDAY_1000, MONDAY).booking.id
    with pytest.raises(RuleBroken):
        gateway.set_status(session, booking_id, Status.CONFIRMED, Status.PENDING, staff_id=1,
                           now=MONDAY)


def test_concurrent_confirmations_of_one_booking_apply_exactly_once(
        gateway: Any, engine: Any, session: Any, book: Book) -> None:
    from precheck.gateway.db import session_factory

    token = book("tenmonkan", WEDNESDAY_1030, MONDAY).confirm_token
    sessions = session_factory(engine)
    barrier = threading.Barrier(8)
    outcomes: list[str] = []
    lock = threading.Lock()

    def press() -> None:
        with sessions() as own:
            barrier.wait()
            try:
                gateway.confirm_booking(own, token, MONDAY + timedelta(minutes=1))
                outcome = "confirmed"
            except StaleState as exc:
                outcome = f"stale:{exc.current}"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=press) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["confirmed"] + ["stale:confirmed"] * 7
    mails = session.execute(select(OutboxMail.kind).where(OutboxMail.kind == "confirmed")
                            ).scalars().all()
    assert mails == ["confirmed"]


def test_concurrent_bookings_of_one_slot_in_threads_leave_one_winner(
        gateway: Any, engine: Any, report_factory: Callable[..., dict[str, Any]]) -> None:
    from precheck.gateway.db import session_factory

    sessions = session_factory(engine)
    reports = []
    with sessions() as own:
        for _ in range(12):
            issued = gateway.issue_challenge(own, "namerikawa", MONDAY)
            reports.append(report_factory(issued.nonce, created=MONDAY))
    barrier = threading.Barrier(len(reports))
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(index: int) -> None:
        form = BookingForm(start=THURSDAY_1000, **{**FORM, "email": f"p{index}@example.jp"})
        with sessions() as own:
            barrier.wait()
            try:
                gateway.create_booking(own, "namerikawa", form, reports[index], MONDAY)
                outcome = "booked"
            except SlotTaken:
                outcome = "taken"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(len(reports))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(outcomes) == ["booked"] + ["taken"] * (len(reports) - 1)


# -- staff views ----------------------------------------------------------------------------------

def test_the_day_view_lists_the_days_bookings_with_their_readiness(
        gateway: Any, session: Any, book: Book) -> None:
    book("namerikawa", THURSDAY_1000 + timedelta(minutes=30), MONDAY)
    book("namerikawa", THURSDAY_1000, MONDAY, email="early@example.jp")
    book("namerikawa", THURSDAY_1000 + timedelta(days=1), MONDAY)
    day = gateway.day_view(session, "namerikawa", THURSDAY_1000.date())
    assert [b.start for b in day] == [THURSDAY_1000, THURSDAY_1000 + timedelta(minutes=30)]
    assert all(b.verdict == "pass" and b.failed_checks == () for b in day)
    report = gateway.booking_report(session, day[0].id)
    assert report["signature"]["key_id"] == day[0].key_id
    assert gateway.key_visits(session, "namerikawa", day[0].key_id) == 3

"""The office's desk: what staff do besides marking attendance, and moving a booking.

- **Book for a caller** (:func:`book_for_caller`): someone phones; staff book a free time with
  the office's own rules (an open day, a session start, the booking deadline, the horizon, no
  closure, the form's fields), through the web booking's own cleaner and insert, but not its
  limits per person (staff spoke with the caller). No report comes with it: the booking
  stores an empty report, a challenge spent at once, and ``booked_by = "staff:<id>"``; the
  console shows "no report". It is confirmed at once and the job seeker gets the booked mail
  with the calendar file.
- **Move** (:func:`move`): to another free session, staff from the console or the job seeker
  through their emailed link (reschedule.py, with the office's rules: not on the session's day,
  the new time bookable as a new booking would be). The unique index over live slots decides a
  race; the move is kept in ``booking_events`` (its detail names the old time) and mailed.
- **Meeting address** (:func:`set_office_meeting`, :func:`set_booking_meeting`): the TeleOffice
  or Zoom link, per office or per booking; booked, confirmed, moved and reminder mails carry it,
  and so does the booking's own page. Setting one for a booking mails it to the job seeker.
- **Bookings over a range of days** (:func:`range_view`) for the CSV export.

Every function is one transaction on the session it is given, like the service's operations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from precheck.gateway import closures, mail, rules
from precheck.gateway.models import (
    Booking,
    BookingEvent,
    BookingToken,
    OfficeSetting,
    Status,
    TokenPurpose,
)
from precheck.gateway.offices import TOKYO
from precheck.gateway.rules import RuleViolation
from precheck.gateway.service import (
    BookingCreated,
    BookingForm,
    BookingView,
    NotFound,
    RuleBroken,
    SlotTaken,
    StaleState,
)
from precheck.gateway.service.base import (
    GatewayBase,
    _cancel_expiry,
    _clean_reference,
    _is_slot_conflict,
    _release_lapsed_hold,
    _rowcount,
    _transaction,
    _view,
    manage_token,
)
from precheck.result import N_, Message

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from precheck.gateway.offices import OfficeProfile
    from precheck.gateway.service import Gateway

#: Statuses a booking can be moved from.
MOVABLE = (Status.PENDING, Status.CONFIRMED)
#: Deadline rules staff may override when they move a booking (they talk to the job seeker).
_STAFF_MAY_OVERRIDE = frozenset({"too_late", "too_far"})
URL_MAX = 500
#: How far ahead the days of one CSV export may reach.
MAX_EXPORT_DAYS = 366


@dataclass(frozen=True, slots=True)
class Moved:
    booking: BookingView
    old_start: datetime


# -- mails ----------------------------------------------------------------------------------------

def meeting_url(session: Session, booking: Booking) -> str | None:
    """The booking's meeting address, else its office's, else None."""
    return booking.meeting_url or _office_url(session, booking.office_id) or None


def _office_url(session: Session, office_id: str) -> str | None:
    return session.execute(select(OfficeSetting.meeting_url).where(
        OfficeSetting.office_id == office_id)).scalar_one_or_none()


def queue_mail(gw: GatewayBase, session: Session, office: OfficeProfile, booking: Booking,
               kind: str, *, token: str | None, now: datetime) -> None:
    """Queue a booking mail of ``kind`` (the caller's transaction), with the meeting address
    and, for the kinds that carry it, the calendar file."""
    created = booking.created_at
    sequence = max(0, int((now - created).total_seconds()))  # grows with every change
    mail.queue(session, kind, gw.settings, office, _view(booking), now=now, token=token,
               meeting_url=meeting_url(session, booking), sequence=sequence)


# -- booking for a caller -------------------------------------------------------------------------

def book_for_caller(gw: Gateway, session: Session, office_id: str, form: BookingForm, *,
                    staff_id: int, now: datetime) -> BookingCreated:
    """Book a session for someone who phoned (the office's rules; no report, no limits per
    person): the web booking's own path, Gateway.book_for_caller."""
    return gw.book_for_caller(session, office_id, form, staff_id=staff_id, now=now)


# -- moving ---------------------------------------------------------------------------------------

def move(gw: Gateway, session: Session, booking_id: int, new_start: datetime, *, actor: str,
         now: datetime, by_job_seeker: bool) -> Moved:
    """Move a pending or confirmed booking to ``new_start`` (a free session) and mail it."""
    with _transaction(session):
        booking = session.get(Booking, booking_id)
        if booking is None:
            raise NotFound(Message.of(N_("There is no such booking.")))
        office = gw.office(booking.office_id)
        if booking.status not in MOVABLE:
            raise StaleState(booking.status)
        old_start = booking.slot_start
        problems = _move_problems(session, office, old_start, new_start, now,
                                  by_job_seeker=by_job_seeker)
        if problems:
            raise RuleBroken(problems)
        _release_lapsed_hold(session, office.id, new_start, now)
        before = booking.status
        try:
            changed = session.execute(
                update(Booking)
                .where(Booking.id == booking.id, Booking.status == before,
                       Booking.slot_start == old_start)
                .values(slot_start=new_start, slot_end=new_start + office.slot,
                        reminder_sent_at=None, status_changed_at=now))
        except IntegrityError as exc:
            if _is_slot_conflict(exc):
                raise SlotTaken from exc
            raise
        if _rowcount(changed) != 1:
            session.refresh(booking)
            raise StaleState(booking.status)
        session.refresh(booking)
        # The links already mailed work until the end of the new session's day.
        session.execute(update(BookingToken).where(
            BookingToken.booking_id == booking.id, BookingToken.purpose == TokenPurpose.CANCEL,
            BookingToken.used_at.is_(None)).values(expires_at=_cancel_expiry(booking)))
        if booking.hold_expires_at is not None and booking.hold_expires_at > new_start:
            booking.hold_expires_at = new_start
        session.add(BookingEvent(
            booking_id=booking.id, at=now, from_status=before, to_status=before, actor=actor,
            detail=f"moved from {old_start.astimezone(TOKYO).isoformat(timespec='minutes')}"))
        token = manage_token(session, booking, now)  # also for one still to be confirmed
        queue_mail(gw, session, office, booking, "moved", token=token, now=now)
    return Moved(_view(booking), old_start.astimezone(TOKYO))


def _move_problems(session: Session, office: OfficeProfile, old_start: datetime,
                   new_start: datetime, now: datetime, *, by_job_seeker: bool
                   ) -> list[RuleViolation]:
    problems: list[RuleViolation] = []
    if by_job_seeker and rules.cancel_refusal(office, old_start, now) is not None:
        problems.append(RuleViolation("same_day_change", Message.of(N_(
            "A session on the day itself can only be changed by phone. Please call "
            "{office}{phone}."), office=office.name_ja,
            phone=f" ({office.phone})" if office.phone else "")))
    bookable = rules.check_bookable(office, new_start, now)
    if bookable is not None and (by_job_seeker or bookable.code not in _STAFF_MAY_OVERRIDE):
        problems.append(bookable)
    closed = closures.violation(session, office, new_start)
    if closed is not None:
        problems.append(closed)
    if office.local(new_start) == office.local(old_start):
        problems.append(RuleViolation("same_time", Message.of(N_(
            "The booking is already at that time. Please choose another time.")), "start"))
    return problems


def booking_by_manage_token(gw: Gateway, session: Session, token: str, now: datetime
                            ) -> BookingView:
    """The booking a manage (cancel) link names, changing nothing."""
    return gw.link_booking(session, token, TokenPurpose.CANCEL, now)


def move_by_link(gw: Gateway, session: Session, token: str, new_start: datetime,
                 now: datetime) -> Moved:
    """The job seeker moves their booking through the emailed link (the office's rules)."""
    view = gw.link_booking(session, token, TokenPurpose.CANCEL, now)
    return move(gw, session, view.id, new_start, actor="job seeker", now=now,
                by_job_seeker=True)


# -- meeting addresses ----------------------------------------------------------------------------

def clean_meeting_url(text: str) -> str | None:
    """An https address of at most 500 characters, or None for an empty field."""
    url = text.strip()
    if not url:
        return None
    parts = urlsplit(url)
    if (parts.scheme != "https" or not parts.netloc or len(url) > URL_MAX
            or any(c.isspace() or ord(c) < 32 for c in url)):
        raise RuleBroken([RuleViolation("meeting_url", Message.of(N_(
            "Give the meeting's address as a https:// link (TeleOffice or Zoom), at most "
            "{n} characters."), n=URL_MAX), "meeting_url")])
    return url


def office_meeting(session: Session, office_id: str) -> str | None:
    try:
        return _office_url(session, office_id)
    finally:
        session.rollback()


def set_office_meeting(gw: Gateway, session: Session, office_id: str, text: str, *,
                       actor: str, now: datetime) -> str | None:
    """The address every booking of the office gets unless it has its own (empty: none)."""
    office = gw.office(office_id)
    url = clean_meeting_url(text)
    with _transaction(session):
        row = session.get(OfficeSetting, office.id)
        if row is None:
            session.add(OfficeSetting(office_id=office.id, meeting_url=url, updated_at=now,
                                      updated_by=actor[:40]))
        else:
            row.meeting_url, row.updated_at, row.updated_by = url, now, actor[:40]
    return url


def set_booking_meeting(gw: Gateway, session: Session, booking_id: int, text: str, *,
                        actor: str, now: datetime) -> BookingView:
    """Give one booking its meeting address and mail it to the job seeker."""
    url = clean_meeting_url(text)
    with _transaction(session):
        booking = session.get(Booking, booking_id)
        if booking is None:
            raise NotFound(Message.of(N_("There is no such booking.")))
        if booking.status not in MOVABLE:
            raise StaleState(booking.status)
        booking.meeting_url = url
        session.add(BookingEvent(booking_id=booking.id, at=now, from_status=booking.status,
                                 to_status=booking.status, actor=actor,
                                 detail="meeting address set" if url else
                                 "meeting address removed"))
        session.flush()
        if url and booking.status == Status.CONFIRMED:
            office = gw.office(booking.office_id)
            token = manage_token(session, booking, now)
            queue_mail(gw, session, office, booking, "meeting", token=token, now=now)
    return _view(booking)


def effective_meeting(session: Session, view: BookingView) -> str | None:
    """What the booking's page shows: its own address, else the office's."""
    try:
        return view.meeting_url or _office_url(session, view.office_id) or None
    finally:
        session.rollback()


# -- looking up -----------------------------------------------------------------------------------

def range_view(gw: Gateway, session: Session, office_id: str, first: date, last: date
               ) -> list[BookingView]:
    """Every booking of the office from ``first`` to ``last`` (Asia/Tokyo), by start time."""
    office = gw.office(office_id)
    if last < first or (last - first).days >= MAX_EXPORT_DAYS:
        raise RuleBroken([RuleViolation("range", Message.of(N_(
            "Choose a range of 1 to {days} days, the first day not after the last."),
            days=MAX_EXPORT_DAYS))])
    low = datetime.combine(first, time(0), TOKYO)
    high = datetime.combine(last + timedelta(days=1), time(0), TOKYO)
    try:
        rows = session.execute(select(Booking).where(
            Booking.office_id == office.id, Booking.slot_start >= low, Booking.slot_start < high)
            .order_by(Booking.slot_start, Booking.id)).scalars().all()
        return [_view(row) for row in rows]
    finally:
        session.rollback()


def booking_id_of(session: Session, reference: str) -> int | None:
    try:
        return session.execute(select(Booking.id).where(
            Booking.reference == _clean_reference(reference))).scalar_one_or_none()
    finally:
        session.rollback()


def history(session: Session, booking_id: int) -> list[BookingEvent]:
    """The booking's audit trail, oldest first."""
    try:
        return list(session.execute(select(BookingEvent).where(
            BookingEvent.booking_id == booking_id).order_by(BookingEvent.id)).scalars())
    finally:
        session.rollback()

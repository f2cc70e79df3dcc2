"""Booking: the free slots, a new booking, and its confirm and cancel links."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from precheck.gateway import closures, gate, metrics, rules
from precheck.gateway.models import LIVE, Booking, BookingEvent, BookingToken, Status, TokenPurpose
from precheck.gateway.offices import TOKYO, OfficeProfile
from precheck.gateway.rules import RuleViolation
from precheck.gateway.service.base import (
    _aware,
    _is_slot_conflict,
    _new_token,
    _reference,
    _release_lapsed_hold,
    _rowcount,
    _sha256,
    _source,
    _spent_challenge,
    _transaction,
    _view,
    manage_token,
)
from precheck.gateway.service.challenges import ChallengeOps
from precheck.gateway.service.errors import (
    LinkExpired,
    NotFound,
    RuleBroken,
    SlotTaken,
    StaleState,
)
from precheck.gateway.service.standing import StandingOps
from precheck.gateway.service.values import (
    BookingConfirmed,
    BookingCreated,
    BookingForm,
    BookingView,
    SlotView,
)
from precheck.result import N_, Message

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = logging.getLogger(__name__)


#: The longest stretch of days one slot listing may cover.
MAX_LISTING_DAYS = 62


class BookingOps(ChallengeOps, StandingOps):
    """Slots, booking, confirming and cancelling."""

    def list_slots(self, session: Session, office_id: str, first: date, last: date,
                   now: datetime) -> list[SlotView]:
        """Every session of the office's grid from ``first`` to ``last`` and whether it is free.

        A slot is free when the office's rules let it be booked now and no live booking holds
        it (a pending booking whose link lapsed holds nothing, swept or not).
        """
        office = self.office(office_id)
        _aware(now)
        if last < first or (last - first).days >= MAX_LISTING_DAYS:
            raise RuleBroken([RuleViolation("range", Message.of(N_(
                "Choose a range of 1 to {days} days, the first day not after the last."),
                days=MAX_LISTING_DAYS))])
        starts: list[datetime] = []
        day = first
        while day <= last:
            try:
                starts += rules.day_slots(office, day)
            except rules.HolidayDataMissing as exc:
                session.rollback()
                raise RuleBroken([RuleViolation("calendar_unknown", exc.message, "start")]) from exc
            day += timedelta(days=1)
        try:
            taken = self._taken(session, office.id, first, last, now)
            taken |= {s.astimezone(UTC) for s in closures.closed_starts(session, office, starts)}
        finally:
            session.rollback()
        return [SlotView(s, s + office.slot,
                         s.astimezone(UTC) not in taken
                         and rules.check_bookable(office, s, now) is None)
                for s in starts]

    def _taken(self, session: Session, office_id: str, first: date, last: date,
               now: datetime) -> set[datetime]:
        low = datetime.combine(first, time(0), TOKYO)
        high = datetime.combine(last + timedelta(days=1), time(0), TOKYO)
        rows = session.execute(
            select(Booking.slot_start).where(
                Booking.office_id == office_id,
                Booking.slot_start >= low, Booking.slot_start < high,
                Booking.status.in_(LIVE),
                (Booking.status != Status.PENDING) | (Booking.hold_expires_at > now)))
        return {start for (start,) in rows}

    @metrics.observe_booking
    def create_booking(self, session: Session, office_id: str, form: BookingForm,
                       report: object, now: datetime, *, client: str | None = None,
                       channel: str = "booking") -> BookingCreated:
        """Book ``form.start`` at the office if its rules, the form and the report allow it.

        Raises, in this order: RuleBroken (the office's rules and the form, all at once; or
        online booking blocked after no-shows; or the limits per person and per address),
        GateRejected (every broken rule of the report, its measurements included), SlotTaken
        (the unique index said so, whatever process booked it first). The same request sent
        again (same challenge, same report) returns the booking it made, without new links.
        The access-history row of a booking made is written in the booking's own transaction
        (``channel`` names the way it came: the API's "booking", the pages' "page_booking").
        """
        office = self.office(office_id)
        _aware(now)
        clean = clean_form(office, form, now)
        inspection = gate.inspect(report, self.gate, now)
        key_id = inspection.accepted.key_id if inspection.accepted else None
        if inspection.accepted is not None and _source(inspection.accepted.document) == "browser":
            # This gateway signs every browser check's report with its own key: that key names
            # no device, so it counts towards no person's limit and no no-show standing.
            key_id = None
        with _transaction(session):
            if inspection.accepted is not None:
                existing = self._existing(session, inspection.accepted, office.id, form.start)
                if existing is not None:
                    log.info("booking %s asked for again: the same answer", existing.id)
                    return BookingCreated(_view(existing), None, None, repeated=True)
            self._refuse_booking(session, office, form.start, clean=clean, key_id=key_id,
                                 client=client, now=now)
            accepted = self._admit(session, office, inspection, now)
            booking = self._insert_booking(session, office, form.start, clean=clean,
                                           language=form.language, now=now, accepted=accepted,
                                           client=client)
            confirm_token, cancel_token = self._first_link(session, office, booking, now)
            self._access(session, channel, "ok", now, client=client, office_id=office.id,
                         booking_id=booking.id, device_id=inspection.device_id)
        log.info("booking %s made at office %s (%s)", booking.id, office.id, booking.status)
        return BookingCreated(_view(booking), confirm_token, cancel_token)

    def book_for_caller(self, session: Session, office_id: str, form: BookingForm, *,
                        staff_id: int, now: datetime) -> BookingCreated:
        """Book a session for someone who phoned (desk.py): the office's rules and form as
        online, but no report and none of the limits per person (staff spoke with them);
        confirmed at once, with its cancel link mailed."""
        office = self.office(office_id)
        clean = clean_form(office, form, now)
        with _transaction(session):
            self._refuse_booking(session, office, form.start, clean=clean, key_id=None,
                                 client=None, now=now, person_limits=False)
            booking = self._insert_booking(session, office, form.start, clean=clean,
                                           language=form.language, now=now,
                                           booked_by=f"staff:{staff_id}")
            _, cancel_token = self._first_link(session, office, booking, now)
        metrics.staff_booking()
        return BookingCreated(_view(booking), None, cancel_token)

    def _refuse_booking(self, session: Session, office: OfficeProfile, start: datetime, *,
                        clean: Mapping[str, str], key_id: str | None, client: str | None,
                        now: datetime, person_limits: bool = True) -> None:
        """RuleBroken when the person may not book (blocked after no-shows, over the limits:
        not asked when staff book for a caller, ``person_limits`` False) or the time is closed."""
        if person_limits:
            self._refuse_person(session, office, clean=clean, key_id=key_id, client=client,
                                now=now)
        closed = closures.violation(session, office, start)
        if closed is not None:
            raise RuleBroken([closed])

    def _insert_booking(self, session: Session, office: OfficeProfile, start: datetime, *,
                        clean: Mapping[str, str], language: str, now: datetime,
                        accepted: gate.AcceptedReport | None = None, client: str | None = None,
                        booked_by: str | None = None) -> Booking:
        """The new booking (SlotTaken when the live-slot index says the slot is held). Without
        a report (``accepted`` None) it is staff's booking for a caller (``booked_by``):
        confirmed at once, an empty report and a challenge spent at once."""
        # A lapsed hold on this slot is let go first, in this transaction: the index then has
        # room, and nothing depends on the sweeper having run (models.py).
        _release_lapsed_hold(session, office.id, start, now)
        expires = rules.confirmation_expires(office, now) if accepted is not None else None
        booking = Booking(
            reference=_reference(), office_id=office.id, slot_start=start,
            slot_end=start + office.slot,
            status=Status.PENDING if expires is not None else Status.CONFIRMED,
            hold_expires_at=None if expires is None else min(expires, start),
            name=clean.get("name", ""), email=clean.get("email", ""),
            phone=clean.get("phone"), jobseeker_number=clean.get("jobseeker_number"),
            note=clean.get("note"), language=language,
            report=dict(accepted.document) if accepted else {},
            report_digest=accepted.digest if accepted else "",
            key_id=accepted.key_id if accepted else "",
            challenge_id=(self._challenge_id(session, accepted.challenge) if accepted
                          else _spent_challenge(session, office.id, now)),
            created_at=now, confirmed_at=None if expires is not None else now,
            status_changed_at=now, client=self.keyed("client:" + client) if client else None,
            booked_by=booked_by)
        session.add(booking)
        try:
            session.flush()
        except IntegrityError as exc:
            if _is_slot_conflict(exc):
                raise SlotTaken from exc
            raise
        session.add(BookingEvent(booking_id=booking.id, at=now, from_status=None,
                                 to_status=booking.status, actor=booked_by or "job seeker",
                                 detail=None if accepted else "booked for a caller; no report"))
        return booking

    def _first_link(self, session: Session, office: OfficeProfile, booking: Booking,
                    now: datetime) -> tuple[str | None, str | None]:
        """The one link a new booking needs, mailed: (confirm, None) for a booking waiting for
        confirmation, else (None, cancel)."""
        if booking.status == Status.PENDING:
            assert booking.hold_expires_at is not None  # noqa: S101 - set for PENDING
            token = _new_token(session, booking, TokenPurpose.CONFIRM, booking.hold_expires_at,
                               now)
            self._mail(session, office, booking, "confirm", token=token, now=now)
            return token, None
        token = manage_token(session, booking, now)
        self._mail(session, office, booking, "booked", token=token, now=now)
        return None, token

    def link_booking(self, session: Session, token: str, purpose: str, now: datetime
                     ) -> BookingView:
        """The booking a confirm or cancel link is about, changing nothing (the link's page).

        NotFound for a token that never existed; LinkExpired when it lapsed or was used.
        """
        try:
            return _view(self._token_booking(session, token, purpose, now)[1])
        finally:
            session.rollback()

    def confirm_booking(self, session: Session, token: str, now: datetime) -> BookingConfirmed:
        """Confirm a pending booking (the page's button): pending -> confirmed, once.

        A second press gets StaleState("confirmed"); a lapsed hold gets LinkExpired.
        """
        with _transaction(session):
            row, booking = self._token_booking(session, token, TokenPurpose.CONFIRM, now)
            changed = session.execute(
                update(Booking)
                .where(Booking.id == booking.id, Booking.status == Status.PENDING,
                       Booking.hold_expires_at > now)
                .values(status=Status.CONFIRMED, confirmed_at=now, hold_expires_at=None,
                        status_changed_at=now))
            if _rowcount(changed) != 1:
                session.refresh(booking)
                if booking.status == Status.PENDING:  # still pending, but its hold lapsed
                    raise _lapsed_link(TokenPurpose.CONFIRM)
                raise StaleState(booking.status)
            row.used_at = now
            session.add(BookingEvent(booking_id=booking.id, at=now, from_status=Status.PENDING,
                                     to_status=Status.CONFIRMED, actor="job seeker"))
            session.refresh(booking)
            office = self.office(booking.office_id)
            cancel_token = manage_token(session, booking, now)
            self._mail(session, office, booking, "confirmed", token=cancel_token, now=now)
        log.info("booking %s confirmed", booking.id)
        return BookingConfirmed(_view(booking), cancel_token)

    def cancel_booking(self, session: Session, token: str, now: datetime) -> BookingView:
        """Cancel online (the page's button), unless the session is today: then RuleBroken
        with the office's phone number (same-day cancellation is by phone only)."""
        with _transaction(session):
            row, booking = self._token_booking(session, token, TokenPurpose.CANCEL, now)
            office = self.office(booking.office_id)
            refusal = rules.cancel_refusal(office, booking.slot_start, now)
            if refusal is not None:
                raise RuleBroken([refusal])
            before = booking.status
            changed = session.execute(
                update(Booking)
                .where(Booking.id == booking.id,
                       Booking.status.in_((Status.PENDING, Status.CONFIRMED)))
                .values(status=Status.CANCELLED_BY_USER, status_changed_at=now))
            if _rowcount(changed) != 1:
                session.refresh(booking)
                raise StaleState(booking.status)
            row.used_at = now
            session.add(BookingEvent(booking_id=booking.id, at=now, from_status=before,
                                     to_status=Status.CANCELLED_BY_USER, actor="job seeker"))
            session.refresh(booking)
            self._mail(session, office, booking, "cancelled", token=None, now=now)
        log.info("booking %s cancelled by the job seeker", booking.id)
        return _view(booking)

    def _token_booking(self, session: Session, token: str, purpose: str, now: datetime
                       ) -> tuple[BookingToken, Booking]:
        row = session.execute(select(BookingToken).where(
            BookingToken.token_hash == _sha256(token), BookingToken.purpose == purpose)
        ).scalar_one_or_none()
        if row is None:
            raise NotFound(Message.of(N_(
                "This link is not known. Please use the link from your latest email.")))
        if row.used_at is not None or row.expires_at <= now:
            booking = session.get(Booking, row.booking_id)
            if booking is not None and row.used_at is not None and booking.status != Status.PENDING:
                raise StaleState(booking.status)
            raise _lapsed_link(purpose)
        booking = session.get(Booking, row.booking_id)
        if booking is None:  # a token always has its booking (foreign key); defensive
            raise NotFound(Message.of(N_("This booking no longer exists.")))
        return row, booking



def clean_form(office: OfficeProfile, form: BookingForm, now: datetime) -> dict[str, str]:
    """The form's fields as the office's rules clean them, or RuleBroken with all that is
    wrong at once (the time, the fields, the language): online and for a caller alike."""
    violations: list[RuleViolation] = []
    bookable = rules.check_bookable(office, _aware(form.start), now)
    if bookable is not None:
        violations.append(bookable)
    clean, problems = rules.check_fields(office, form.fields())
    violations += problems
    if form.language not in gate.LANGUAGES:
        violations.append(RuleViolation("language", Message.of(N_(
            "Choose Japanese (ja) or English (en)."))))
    if violations:
        raise RuleBroken(violations)
    return clean


def _lapsed_link(purpose: str) -> LinkExpired:
    if purpose == TokenPurpose.CANCEL:
        return LinkExpired(Message.of(N_(
            "This cancel link has lapsed: the day of the session is over.")))
    return LinkExpired(Message.of(N_(
        "This link has lapsed. A booking not confirmed within the time given in the email is "
        "released: please book again.")))

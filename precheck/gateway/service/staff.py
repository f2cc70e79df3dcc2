"""What staff do with bookings: status changes (compare-and-swap) and looking bookings up."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update

from precheck.gateway import rules
from precheck.gateway.models import Booking, BookingEvent, Status
from precheck.gateway.offices import TOKYO
from precheck.gateway.rules import RuleViolation
from precheck.gateway.service.base import (
    _aware,
    _by_reference,
    _rowcount,
    _transaction,
    _view,
)
from precheck.gateway.service.errors import STATUS_LABELS, NotFound, RuleBroken, StaleState
from precheck.gateway.service.standing import StandingOps
from precheck.gateway.service.values import BookingView
from precheck.result import N_, Message

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = logging.getLogger(__name__)


#: Status changes staff may make: expected -> allowed new statuses.
STAFF_TRANSITIONS: Mapping[str, frozenset[str]] = MappingProxyType({
    Status.PENDING: frozenset({Status.CANCELLED_BY_OFFICE}),
    Status.CONFIRMED: frozenset({Status.ATTENDED, Status.NO_SHOW, Status.CANCELLED_BY_OFFICE}),
    Status.NO_SHOW: frozenset({Status.ATTENDED}),  # they had called: a correction
    Status.ATTENDED: frozenset({Status.NO_SHOW}),  # marked by mistake
})


class StaffOps(StandingOps):
    """Staff's status changes and look-ups."""

    def set_status(self, session: Session, booking_id: int, expected: str, new: str, *,
                   staff_id: int, now: datetime) -> BookingView:
        """A staff member's status change, applied only if the booking is still ``expected``.

        Allowed changes: STAFF_TRANSITIONS. No-show only from the no-show time on. A no-show
        counts against the job seeker; undoing one takes it back.
        """
        _aware(now)
        if new not in STAFF_TRANSITIONS.get(expected, frozenset()):
            raise RuleBroken([RuleViolation("transition", Message.of(N_(
                "A booking that is {old} cannot be changed to {new}."),
                old=Message.of(STATUS_LABELS.get(expected, expected)),
                new=Message.of(STATUS_LABELS.get(new, new))))])
        with _transaction(session):
            booking = session.get(Booking, booking_id)
            if booking is None:
                raise NotFound(Message.of(N_("There is no such booking.")))
            office = self.office(booking.office_id)
            if new == Status.NO_SHOW and now < rules.no_show_at(office, booking.slot_start):
                raise RuleBroken([RuleViolation("too_early", Message.of(N_(
                    "A booking can be marked as missed only {minutes} minutes after its start."),
                    minutes=int(office.no_show_after.total_seconds() // 60)))])
            changed = session.execute(
                update(Booking).where(Booking.id == booking_id, Booking.status == expected)
                .values(status=new, status_changed_at=now))
            if _rowcount(changed) != 1:
                session.refresh(booking)
                raise StaleState(booking.status)
            session.add(BookingEvent(booking_id=booking_id, at=now, from_status=expected,
                                     to_status=new, actor=f"staff:{staff_id}"))
            subjects = self._subjects(booking.email, booking.jobseeker_number, booking.key_id)
            if new == Status.NO_SHOW:
                self._count_no_show(session, office, subjects, now, +1)
            elif expected == Status.NO_SHOW:
                self._count_no_show(session, office, subjects, now, -1)
            if new == Status.CANCELLED_BY_OFFICE:
                session.refresh(booking)
                self._mail(session, office, booking, "office_cancelled", token=None, now=now)
            session.refresh(booking)
        log.info("booking %s: %s -> %s by staff %s", booking_id, expected, new, staff_id)
        return _view(booking)

    def day_view(self, session: Session, office_id: str, day: date) -> list[BookingView]:
        """Every booking of the office on ``day`` (Asia/Tokyo), any status, by start time."""
        office = self.office(office_id)
        low = datetime.combine(day, time(0), TOKYO)
        try:
            rows = session.execute(
                select(Booking).where(
                    Booking.office_id == office.id, Booking.slot_start >= low,
                    Booking.slot_start < low + timedelta(days=1))
                .order_by(Booking.slot_start, Booking.id)).scalars().all()
            return [_view(row) for row in rows]
        finally:
            session.rollback()

    def find_booking(self, session: Session, reference: str) -> BookingView:
        """One booking by its reference (as typed: case and hyphens do not matter)."""
        try:
            return _view(_by_reference(session, reference))
        finally:
            session.rollback()

    def get_booking(self, session: Session, booking_id: int) -> BookingView:
        """One booking by its id (staff), or NotFound."""
        try:
            booking = session.get(Booking, booking_id)
            if booking is None:
                raise NotFound(Message.of(N_("There is no such booking.")))
            return _view(booking)
        finally:
            session.rollback()

    def booking_report(self, session: Session, booking_id: int, *, checkin: bool = False
                       ) -> Mapping[str, Any] | None:
        """The report stored with the booking (or with its check-in), as it was received."""
        try:
            booking = session.get(Booking, booking_id)
            if booking is None:
                raise NotFound(Message.of(N_("There is no such booking.")))
            return booking.checkin_report if checkin else booking.report
        finally:
            session.rollback()

    def key_visits(self, session: Session, office_id: str, key_id: str) -> int:
        """How many bookings at the office were made with this device key (continuity)."""
        try:
            return session.execute(select(func.count()).select_from(Booking).where(
                Booking.office_id == office_id, Booking.key_id == key_id)).scalar_one()
        finally:
            session.rollback()

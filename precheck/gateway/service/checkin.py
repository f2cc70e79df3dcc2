"""Check-in on the day of the session, with a fresh report from the booking's owner."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from precheck.gateway import gate, rules
from precheck.gateway.gate import Reason
from precheck.gateway.models import Booking, BookingToken, Status
from precheck.gateway.offices import OfficeProfile
from precheck.gateway.rules import RuleViolation
from precheck.gateway.service.base import (
    _aware,
    _by_reference,
    _rowcount,
    _sha256,
    _transaction,
    _view,
)
from precheck.gateway.service.challenges import ChallengeOps
from precheck.gateway.service.errors import RuleBroken, StaleState
from precheck.gateway.service.values import BookingView
from precheck.result import N_, Message

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = logging.getLogger(__name__)


class CheckInOps(ChallengeOps):
    """Checking in."""

    def check_in(self, session: Session, reference: str, report: object, now: datetime, *,
                 secret: str | None = None) -> BookingView:
        """Check in on the day of the session with a fresh report that passes the gate.

        Only the booking's owner may: the report must be signed by the device key that booked,
        or ``secret`` must be a link token from the booking's own emails (a new computer);
        anyone else gets GateRejected(not_owner). Open from the start of the day until the
        no-show time (start + 10 minutes); after that, or on another day, RuleBroken says what
        to do. A second check-in gets StaleState.
        """
        _aware(now)
        with _transaction(session):
            booking = _by_reference(session, reference)
            office = self.office(booking.office_id)
            if booking.status != Status.CONFIRMED:
                raise StaleState(booking.status)
            if booking.checked_in_at is not None:
                raise StaleState("checked_in")
            self._check_in_window(office, booking, now)
            inspection = gate.inspect(report, self.gate, now)
            owner = inspection.key_id == booking.key_id
            # A report refused before its key was known is refused for that alone.
            unread = inspection.key_id is None and inspection.reasons
            refused: list[Reason] = []
            if not owner and not unread and not self._holds_secret(session, booking, secret):
                refused.append(Reason(gate.NOT_OWNER, Message.of(N_(
                    "Only the person who made the booking can check in: use the computer you "
                    "booked with, or the link from the booking's email."))))
            accepted = self._admit(session, office, inspection, now, refused)
            changed = session.execute(
                update(Booking)
                .where(Booking.id == booking.id, Booking.status == Status.CONFIRMED,
                       Booking.checked_in_at.is_(None))
                .values(checked_in_at=now, checkin_report=dict(accepted.document),
                        checkin_report_digest=accepted.digest, checkin_key_id=accepted.key_id))
            if _rowcount(changed) != 1:
                session.refresh(booking)
                raise StaleState(booking.status if booking.checked_in_at is None
                                 else "checked_in")
            session.refresh(booking)
        log.info("booking %s checked in", booking.id)
        return _view(booking)

    @staticmethod
    def _holds_secret(session: Session, booking: Booking, secret: str | None) -> bool:
        """True when ``secret`` is one of the booking's own link tokens (from its emails)."""
        if not secret or len(secret) > 200:
            return False
        found = session.execute(select(BookingToken.id).where(
            BookingToken.token_hash == _sha256(secret),
            BookingToken.booking_id == booking.id)).first()
        return found is not None

    @staticmethod
    def _check_in_window(office: OfficeProfile, booking: Booking, now: datetime) -> None:
        start = office.local(booking.slot_start)
        if office.local(now).date() != start.date():
            raise RuleBroken([RuleViolation("checkin_not_today", Message.of(N_(
                "Check-in opens on the day of the session ({date}). Please check in on "
                "that day, before {time}."), date=start.date().isoformat(),
                time=start.strftime("%H:%M")))])
        if now >= rules.no_show_at(office, start):
            raise RuleBroken([RuleViolation("checkin_too_late", Message.of(N_(
                "It is more than {minutes} minutes after the start, too late to check in. "
                "Please phone {office}{phone}."),
                minutes=int(office.no_show_after.total_seconds() // 60), office=office.name_ja,
                phone=f" ({office.phone})" if office.phone else ""))])

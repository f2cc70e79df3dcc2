"""A job seeker's standing: no-shows, the block they lead to, and the office's limits per
person and per address."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, time
from typing import TYPE_CHECKING

from sqlalchemy import func, literal, select, update

from precheck.gateway import rules
from precheck.gateway.models import Booking, NoShowStanding, Status
from precheck.gateway.offices import TOKYO, OfficeProfile
from precheck.gateway.rules import RuleViolation
from precheck.gateway.service.base import (
    GatewayBase,
    _clean_reference,
    _dialect_insert,
    _printable,
    _rowcount,
    _transaction,
)
from precheck.gateway.service.errors import NotFound, RuleBroken
from precheck.gateway.service.values import BookingView, Standing
from precheck.result import N_, Message

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = logging.getLogger(__name__)


class StandingOps(GatewayBase):
    """No-shows, blocks and the limits per person."""

    def standing(self, session: Session, office_id: str, *, email: str | None = None,
                 jobseeker_number: str | None = None, key_id: str | None = None) -> Standing:
        """A job seeker's no-shows at the office and whether online booking is blocked."""
        office = self.office(office_id)
        try:
            return self._standing(session, office,
                                  self._subjects(email, jobseeker_number, key_id))
        finally:
            session.rollback()

    def booking_standing(self, session: Session, booking: BookingView) -> Standing:
        """The standing of the job seeker who made ``booking``."""
        return self.standing(session, booking.office_id, email=booking.email,
                             jobseeker_number=booking.jobseeker_number, key_id=booking.key_id)

    def lift_block(self, session: Session, office_id: str, *, email: str | None = None,
                   jobseeker_number: str | None = None, key_id: str | None = None,
                   reference: str | None = None, actor: str, now: datetime) -> int:
        """Let a job seeker book online again: their no-show count goes back to 0.

        Name them by email, 求職番号, device key or a booking's reference (all of that booking's
        identities). Returns how many blocked identities were lifted.
        """
        office = self.office(office_id)
        with _transaction(session):
            if reference is not None:
                booking = session.execute(select(Booking).where(
                    Booking.reference == _clean_reference(reference))).scalar_one_or_none()
                if booking is None or booking.office_id != office.id:
                    raise NotFound(Message.of(N_(
                        "There is no booking {reference} at this office."),
                        reference=_printable(reference).strip()[:20]))
                email = email or booking.email
                jobseeker_number = jobseeker_number or booking.jobseeker_number
                key_id = key_id or booking.key_id
            subjects = self._subjects(email, jobseeker_number, key_id)
            lifted = session.execute(
                update(NoShowStanding)
                .where(NoShowStanding.office_id == office.id,
                       NoShowStanding.subject.in_(subjects),
                       NoShowStanding.no_shows >= office.no_show_limit)
                .values(no_shows=0, blocked_at=None, lifted_at=now, lifted_by=actor[:40]))
            count = _rowcount(lifted)
        log.info("%s no-show block(s) lifted at office %s", count, office.id)
        return count

    def _limit_violations(self, session: Session, office: OfficeProfile, *,
                          clean: Mapping[str, str], key_id: str | None, client: str | None,
                          now: datetime) -> list[RuleViolation]:
        """The office's limits per person and per address (offices.BookingLimits): one person
        cannot fill the calendar with forged identities from one place, nor one identity
        with many bookings."""
        limits = office.limits
        live = (Booking.slot_end > now) & (
            (Booking.status == Status.CONFIRMED)
            | ((Booking.status == Status.PENDING) & (Booking.hold_expires_at > now)))
        number, email = clean.get("jobseeker_number"), clean.get("email")
        day = datetime.combine(office.local(now).date(), time(0), TOKYO)
        keyed = self.keyed("client:" + client) if client else None
        # One query for the four counts (FILTER: SQLite 3.30+ and PostgreSQL).
        counts = session.execute(select(
            func.count().filter(live & (Booking.jobseeker_number == number))
            if number else literal(0),
            func.count().filter(live & (func.lower(Booking.email) == email.lower()))
            if email else literal(0),
            func.count().filter(live & (Booking.key_id == key_id)) if key_id else literal(0),
            func.count().filter((Booking.created_at >= day) & (Booking.client == keyed))
            if keyed else literal(0),
        ).where(Booking.office_id == office.id)).one()
        found: list[RuleViolation] = []
        checks = (
            ("limit_jobseeker_number", limits.live_per_jobseeker_number, counts[0],
             "jobseeker_number",
             N_("This job-seeker number already has {count} booking(s) at this office "
                "(at most {limit} at a time). To change the time, cancel the booking first "
                "with the link in its email, or phone the office.")),
            ("limit_email", limits.live_per_email, counts[1], "email",
             N_("This email address already has {count} booking(s) at this office (at most "
                "{limit} at a time). To change the time, cancel the booking first with the "
                "link in its email, or phone the office.")),
            ("limit_device", limits.live_per_device, counts[2], None,
             N_("This computer already has {count} booking(s) at this office (at most {limit} "
                "at a time). To change the time, cancel the booking first with the link in "
                "its email, or phone the office.")),
            ("limit_address", limits.per_address_per_day, counts[3], None,
             N_("Too many bookings were made from this connection today ({count}; at "
                "most {limit} a day). Please try again tomorrow or phone the office.")),
        )
        for code, limit, count, field_name, text in checks:
            if count >= limit:
                found.append(RuleViolation(code, Message.of(text, count=count, limit=limit),
                                           field_name))
        return found

    def _refuse_person(self, session: Session, office: OfficeProfile, *,
                       clean: Mapping[str, str], key_id: str | None, client: str | None,
                       now: datetime) -> None:
        """RuleBroken when the job seeker may not book now: blocked after no-shows, or over
        the office's limits per person or per address."""
        subjects = self._subjects(clean.get("email"), clean.get("jobseeker_number"), key_id)
        self._lock_people(session, office, subjects, client)
        if self._standing(session, office, subjects).blocked:
            raise RuleBroken([rules.blocked_violation(office)])
        limited = self._limit_violations(session, office, clean=clean, key_id=key_id,
                                         client=client, now=now)
        if limited:
            raise RuleBroken(limited)

    def _lock_people(self, session: Session, office: OfficeProfile, subjects: Sequence[str],
                     client: str | None) -> None:
        """On PostgreSQL, take transaction locks on the person's identities and address at the
        office, so two bookings of one person racing each other are counted one after the
        other (READ COMMITTED would let both see no booking). SQLite's writers queue anyway."""
        if session.get_bind().dialect.name != "postgresql":
            return
        names = [*subjects, *([self.keyed("client:" + client)] if client else [])]
        keys = sorted({int.from_bytes(hashlib.sha256(f"{office.id}|{name}".encode()).digest()[:8],
                                      "big", signed=True) for name in names})
        if keys:  # one round trip; always in the same order, so no two bookings deadlock
            session.execute(select(*[func.pg_advisory_xact_lock(key) for key in keys]))

    def _subjects(self, email: str | None, jobseeker_number: str | None,
                  key_id: str | None) -> list[str]:
        """Keyed hashes naming a job seeker: their email, 求職番号 and device key."""
        found: list[str] = []
        if email:
            found.append(self.keyed("email:" + email.strip().lower()))
        if jobseeker_number:
            found.append(self.keyed("number:" + jobseeker_number.strip()))
        if key_id:
            found.append(self.keyed("key:" + key_id))
        return found

    def _standing(self, session: Session, office: OfficeProfile, subjects: Sequence[str]
                  ) -> Standing:
        if not subjects:
            return Standing(0, blocked=False)
        most = session.execute(select(func.max(NoShowStanding.no_shows)).where(
            NoShowStanding.office_id == office.id, NoShowStanding.subject.in_(subjects))
        ).scalar_one_or_none() or 0
        return Standing(most, rules.is_blocked(office, most))

    def _count_no_show(self, session: Session, office: OfficeProfile, subjects: Iterable[str],
                       now: datetime, step: int) -> None:
        for subject in subjects:
            _upsert_standing(session, office.id, subject, step)
        session.execute(
            update(NoShowStanding)
            .where(NoShowStanding.office_id == office.id,
                   NoShowStanding.no_shows >= office.no_show_limit,
                   NoShowStanding.blocked_at.is_(None))
            .values(blocked_at=now))
        session.execute(
            update(NoShowStanding)
            .where(NoShowStanding.office_id == office.id,
                   NoShowStanding.no_shows < office.no_show_limit,
                   NoShowStanding.blocked_at.is_not(None))
            .values(blocked_at=None))


def _upsert_standing(session: Session, office_id: str, subject: str, step: int) -> None:
    insert = _dialect_insert(session)
    statement = insert(NoShowStanding).values(office_id=office_id, subject=subject,
                                              no_shows=max(step, 0))
    session.execute(statement.on_conflict_do_update(
        index_elements=[NoShowStanding.office_id, NoShowStanding.subject],
        set_={"no_shows": func.max(NoShowStanding.no_shows + step, 0)
              if session.get_bind().dialect.name == "sqlite"
              else func.greatest(NoShowStanding.no_shows + step, 0)}))

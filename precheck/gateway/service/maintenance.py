"""Upkeep: the sweeper (lapsed holds, no-shows, purging), rate limits and the access history."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, update
from sqlalchemy.exc import SQLAlchemyError

from precheck.gateway import metrics
from precheck.gateway.models import (
    Booking,
    BookingEvent,
    BrowserCheck,
    Challenge,
    RateBucket,
    StaffSession,
    Status,
)
from precheck.gateway.service.base import _aware, _dialect_insert, _rowcount, _transaction
from precheck.gateway.service.errors import CommitUncertain, RateLimited
from precheck.gateway.service.standing import StandingOps
from precheck.gateway.service.values import SweepCounts

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from precheck.gateway.settings import RateLimit

log = logging.getLogger(__name__)


#: Used challenges are kept (bookings refer to them); unused ones are deleted this long after
#: they lapse.
_CHALLENGE_RETENTION = timedelta(days=1)


class MaintenanceOps(StandingOps):
    """Sweeping, rate limits and the access history."""

    def sweep(self, session: Session, now: datetime) -> SweepCounts:
        """Tidy up (run by each process's sweeper; safe to run in many at once).

        Lapsed holds become ``expired`` (for staff's view; they hold nothing already), confirmed
        bookings without check-in become ``no_show`` at start + no_show_after and count against
        the job seeker, and unused challenges, old rate-limit windows, ended staff sessions and
        lapsed browser checks are deleted.
        """
        _aware(now)
        with _transaction(session):
            lapsed = session.execute(
                update(Booking)
                .where(Booking.status == Status.PENDING, Booking.hold_expires_at <= now)
                .values(status=Status.EXPIRED, status_changed_at=now)
                .returning(Booking.id)).scalars().all()
            for booking_id in lapsed:
                session.add(BookingEvent(booking_id=booking_id, at=now,
                                         from_status=Status.PENDING, to_status=Status.EXPIRED,
                                         actor="system"))
            no_shows = 0
            for office in self.offices.values():
                missed = session.execute(
                    update(Booking)
                    .where(Booking.office_id == office.id, Booking.status == Status.CONFIRMED,
                           Booking.checked_in_at.is_(None),
                           # A caller staff booked may have no app to check in with: staff mark
                           Booking.booked_by.is_(None),
                           Booking.slot_start <= now - office.no_show_after)
                    .values(status=Status.NO_SHOW, status_changed_at=now)
                    .returning(Booking.id, Booking.email, Booking.jobseeker_number,
                               Booking.key_id)).all()
                for booking_id, email, number, key_id in missed:
                    session.add(BookingEvent(booking_id=booking_id, at=now,
                                             from_status=Status.CONFIRMED,
                                             to_status=Status.NO_SHOW, actor="system"))
                    self._count_no_show(session, office, self._subjects(email, number, key_id),
                                        now, +1)
                no_shows += len(missed)
            purged = _rowcount(session.execute(delete(Challenge).where(
                Challenge.used_at.is_(None),
                Challenge.expires_at < now - _CHALLENGE_RETENTION)))
            longest = max(self.settings.challenge_limit.per, self.settings.booking_limit.per)
            purged += _rowcount(session.execute(delete(RateBucket).where(
                RateBucket.window_start < now - 2 * longest)))
            purged += _rowcount(session.execute(delete(StaffSession).where(
                StaffSession.expires_at < now - timedelta(days=1))))
            # Browser checks: a booking keeps its own copy of the report.
            purged += _rowcount(session.execute(delete(BrowserCheck).where(
                BrowserCheck.expires_at < now - _CHALLENGE_RETENTION)))
            from precheck.gateway import evidence

            purged += evidence.sweep(session, now)
        if lapsed or no_shows:
            log.info("sweep: %s hold(s) lapsed, %s no-show(s)", len(lapsed), no_shows)
        return SweepCounts(len(lapsed), no_shows, purged)

    def take_rate(self, session: Session, scope: str, client: str | None, limit: RateLimit,
                  now: datetime) -> None:
        """Count one request of ``client`` (an address) in ``scope``; RateLimited when over.

        The counters are in the database, so the limit holds across every process; when the
        database cannot be reached the request fails too (the limiter fails closed).
        """
        per = int(limit.per.total_seconds())
        epoch = int(_aware(now).timestamp())
        window = datetime.fromtimestamp(epoch - epoch % per, UTC)
        with _transaction(session):
            hits = _upsert_hits(session, scope, self.keyed("client:" + (client or "?")), window)
        if hits > limit.hits:
            metrics.rate_limited(scope)
            raise RateLimited(max(1, per - epoch % per))

    def record_access(self, session: Session, action: str, outcome: str, now: datetime, *,
                      client: str | None = None, office_id: str | None = None,
                      booking_id: int | None = None, device_id: str | None = None) -> None:
        """Add to the access history (terms, Article 7): keyed hashes, never the identifiers.

        Written in its own transaction, after the operation's: when the database fails now,
        the operation's answer stands (a booking made is still answered as made) and the
        failure is logged. A booking made writes its row in its own transaction instead.
        """
        try:
            with _transaction(session):
                self._access(session, action, outcome, now, client=client,
                             office_id=office_id, booking_id=booking_id, device_id=device_id)
        except (SQLAlchemyError, CommitUncertain) as exc:
            log.warning("access history not written (%s %s): %s", action, outcome,
                        type(exc).__name__)


def _upsert_hits(session: Session, scope: str, client: str, window: datetime) -> int:
    insert = _dialect_insert(session)
    statement = insert(RateBucket).values(scope=scope, client=client, window_start=window, hits=1)
    result = session.execute(statement.on_conflict_do_update(
        index_elements=[RateBucket.scope, RateBucket.client, RateBucket.window_start],
        set_={"hits": RateBucket.hits + 1}).returning(RateBucket.hits))
    return int(result.scalar_one())

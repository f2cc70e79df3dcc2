"""Closures staff set at run time: a day, a morning, an afternoon or single slots, with a reason.

The office profile's closed days (weekends, holidays, the year-end break, ``closed_dates``) need
a restart to change; a closure is a row of ``closures`` that every process reads at once. A slot
inside a live closure is not free on the pages or the API, and booking it is refused with the
rule ``closed`` and the reason staff gave. Lifting a closure keeps its row (who closed it, who
reopened it, when): the audit trail. A closure leaves the bookings already in it alone; staff
see how many there are and move or cancel them (the job seeker is mailed either way).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select, update

from precheck.gateway.models import LIVE, Booking, Closure
from precheck.gateway.offices import TOKYO
from precheck.gateway.rules import RuleViolation
from precheck.result import N_, Message

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from precheck.gateway.offices import OfficeProfile

#: The parts of a day a closure may cover.
SCOPES = ("day", "morning", "afternoon", "slots")
#: Where the morning ends (and the afternoon begins).
NOON = time(12, 0)
REASON_MAX = 200


class ClosureError(ValueError):
    """A closure that cannot be made; ``message`` says why (gateway catalog)."""

    def __init__(self, message: Message) -> None:
        super().__init__(message.msgid)
        self.message = message


@dataclass(frozen=True, slots=True)
class ClosureView:
    id: int
    office_id: str
    start: datetime  # Asia/Tokyo
    end: datetime
    reason: str
    created_by: str
    created_at: datetime
    #: Live bookings inside it, which staff should move or cancel.
    bookings: int


def spans(office: OfficeProfile, day: date, scope: str,
          slots: tuple[datetime, ...] = ()) -> list[tuple[datetime, datetime]]:
    """The time ranges a closure of ``scope`` on ``day`` covers (Asia/Tokyo)."""
    midnight = datetime.combine(day, time(0), TOKYO)
    noon = datetime.combine(day, NOON, TOKYO)
    if scope == "day":
        return [(midnight, midnight + timedelta(days=1))]
    if scope == "morning":
        return [(midnight, noon)]
    if scope == "afternoon":
        return [(noon, midnight + timedelta(days=1))]
    if scope == "slots":
        if not slots:
            raise ClosureError(Message.of(N_("Choose the times to close.")))
        return [(start, start + office.slot) for start in sorted(set(slots))]
    raise ClosureError(Message.of(N_("Choose a day, a morning, an afternoon or times.")))


def clean_reason(text: str) -> str:
    """The reason as stored: one line, at most 200 characters, never empty."""
    reason = " ".join(text.split())
    if not reason:
        raise ClosureError(Message.of(N_("Give the reason for the closure (it is shown to "
                                         "job seekers).")))
    if len(reason) > REASON_MAX or any(ord(c) < 32 for c in reason):
        raise ClosureError(Message.of(N_("The reason must be one line of at most {n} "
                                         "characters."), n=REASON_MAX))
    return reason


def close(session: Session, office: OfficeProfile, ranges: list[tuple[datetime, datetime]],
          reason: str, *, actor: str, now: datetime) -> list[int]:
    """Add closures (in the caller's transaction); returns their ids."""
    text = clean_reason(reason)
    rows = [Closure(office_id=office.id, starts_at=start, ends_at=end, reason=text,
                    created_by=actor[:40], created_at=now) for start, end in ranges]
    session.add_all(rows)
    session.flush()
    return [row.id for row in rows]


def lift(session: Session, office_id: str, closure_id: int, *, actor: str, now: datetime
         ) -> bool:
    """Reopen: the row stays, marked lifted (once; a second lift changes nothing)."""
    result = session.execute(
        update(Closure).where(Closure.id == closure_id, Closure.office_id == office_id,
                              Closure.lifted_at.is_(None))
        .values(lifted_at=now, lifted_by=actor[:40]))
    return int(getattr(result, "rowcount", 0)) == 1


def live_between(session: Session, office_id: str, low: datetime, high: datetime
                 ) -> list[Closure]:
    """The live closures that overlap ``[low, high)``."""
    return list(session.execute(
        select(Closure).where(Closure.office_id == office_id, Closure.lifted_at.is_(None),
                              Closure.starts_at < high, Closure.ends_at > low)
        .order_by(Closure.starts_at, Closure.id)).scalars())


def views_between(session: Session, office_id: str, low: datetime, high: datetime
                  ) -> list[ClosureView]:
    """The live closures overlapping ``[low, high)``, each with its live bookings' count."""
    found: list[ClosureView] = []
    for row in live_between(session, office_id, low, high):
        inside = session.execute(select(func.count()).select_from(Booking).where(
            Booking.office_id == office_id, Booking.status.in_(LIVE),
            Booking.slot_start < row.ends_at, Booking.slot_end > row.starts_at)).scalar_one()
        found.append(ClosureView(row.id, row.office_id, row.starts_at.astimezone(TOKYO),
                                 row.ends_at.astimezone(TOKYO), row.reason, row.created_by,
                                 row.created_at.astimezone(TOKYO), int(inside)))
    return found


def closed_starts(session: Session, office: OfficeProfile, starts: list[datetime]
                  ) -> set[datetime]:
    """The slot starts among ``starts`` that a live closure covers (as given)."""
    if not starts:
        return set()
    rows = live_between(session, office.id, min(starts), max(starts) + office.slot)
    return {s for s in starts
            if any(r.starts_at < s + office.slot and r.ends_at > s for r in rows)}


def violation(session: Session, office: OfficeProfile, start: datetime) -> RuleViolation | None:
    """Why ``start`` cannot be booked because of a closure, with the reason staff gave."""
    rows = live_between(session, office.id, start, start + office.slot)
    if not rows:
        return None
    return RuleViolation("closed", Message.of(
        N_("The office does not take consultations at this time ({reason}). Please choose "
           "another time."), reason=rows[0].reason), "start")

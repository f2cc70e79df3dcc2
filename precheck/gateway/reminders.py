"""The reminder mail the day before a session, by the office's business days.

A confirmed booking is reminded from ``REMINDER_TIME`` (09:00, Asia/Tokyo) on the office's last
open day before the session: Friday for a Monday session, the day before a holiday week for
the day after it. Each gateway process's sweeper calls :func:`send_reminders` (and so does
``precheck gateway sweep``); a compare-and-swap on ``reminder_sent_at`` lets only one of them
queue a booking's reminder. A booking made after its reminder time (its booked mail has just
gone out) or moved is handled by the same rule: one reminder for the time it has now; a moved
booking is reminded again for its new time. The reminder carries the calendar file and a new
link to the booking's own page (change or cancel).
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from precheck.gateway import desk, rules
from precheck.gateway.models import Booking, Status
from precheck.gateway.offices import TOKYO
from precheck.gateway.service.base import manage_token

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from precheck.gateway.offices import OfficeProfile
    from precheck.gateway.service import Gateway

log = logging.getLogger(__name__)

#: When reminders go out on the day before (office time).
REMINDER_TIME = time(9, 0)
#: Sessions further ahead than this are not looked at (no office closes for longer).
_LOOKAHEAD = timedelta(days=21)


def reminder_at(office: OfficeProfile, start: datetime) -> datetime:
    """When the reminder of a session at ``start`` is due: 09:00 on the office's last open day
    before it."""
    day = rules.business_days_before(office, office.local(start).date(), 1)
    return datetime.combine(day, REMINDER_TIME, TOKYO)


def send_reminders(gw: Gateway, session: Session, now: datetime) -> int:
    """Queue every reminder that is due; returns how many were queued."""
    queued = 0
    for office in gw.offices.values():
        try:
            candidates = session.execute(select(Booking.id, Booking.slot_start,
                                                Booking.created_at).where(
                Booking.office_id == office.id, Booking.status == Status.CONFIRMED,
                Booking.reminder_sent_at.is_(None), Booking.slot_start > now,
                Booking.slot_start <= now + _LOOKAHEAD)).all()
        finally:
            session.rollback()
        for booking_id, start, created in candidates:
            try:
                due = reminder_at(office, start)
            except (ValueError, rules.HolidayDataMissing):
                continue
            if now < due:
                continue
            # Booked after the reminder time, or on the session's day: nothing to remind of.
            remind = created < due and office.local(now).date() < office.local(start).date()
            if _remind(gw, session, office, booking_id, start=start, now=now, mail=remind):
                queued += remind
    if queued:
        log.info("reminders: %s queued", queued)
    return queued


def _remind(gw: Gateway, session: Session, office: OfficeProfile, booking_id: int, *,
            start: datetime, now: datetime, mail: bool) -> bool:
    try:
        won = session.execute(
            update(Booking)
            .where(Booking.id == booking_id, Booking.status == Status.CONFIRMED,
                   Booking.slot_start == start, Booking.reminder_sent_at.is_(None))
            .values(reminder_sent_at=now))
        if int(getattr(won, "rowcount", 0)) != 1:
            session.rollback()
            return False
        if mail:
            booking = session.get(Booking, booking_id)
            assert booking is not None  # noqa: S101 - the update just found it
            token = manage_token(session, booking, now)
            desk.queue_mail(gw, session, office, booking, "reminder", token=token, now=now)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return True

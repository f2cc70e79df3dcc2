"""The office's calendar and deadlines: open days, national holidays, the year-end break, the
slot grid, the booking deadline and horizon, online cancellation and no-shows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache

from precheck.errors import PrecheckError
from precheck.gateway.offices import TOKYO, OfficeProfile
from precheck.result import N_, Message

#: The message catalog (gettext domain) of the gateway's texts.
DOMAIN = "gateway"


class HolidayDataMissing(PrecheckError):
    """The holiday library does not cover a year, so nobody can tell whether the office is open.

    The ``holidays`` package answers "no holidays" for a year outside its tables (2100 and later,
    1948 and earlier) instead of failing; treating that as "open every weekday" would take
    bookings on national holidays, so the gateway refuses the day instead.
    """

    def __init__(self, year: int, detail: str) -> None:
        super().__init__(f"Japanese national holidays for {year} are unknown: {detail}")
        self.year = year
        self.message = Message.of(
            N_("The office calendar for {year} is not available yet. "
               "Please choose an earlier date, or phone the office."),
            year=year,
        )


@dataclass(frozen=True, slots=True)
class RuleViolation:
    """One broken rule: a stable code, the message for the job seeker and the field it concerns."""

    code: str
    message: Message
    field: str | None = None


# -- calendar -------------------------------------------------------------------------------------

@cache
def _national_holidays(year: int) -> Mapping[date, str]:
    try:
        import holidays
    except ImportError as exc:  # a job seeker's install without the [gateway] extra
        raise HolidayDataMissing(
            year, "install hellowork-precheck[gateway] (the holidays package)") from exc
    from importlib.metadata import version

    calendar = holidays.country_holidays("JP", language="ja", years=year)
    first, last = calendar.start_year, calendar.end_year
    if not first <= year <= last:
        raise HolidayDataMissing(
            year, f"holidays {version('holidays')} covers {first}-{last}; update it")
    found = {day: str(name) for day, name in calendar.items() if day.year == year}
    if not found:  # every covered year has 元日; an empty table means the data is broken
        raise HolidayDataMissing(year, f"holidays {version('holidays')} returned no holidays")
    return found


def national_holiday(day: date) -> str | None:
    """The Japanese name of the national holiday on ``day`` (substitute holidays and 国民の休日
    included), or None. Raises HolidayDataMissing for a year the holiday data does not cover."""
    return _national_holidays(day.year).get(day)


def _in_year_end_break(office: OfficeProfile, day: date) -> bool:
    (first_month, first_day), (last_month, last_day) = office.year_end_break
    key, first, last = (day.month, day.day), (first_month, first_day), (last_month, last_day)
    if first <= last:  # a break inside one calendar year
        return first <= key <= last
    return key >= first or key <= last  # across New Year (12-29 .. 01-03)


def closed_reason(office: OfficeProfile, day: date) -> Message | None:
    """Why the office is closed on ``day``, or None when it is open.

    Raises HolidayDataMissing when the day is a weekday of a year the holiday data does not cover.
    """
    iso = day.isoformat()
    _national_holidays(day.year)  # an uncovered year is an error even on a Saturday or 1/1
    if day.weekday() >= 5:
        return Message.of(N_("{date} is a Saturday or Sunday; the office is closed."), date=iso)
    if _in_year_end_break(office, day):
        return Message.of(N_("{date} falls in the year-end and New Year break; "
                             "the office is closed."), date=iso)
    if day in office.closed_dates:
        return Message.of(N_("The office is closed on {date}."), date=iso)
    holiday = national_holiday(day)
    if holiday is not None:
        return Message.of(N_("{date} is a national holiday ({holiday}); the office is closed."),
                          date=iso, holiday=holiday)
    return None


def is_open(office: OfficeProfile, day: date) -> bool:
    """True when the office takes consultations on ``day``."""
    return closed_reason(office, day) is None


def day_slots(office: OfficeProfile, day: date) -> list[datetime]:
    """The starts of every session on ``day`` (aware, Asia/Tokyo); empty when the office is closed.

    Sessions fill each opening window on a grid of the slot length from the window's start, and
    must end by its close.
    """
    if not is_open(office, day):
        return []
    slots: list[datetime] = []
    for opens, closes in office.windows:
        start = datetime.combine(day, opens, TOKYO)
        end = datetime.combine(day, closes, TOKYO)
        while start + office.slot <= end:
            slots.append(start)
            start += office.slot
    return slots


def is_slot_start(office: OfficeProfile, start: datetime) -> bool:
    """True when ``start`` is the start of one of the office's sessions on an open day."""
    local = office.local(start)
    return local in day_slots(office, local.date())


def business_days_before(office: OfficeProfile, day: date, count: int) -> date:
    """The ``count``-th day before ``day`` on which the office is open (``count`` >= 1)."""
    if count < 1:
        msg = f"count must be 1 or more, got {count}"
        raise ValueError(msg)
    current, found = day, 0
    for _ in range(366):  # the year-end break and Golden Week never close a year's worth of days
        current -= timedelta(days=1)
        if is_open(office, current):
            found += 1
            if found == count:
                return current
    msg = f"{office.id} is closed for a whole year before {day}: check its closed_dates"
    raise ValueError(msg)


def last_booking_day(office: OfficeProfile, day: date) -> date:
    """The last day on which a session on ``day`` may be booked (its whole day counts).

    "By the previous day" is the day before (a Sunday for a Monday); "2 business days ahead"
    counts back over open days only (Friday for a Tuesday, skipping the weekend).
    """
    lead = office.lead
    if lead.days == 0:
        return day
    if lead.business_days:
        return business_days_before(office, day, lead.days)
    return day - timedelta(days=lead.days)


def booking_deadline(office: OfficeProfile, start: datetime) -> datetime:
    """The moment from which the session at ``start`` can no longer be booked (Asia/Tokyo).

    The end of the last booking day, and never later than the session's start.
    """
    local = office.local(start)
    last_day = last_booking_day(office, local.date())
    end_of_day = datetime.combine(last_day + timedelta(days=1), time(0), TOKYO)
    return min(end_of_day, local)


def check_bookable(office: OfficeProfile, start: datetime, now: datetime) -> RuleViolation | None:
    """Why a session at ``start`` cannot be booked at ``now``, or None when it can.

    Checks, in order: an open day, a start on the office's grid, not past, the booking deadline
    and how far ahead the office takes bookings. HolidayDataMissing becomes a violation.
    """
    local, today = office.local(start), office.local(now)
    iso = local.date().isoformat()
    try:
        closed = closed_reason(office, local.date())
        if closed is not None:
            return RuleViolation("closed", closed, "start")
        if local not in day_slots(office, local.date()):
            return RuleViolation("not_a_slot", Message.of(
                N_("{time} on {date} is not a session start. Please choose a time from the list."),
                time=local.strftime("%H:%M"), date=iso), "start")
        if local <= today:
            return RuleViolation("past", Message.of(
                N_("That time has already passed. Please choose a later time.")), "start")
        deadline = booking_deadline(office, local)
    except HolidayDataMissing as exc:
        return RuleViolation("calendar_unknown", exc.message, "start")
    if today >= deadline:
        last_day = last_booking_day(office, local.date())
        if office.lead.business_days:
            message = Message.of(
                N_("Sessions on {date} must be booked {days} business days ahead, "
                   "by {last_day}, and that day has passed. Please choose a later date."),
                date=iso, days=office.lead.days, last_day=last_day.isoformat())
        else:
            message = Message.of(
                N_("Sessions on {date} must be booked by {last_day}, and that day has passed. "
                   "Please choose a later date."),
                date=iso, last_day=last_day.isoformat())
        return RuleViolation("too_late", message, "start")
    if local.date() > today.date() + timedelta(days=office.horizon_days):
        return RuleViolation("too_far", Message.of(
            N_("Bookings open {days} days ahead. Please choose a date up to {last_day}."),
            days=office.horizon_days,
            last_day=(today.date() + timedelta(days=office.horizon_days)).isoformat()), "start")
    return None


def bookable_slots(office: OfficeProfile, first: date, last: date, now: datetime
                   ) -> list[datetime]:
    """Every session start from ``first`` to ``last`` (inclusive) that may be booked at ``now``,
    free or not (the database knows which are taken). Days the holiday data does not cover
    are left out."""
    found: list[datetime] = []
    day = first
    while day <= last:
        try:
            slots = day_slots(office, day)
        except HolidayDataMissing:
            slots = []
        found += [s for s in slots if check_bookable(office, s, now) is None]
        day += timedelta(days=1)
    return found


# -- after booking --------------------------------------------------------------------------------

def confirmation_expires(office: OfficeProfile, created: datetime) -> datetime | None:
    """When an unconfirmed booking made at ``created`` lapses (None: the office sends no link)."""
    if office.confirmation_ttl is None:
        return None
    return office.local(created) + office.confirmation_ttl


def can_cancel_online(office: OfficeProfile, start: datetime, now: datetime) -> bool:
    """True when the session at ``start`` may still be cancelled online at ``now``.

    Cancelling on the day of the session (Asia/Tokyo), or later, is by phone only.
    """
    return office.local(now).date() < office.local(start).date()


def cancel_refusal(office: OfficeProfile, start: datetime, now: datetime) -> RuleViolation | None:
    """Why an online cancellation is refused (phone the office: its number is in the message)."""
    if can_cancel_online(office, start, now):
        return None
    if office.phone:
        message = Message.of(
            N_("A session on the day itself can only be cancelled by phone. "
               "Please call {office} at {phone}."),
            office=office.name_ja, phone=office.phone)
    else:
        message = Message.of(
            N_("A session on the day itself can only be cancelled by phone. "
               "Please call {office}."),
            office=office.name_ja)
    return RuleViolation("same_day_cancel", message)


def no_show_at(office: OfficeProfile, start: datetime) -> datetime:
    """The moment a session at ``start`` counts as missed without check-in or contact."""
    return office.local(start) + office.no_show_after


def is_no_show(office: OfficeProfile, start: datetime, now: datetime, checked_in: bool) -> bool:
    """True when nobody checked in and ``no_show_after`` (10 minutes) has passed since the start."""
    return not checked_in and office.local(now) >= no_show_at(office, start)


def is_blocked(office: OfficeProfile, no_shows: int) -> bool:
    """True when ``no_shows`` unlifted no-shows block further online booking."""
    return no_shows >= office.no_show_limit


def blocked_violation(office: OfficeProfile) -> RuleViolation:
    """The answer to a job seeker whose no-shows block online booking."""
    return RuleViolation("blocked", Message.of(
        N_("Online booking is paused because of missed sessions without notice. "
           "Please contact {office} to book."), office=office.name_ja))


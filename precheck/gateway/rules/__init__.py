"""The offices' booking rules as pure functions over an office profile.

Calendar (open days, national holidays, the year-end break), the slot grid, booking deadlines,
online cancellation, no-shows and the form's fields. Every moment is an aware ``datetime`` and is
judged in the office's time (Asia/Tokyo), whatever zone it arrives in; a naive one is refused.
The same function decides for the page that lists slots and for the request that books one, so
the two can never disagree (Cal.com's confirm path once skipped the notice check, #14465).

Messages a job seeker sees are message ids of the ``gateway`` catalog (see precheck/i18n.py).
Like offices.py this package imports neither FastAPI nor SQLAlchemy; ``holidays`` (the [gateway]
extra) is imported when a calendar is first needed.

The calendar and deadlines are in ``schedule``, the form's fields in ``form``; this package is
their public face (``rules.check_bookable``, ``rules.check_fields``).
"""

from __future__ import annotations

from precheck.gateway.rules.form import (
    HYPHENS,
    MAX_NAME,
    MAX_NOTE,
    InvalidEmail,
    InvalidJobseekerNumber,
    check_fields,
    field_label,
    normalize_email,
    normalize_jobseeker_number,
    normalize_phone,
)
from precheck.gateway.rules.schedule import (
    DOMAIN,
    HolidayDataMissing,
    RuleViolation,
    blocked_violation,
    bookable_slots,
    booking_deadline,
    business_days_before,
    can_cancel_online,
    cancel_refusal,
    check_bookable,
    closed_reason,
    confirmation_expires,
    day_slots,
    is_blocked,
    is_no_show,
    is_open,
    is_slot_start,
    last_booking_day,
    national_holiday,
    no_show_at,
)

__all__ = [
    "DOMAIN",
    "HYPHENS",
    "MAX_NAME",
    "MAX_NOTE",
    "HolidayDataMissing",
    "InvalidEmail",
    "InvalidJobseekerNumber",
    "RuleViolation",
    "blocked_violation",
    "bookable_slots",
    "booking_deadline",
    "business_days_before",
    "can_cancel_online",
    "cancel_refusal",
    "check_bookable",
    "check_fields",
    "closed_reason",
    "confirmation_expires",
    "day_slots",
    "field_label",
    "is_blocked",
    "is_no_show",
    "is_open",
    "is_slot_start",
    "last_booking_day",
    "national_holiday",
    "no_show_at",
    "normalize_email",
    "normalize_jobseeker_number",
    "normalize_phone",
]

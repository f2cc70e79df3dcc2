"""Booking operations: what the JSON API, the job seeker's pages and the staff console call.

Everything goes through one :class:`Gateway` (settings, office profiles, the gate and the shared
key), made once per process by :meth:`Gateway.open`. Each operation takes a SQLAlchemy session and
an aware ``now`` and is **one transaction**: it commits when it succeeds and rolls back when it
raises. Errors are :class:`GatewayError` subclasses whose ``code`` and ``message`` (a ``gateway``
catalog message) say what happened and what to do:

=================  ==========================================================================
NotFound           no such office, booking or link
SlotTaken          someone else booked the slot first (the database said so)
RuleBroken         an office rule or a form field (``violations``: rules.RuleViolation)
GateRejected       the report (``reasons``: gate.Reason), see :mod:`precheck.gateway.gate`
LinkExpired        the confirm or cancel link has lapsed or was used
StaleState         the booking was not in the expected status: someone else (or a double click)
                   changed it first; ``current`` is its status now
RateLimited        too many requests from this client; ``retry_after`` seconds
=================  ==========================================================================

**Compare-and-swap.** Every status change is ``UPDATE bookings SET status = new WHERE id = ? AND
status = expected``; when no row changed, the operation reports StaleState instead of applying a
change twice (two staff members, a double click, the sweeper racing a check-in).

**Links.** Email links only open a page (G2's pages: ``mail.CONFIRM_PATH``/``mail.CANCEL_PATH``);
:meth:`Gateway.link_booking` shows what a link is about without changing anything, and the
page's button POSTs to :meth:`Gateway.confirm_booking` or :meth:`Gateway.cancel_booking`.
Mail scanners follow links, never buttons.

**Areas.** :class:`Gateway` is composed of one part per area, each its own module: ``bookings``
(slots, booking, the confirm and cancel links), ``checkin``, ``challenges`` (nonces and admitting
a report), ``standing`` (no-shows, blocks, the limits per person), ``staff`` (status changes,
look-ups) and ``maintenance`` (the sweeper, rate limits, the access history), over ``base``
(the state, one transaction per operation, shared helpers). This module is the package's
public face: import from ``precheck.gateway.service``, not from the area modules.
"""

from __future__ import annotations

from precheck.gateway.gate import GateRejected
from precheck.gateway.models import Status
from precheck.gateway.service.base import TOKEN_BYTES
from precheck.gateway.service.bookings import MAX_LISTING_DAYS, BookingOps
from precheck.gateway.service.checkin import CheckInOps
from precheck.gateway.service.errors import (
    STATUS_LABELS,
    CommitUncertain,
    GatewayError,
    LinkExpired,
    NotFound,
    RateLimited,
    RuleBroken,
    SlotTaken,
    StaleState,
)
from precheck.gateway.service.maintenance import MaintenanceOps
from precheck.gateway.service.staff import STAFF_TRANSITIONS, StaffOps
from precheck.gateway.service.values import (
    BookingConfirmed,
    BookingCreated,
    BookingForm,
    BookingView,
    GateInfo,
    IssuedChallenge,
    SlotView,
    Standing,
    SweepCounts,
)

__all__ = [
    "MAX_LISTING_DAYS", "STAFF_TRANSITIONS", "STATUS_LABELS", "TOKEN_BYTES",
    "BookingConfirmed", "BookingCreated", "BookingForm", "BookingView", "CommitUncertain",
    "GateInfo", "GateRejected", "Gateway", "GatewayError", "IssuedChallenge", "LinkExpired",
    "NotFound", "RateLimited", "RuleBroken", "SlotTaken", "SlotView", "StaleState", "Standing",
    "Status", "SweepCounts",
]


class Gateway(BookingOps, CheckInOps, StaffOps, MaintenanceOps):
    """The booking service of one process (immutable after :meth:`open`; share it freely)."""

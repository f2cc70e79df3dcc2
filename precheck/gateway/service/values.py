"""What the service's operations take and return: frozen values, times aware (Asia/Tokyo)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class SlotView:
    """One session of an office's grid; ``free`` when it can be booked now."""

    start: datetime  # aware, Asia/Tokyo
    end: datetime
    free: bool


@dataclass(frozen=True, slots=True)
class IssuedChallenge:
    """A single-use nonce for ``precheck run --challenge``; only its hash is stored."""

    nonce: str
    office_id: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class BookingForm:
    """What the job seeker typed (raw; the office's rules clean and check it)."""

    start: datetime
    name: str = ""
    email: str = ""
    phone: str = ""
    jobseeker_number: str = ""
    note: str = ""
    language: str = "ja"

    def fields(self) -> dict[str, str]:
        return {"name": self.name, "email": self.email, "phone": self.phone,
                "jobseeker_number": self.jobseeker_number, "note": self.note}


@dataclass(frozen=True, slots=True)
class BookingView:
    """A booking as the pages, the API and staff see it (times aware, Asia/Tokyo)."""

    id: int
    reference: str
    office_id: str
    start: datetime
    end: datetime
    status: str
    hold_expires_at: datetime | None
    name: str
    email: str
    phone: str | None
    jobseeker_number: str | None
    note: str | None
    language: str
    created_at: datetime
    confirmed_at: datetime | None
    checked_in_at: datetime | None
    report_digest: str
    key_id: str
    verdict: str
    #: Ids of the report's checks that did not pass (fail, error) and that warned.
    failed_checks: tuple[str, ...]
    warned_checks: tuple[str, ...]
    checkin_report_digest: str | None
    checkin_key_id: str | None
    #: "staff:<id>" when staff booked it for a caller (no report); None: the job seeker did.
    booked_by: str | None = None
    #: The meeting's address given for this booking (desk.meeting_url adds the office's).
    meeting_url: str | None = None
    #: Where the booking's report came from: "live" (the app) or "browser" (/check).
    source: str = "live"

    @property
    def key_changed(self) -> bool:
        """True when the check-in report was signed by another device key than the booking's."""
        if self.checkin_key_id is None or not self.key_id:  # no key: booked by staff
            return False
        return self.checkin_key_id != self.key_id


@dataclass(frozen=True, slots=True)
class BookingCreated:
    """A new booking, and the one link it needs next (only here in the clear; mailed too)."""

    booking: BookingView
    #: For a booking waiting for confirmation: the confirm link's token; else None.
    confirm_token: str | None
    #: For a booking confirmed at once: the cancel link's token; else None.
    cancel_token: str | None
    #: True when this is the booking the same request made before (no new links).
    repeated: bool = False


@dataclass(frozen=True, slots=True)
class BookingConfirmed:
    booking: BookingView
    #: The cancel link's token, to show on the completion page (it is mailed too).
    cancel_token: str


@dataclass(frozen=True, slots=True)
class SweepCounts:
    expired: int
    no_shows: int
    purged: int


@dataclass(frozen=True, slots=True)
class Standing:
    """A job seeker's no-shows at an office (the largest over their email, number and key)."""

    no_shows: int
    blocked: bool


@dataclass(frozen=True, slots=True)
class GateInfo:
    """What the gate accepts, for ``GET /api/v1/policy`` and the pages."""

    accepted_policies: Mapping[str, str]
    required_checks: tuple[str, ...]
    report_max_age: timedelta
    challenge_ttl: timedelta

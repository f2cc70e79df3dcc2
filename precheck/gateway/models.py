"""Every table of the gateway. Times are aware UTC (:class:`precheck.gateway.db.UTCDateTime`).

**No double booking, in the database.** Slots form a fixed grid, so ``uq_bookings_live_slot`` is
a unique index over ``(office_id, slot_start)`` limited to the live statuses (``LIVE``). Whatever
the number of processes, the second insert for a slot fails; the service turns that into "taken".

**A pending booking holds its slot until its link lapses, with no cron.** An index predicate
cannot read the clock, so a pending booking stays ``pending_confirmation`` (and holds the slot in
the index) after ``hold_expires_at``; the insert of a new booking for that slot first flips the
lapsed hold to ``expired`` in the same transaction (a compare-and-swap on the status), and the
confirm update requires ``hold_expires_at > now``. So a lapsed hold can be neither confirmed nor
keep anyone out, whether or not the sweeper has run; the sweeper only tidies up.

**Privacy.** Personal data (name, email, phone, 求職番号, note) lives in ``bookings`` only, for
staff. Tokens and nonces are stored as SHA-256 hashes. The access history holds keyed hashes
(HMAC) of the client address and device id, never the identifiers themselves (terms, Article 7).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from precheck.gateway.db import Base, UTCDateTime


class Status(StrEnum):
    """A booking's status. Every change is a compare-and-swap on it (precheck.gateway.service)."""

    PENDING = "pending_confirmation"  # waiting for the emailed link; holds the slot until lapse
    CONFIRMED = "confirmed"
    ATTENDED = "attended"  # staff: the consultation took place
    NO_SHOW = "no_show"  # nobody checked in or called within no_show_after of the start
    CANCELLED_BY_USER = "cancelled_by_user"
    CANCELLED_BY_OFFICE = "cancelled_by_office"
    EXPIRED = "expired"  # the confirmation link lapsed


#: The statuses that occupy a slot.
LIVE = (Status.PENDING, Status.CONFIRMED, Status.ATTENDED, Status.NO_SHOW)
_LIVE_SQL = "status IN ('pending_confirmation', 'confirmed', 'attended', 'no_show')"

TS = UTCDateTime()


class Booking(Base):
    """One booking of one slot, with the report that allowed it."""

    __tablename__ = "bookings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: What the job seeker and staff quote (e.g. on the phone): 10 characters, 50 random bits.
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    office_id: Mapped[str] = mapped_column(String(40))
    slot_start: Mapped[datetime] = mapped_column(TS)
    slot_end: Mapped[datetime] = mapped_column(TS)
    status: Mapped[str] = mapped_column(String(24))
    #: A pending booking's hold lapses then (None once confirmed, or for offices without a link).
    hold_expires_at: Mapped[datetime | None] = mapped_column(TS)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    jobseeker_number: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(String(2000))
    #: The language the job seeker used: emails go out in it first.
    language: Mapped[str] = mapped_column(String(2))
    report: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: ``sha256:`` + SHA-256 of the report's RFC 8785 form (signature included).
    report_digest: Mapped[str] = mapped_column(String(71))
    key_id: Mapped[str] = mapped_column(String(40))
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(TS)
    confirmed_at: Mapped[datetime | None] = mapped_column(TS)
    status_changed_at: Mapped[datetime] = mapped_column(TS)
    checked_in_at: Mapped[datetime | None] = mapped_column(TS)
    checkin_report: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    checkin_report_digest: Mapped[str | None] = mapped_column(String(71))
    checkin_key_id: Mapped[str | None] = mapped_column(String(40))
    #: "staff:<id>" for a booking staff made for a caller (its report is absent: ``{}``, with
    #: a challenge spent at once); None for a job seeker's own booking.
    booked_by: Mapped[str | None] = mapped_column(String(40))
    #: The video meeting's address for this booking (else the office's, OfficeSetting).
    meeting_url: Mapped[str | None] = mapped_column(String(500))
    #: When the day-before reminder was queued (reminders.py).
    reminder_sent_at: Mapped[datetime | None] = mapped_column(TS)
    #: HMAC of the address that booked (the limit of bookings per address per day).
    client: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (
        Index("uq_bookings_live_slot", "office_id", "slot_start", unique=True,
              sqlite_where=text(_LIVE_SQL), postgresql_where=text(_LIVE_SQL)),
        Index("ix_bookings_office_id_slot_start", "office_id", "slot_start"),
        Index("ix_bookings_status_slot_start", "status", "slot_start"),
    )


class BookingEvent(Base):
    """The audit trail: every status change of a booking, who made it and when."""

    __tablename__ = "booking_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), index=True)
    at: Mapped[datetime] = mapped_column(TS)
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24))
    #: "job seeker", "system" or "staff:<id>".
    actor: Mapped[str] = mapped_column(String(40))
    #: What else changed, e.g. "moved from 2026-12-07T10:00+09:00".
    detail: Mapped[str | None] = mapped_column(String(200))


class TokenPurpose(StrEnum):
    CONFIRM = "confirm"
    CANCEL = "cancel"


class BookingToken(Base):
    """A link token (confirm, cancel): 256 random bits, stored only as its SHA-256."""

    __tablename__ = "booking_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(10))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(TS)
    expires_at: Mapped[datetime] = mapped_column(TS)
    used_at: Mapped[datetime | None] = mapped_column(TS)


class Challenge(Base):
    """A single-use nonce a report must carry; stored as its SHA-256."""

    __tablename__ = "challenges"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    nonce_hash: Mapped[str] = mapped_column(String(64), unique=True)
    office_id: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(TS)
    expires_at: Mapped[datetime] = mapped_column(TS, index=True)
    used_at: Mapped[datetime | None] = mapped_column(TS)
    #: HMAC of the address it was issued to: a report's measurement must come from there.
    client: Mapped[str | None] = mapped_column(String(32))


class Measurement(Base):
    """What the gateway saw of one speed-test request (measure.py), in any process.

    One row per download or upload request carrying ``m=<ident>``; a measurement is the rows
    of one ident (several streams, both directions). ``buckets`` holds the bytes of each 50 ms
    from ``started_at``. The client is a keyed hash of its address, never the address.
    """

    __tablename__ = "measurements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ident: Mapped[str] = mapped_column(String(64), index=True)
    direction: Mapped[str] = mapped_column(String(4))
    client: Mapped[str | None] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(TS, index=True)
    bytes: Mapped[int] = mapped_column(Integer)
    buckets: Mapped[list[int]] = mapped_column(JSON)


class MeasurementUse(Base):
    """A measurement vouches for one report only: the booking or check-in that used it."""

    __tablename__ = "measurement_uses"

    ident: Mapped[str] = mapped_column(String(64), primary_key=True)
    challenge_id: Mapped[int] = mapped_column(Integer)
    used_at: Mapped[datetime] = mapped_column(TS)


class NoShowStanding(Base):
    """How many no-shows a job seeker has at an office, and whether online booking is blocked.

    The job seeker is known by keyed hashes (``subject``) of their email address and of their
    求職番号, one row each, so a block holds whichever of the two they book with next.
    """

    __tablename__ = "no_show_standings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    office_id: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(64))
    no_shows: Mapped[int] = mapped_column(Integer)
    blocked_at: Mapped[datetime | None] = mapped_column(TS)
    lifted_at: Mapped[datetime | None] = mapped_column(TS)
    lifted_by: Mapped[str | None] = mapped_column(String(40))

    __table_args__ = (UniqueConstraint("office_id", "subject"),)


class AccessLog(Base):
    """Access history (terms, Article 7(1)) without identifiers in the clear (Article 7(2))."""

    __tablename__ = "access_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(TS, index=True)
    action: Mapped[str] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(40))
    office_id: Mapped[str | None] = mapped_column(String(40))
    booking_id: Mapped[int | None] = mapped_column(Integer)
    #: HMAC of the client's address and of the report's device id with the gateway's own key.
    client: Mapped[str | None] = mapped_column(String(32))
    device: Mapped[str | None] = mapped_column(String(32))


class OutboxMail(Base):
    """A mail to send. Written in the transaction that causes it; sent by the outbox worker."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    #: The Message-ID header, the same on every attempt, so a resend is recognisable.
    message_id: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(TS)
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime] = mapped_column(TS, index=True)
    #: A sender owns the mail until then (a crashed sender's lease simply runs out).
    locked_until: Mapped[datetime | None] = mapped_column(TS)
    sent_at: Mapped[datetime | None] = mapped_column(TS)
    failed_at: Mapped[datetime | None] = mapped_column(TS)
    #: What went wrong last: the SMTP code and the error's kind, never an address.
    last_error: Mapped[str | None] = mapped_column(String(200))
    #: The link token the body's ``mail.TOKEN_SLOT`` stands for, sealed (AES-GCM with the
    #: gateway's "outbox" key); erased once the mail is sent. Never in the body in clear.
    sealed_token: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: The facts of the calendar file (RFC 5545) sent with the mail, as JSON (ics.EventFacts;
    #: the file is made when the mail is sent), or None.
    attachment: Mapped[str | None] = mapped_column(Text)


class StaffUser(Base):
    """A staff member who may log in to the console (password hashed with argon2id)."""

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(TS)
    disabled_at: Mapped[datetime | None] = mapped_column(TS)
    last_login_at: Mapped[datetime | None] = mapped_column(TS)
    #: Wrong passwords since the last good login; at auth.LOCK_AFTER the account locks.
    failed_logins: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    #: Locked after repeated failures until ``precheck gateway unlock-staff`` (auth.unlock).
    locked_at: Mapped[datetime | None] = mapped_column(TS)


class StaffSession(Base):
    """A logged-in staff browser: the cookie's token, stored as its SHA-256."""

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(TS)
    expires_at: Mapped[datetime] = mapped_column(TS)
    ended_at: Mapped[datetime | None] = mapped_column(TS)


class RateBucket(Base):
    """Requests per client and window, shared by every process (a limiter that fails closed)."""

    __tablename__ = "rate_buckets"

    scope: Mapped[str] = mapped_column(String(20), primary_key=True)
    client: Mapped[str] = mapped_column(String(32), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(TS, primary_key=True)
    hits: Mapped[int] = mapped_column(Integer)


class GatewayKey(Base):
    """Secrets every process shares, made once by the first process (e.g. the HMAC key)."""

    __tablename__ = "gateway_keys"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[bytes] = mapped_column(LargeBinary)


class Closure(Base):
    """Time an office takes no consultations besides its profile's closed days: a day, a
    morning or single slots, with the reason, set by staff without a restart (closures.py).
    Lifting keeps the row (who closed, who reopened, when)."""

    __tablename__ = "closures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    office_id: Mapped[str] = mapped_column(String(40))
    starts_at: Mapped[datetime] = mapped_column(TS)
    ends_at: Mapped[datetime] = mapped_column(TS)
    reason: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(TS)
    lifted_at: Mapped[datetime | None] = mapped_column(TS)
    lifted_by: Mapped[str | None] = mapped_column(String(40))

    __table_args__ = (Index("ix_closures_office_id_starts_at", "office_id", "starts_at"),)


class OfficeSetting(Base):
    """What staff set for an office at run time: the meeting address every booking gets unless
    it has its own."""

    __tablename__ = "office_settings"

    office_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    meeting_url: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[datetime] = mapped_column(TS)
    updated_by: Mapped[str] = mapped_column(String(40))
class BrowserCheck(Base):
    """One run of the browser check (``/check``, browser_check.py) and the report it made.

    The gateway measured the connection itself (``figures``) and signs the report with its own
    key; the report waits here for the booking form, bound to the challenge it carries. Only the
    token's SHA-256 is stored; no User-Agent, image or sound, only figures.
    """

    __tablename__ = "browser_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    office_id: Mapped[str] = mapped_column(String(40))
    nonce: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(TS)
    expires_at: Mapped[datetime] = mapped_column(TS, index=True)
    figures: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON)

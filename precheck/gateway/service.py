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
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, literal, select, update
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError, SQLAlchemyError

from precheck.errors import PrecheckError
from precheck.gateway import challenge_code, closures, gate, metrics, rules
from precheck.gateway.gate import GatePolicy, GateRejected, Reason
from precheck.gateway.models import (
    LIVE,
    AccessLog,
    Booking,
    BookingEvent,
    BookingToken,
    BrowserCheck,
    Challenge,
    GatewayKey,
    NoShowStanding,
    RateBucket,
    StaffSession,
    Status,
    TokenPurpose,
)
from precheck.gateway.offices import TOKYO, OfficeProfile, load_offices
from precheck.gateway.rules import RuleViolation
from precheck.result import N_, Message

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

    from precheck.gateway.settings import GatewaySettings, RateLimit
    from precheck.reports.signing import Identity

__all__ = [
    "BookingConfirmed", "BookingCreated", "BookingForm", "BookingView", "CommitUncertain",
    "GateRejected", "Gateway",
    "GatewayError", "IssuedChallenge", "LinkExpired", "NotFound", "RateLimited", "RuleBroken",
    "SlotTaken", "SlotView", "StaleState", "Status", "SweepCounts",
]

log = logging.getLogger(__name__)

#: Bytes of randomness in a link token (256 bits). A challenge nonce is a code a person can
#: read aloud, 140 bits: see challenge_code.
TOKEN_BYTES = 32
#: Booking references: Crockford's base32 (no I, L, O, U), read out on the phone.
_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: The longest stretch of days one slot listing may cover.
MAX_LISTING_DAYS = 62
#: Used challenges are kept (bookings refer to them); unused ones are deleted this long after
#: they lapse.
_CHALLENGE_RETENTION = timedelta(days=1)
_HMAC_KEY = "hmac"
#: ``session.info`` key: the challenge a booking just consumed (hash, id, client).
_CHALLENGE_SEEN = "precheck_challenge"


# -- errors ---------------------------------------------------------------------------------------

class GatewayError(PrecheckError):
    """A booking operation that could not be done; ``message`` tells the job seeker why."""

    code = "error"

    def __init__(self, message: Message) -> None:
        super().__init__(message.msgid)
        self.message = message


class NotFound(GatewayError):
    code = "not_found"


class SlotTaken(GatewayError):
    code = "taken"

    def __init__(self) -> None:
        super().__init__(Message.of(N_(
            "Sorry, someone else has just booked this time. Please choose another time.")))


class RuleBroken(GatewayError):
    code = "rule_broken"

    def __init__(self, violations: Sequence[RuleViolation]) -> None:
        super().__init__(Message.of(N_("The booking does not meet the office's rules. "
                                       "Please correct what is listed.")))
        self.violations = tuple(violations)


class LinkExpired(GatewayError):
    code = "link_expired"


class StaleState(GatewayError):
    code = "stale_state"

    def __init__(self, current: str) -> None:
        super().__init__(Message.of(N_(
            "This booking has already been changed (it is now: {status}). Reload the page to "
            "see it."), status=Message.of(STATUS_LABELS.get(current, current))))
        self.current = current


class RateLimited(GatewayError):
    code = "rate_limited"

    def __init__(self, retry_after: int) -> None:
        super().__init__(Message.of(N_(
            "Too many requests. Please wait {seconds} seconds and try again."),
            seconds=retry_after))
        self.retry_after = retry_after


class CommitUncertain(GatewayError):
    """The database went away while the change was being committed: it may or may not have
    been made. A retry of the same request finds out (a booking retry is idempotent)."""

    code = "unavailable_uncertain"

    def __init__(self) -> None:
        super().__init__(Message.of(N_(
            "The connection to the booking database was lost while your request was being "
            "saved, so it is not known whether it was done. Please send the same request again "
            "in a minute: if it was done, you will see the result then.")))


#: How a status is named to people.
STATUS_LABELS = {
    Status.PENDING: N_("waiting for your confirmation"),
    Status.CONFIRMED: N_("confirmed"),
    Status.ATTENDED: N_("attended"),
    Status.NO_SHOW: N_("missed without notice"),
    Status.CANCELLED_BY_USER: N_("cancelled by you"),
    Status.CANCELLED_BY_OFFICE: N_("cancelled by the office"),
    Status.EXPIRED: N_("lapsed (not confirmed in time)"),
    "checked_in": N_("checked in"),
}


# -- values ---------------------------------------------------------------------------------------

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


# -- the gateway ----------------------------------------------------------------------------------

#: Status changes staff may make: expected -> allowed new statuses.
STAFF_TRANSITIONS: Mapping[str, frozenset[str]] = MappingProxyType({
    Status.PENDING: frozenset({Status.CANCELLED_BY_OFFICE}),
    Status.CONFIRMED: frozenset({Status.ATTENDED, Status.NO_SHOW, Status.CANCELLED_BY_OFFICE}),
    Status.NO_SHOW: frozenset({Status.ATTENDED}),  # they had called: a correction
    Status.ATTENDED: frozenset({Status.NO_SHOW}),  # marked by mistake
})


class Gateway:
    """The booking service of one process (immutable after :meth:`open`; share it freely)."""

    def __init__(self, settings: GatewaySettings, offices: Mapping[str, OfficeProfile],
                 gate_policy: GatePolicy, key: bytes) -> None:
        self.settings = settings
        self.offices = MappingProxyType(dict(offices))
        self.gate = gate_policy
        self._key = key
        #: Signs the reports of the browser check (browser_check.py); set by open().
        self.browser_signer: Identity | None = None

    @classmethod
    def open(cls, settings: GatewaySettings, engine: Engine,
             offices: Mapping[str, OfficeProfile] | None = None) -> Gateway:
        """The service for ``settings`` on a migrated database (creates the shared key once)."""
        from precheck.gateway.db import session_factory

        profiles = load_offices(settings.offices_path) if offices is None else offices
        from precheck.gateway.browser_check import BROWSER_KEY, signer

        with session_factory(engine)() as session:
            key = _shared_key(session, _HMAC_KEY)
            browser = signer(_shared_key(session, BROWSER_KEY))
        gateway = cls(settings, profiles,
                      gate.gate_policy(settings, frozenset({browser.key_id})), key)
        gateway.browser_signer = browser
        return gateway

    # -- offices and slots ----------------------------------------------------------------------

    def office(self, office_id: str) -> OfficeProfile:
        """The office profile, or NotFound."""
        office = self.offices.get(office_id)
        if office is None:
            raise NotFound(Message.of(N_("There is no office {office}."),
                                      office=_printable(office_id)[:40]))
        return office

    def list_slots(self, session: Session, office_id: str, first: date, last: date,
                   now: datetime) -> list[SlotView]:
        """Every session of the office's grid from ``first`` to ``last`` and whether it is free.

        A slot is free when the office's rules let it be booked now and no live booking holds
        it (a pending booking whose link lapsed holds nothing, swept or not).
        """
        office = self.office(office_id)
        _aware(now)
        if last < first or (last - first).days >= MAX_LISTING_DAYS:
            raise RuleBroken([RuleViolation("range", Message.of(N_(
                "Choose a range of 1 to {days} days, the first day not after the last."),
                days=MAX_LISTING_DAYS))])
        starts: list[datetime] = []
        day = first
        while day <= last:
            try:
                starts += rules.day_slots(office, day)
            except rules.HolidayDataMissing as exc:
                session.rollback()
                raise RuleBroken([RuleViolation("calendar_unknown", exc.message, "start")]) from exc
            day += timedelta(days=1)
        try:
            taken = self._taken(session, office.id, first, last, now)
            taken |= {s.astimezone(UTC) for s in closures.closed_starts(session, office, starts)}
        finally:
            session.rollback()
        return [SlotView(s, s + office.slot,
                         s.astimezone(UTC) not in taken
                         and rules.check_bookable(office, s, now) is None)
                for s in starts]

    def _taken(self, session: Session, office_id: str, first: date, last: date,
               now: datetime) -> set[datetime]:
        low = datetime.combine(first, time(0), TOKYO)
        high = datetime.combine(last + timedelta(days=1), time(0), TOKYO)
        rows = session.execute(
            select(Booking.slot_start).where(
                Booking.office_id == office_id,
                Booking.slot_start >= low, Booking.slot_start < high,
                Booking.status.in_(LIVE),
                (Booking.status != Status.PENDING) | (Booking.hold_expires_at > now)))
        return {start for (start,) in rows}

    # -- challenges -----------------------------------------------------------------------------

    def issue_challenge(self, session: Session, office_id: str, now: datetime,
                        client: str | None = None) -> IssuedChallenge:
        """A new single-use nonce for a report to carry, valid for ``challenge_ttl``; it
        remembers (as a keyed hash) the address ``client`` it went to."""
        office = self.office(office_id)
        nonce = challenge_code.new()  # safe to copy and to read aloud
        expires = _aware(now) + self.settings.challenge_ttl
        with _transaction(session):
            session.add(Challenge(nonce_hash=_sha256(nonce), office_id=office.id,
                                  created_at=now, expires_at=expires,
                                  client=self.keyed("client:" + client) if client else None))
        return IssuedChallenge(nonce, office.id, expires)

    def _take_challenge(self, session: Session, nonce: str, office_id: str, now: datetime,
                        *, consume: bool) -> Reason | None:
        """Consume the nonce (compare-and-swap on ``used_at``); or say why it cannot be used."""
        digest = _sha256(challenge_code.canonical(nonce))
        if consume:
            taken = session.execute(
                update(Challenge)
                .where(Challenge.nonce_hash == digest, Challenge.office_id == office_id,
                       Challenge.used_at.is_(None), Challenge.expires_at > now)
                .values(used_at=now)
                .returning(Challenge.id, Challenge.client)).first()
            if taken is not None:
                session.info[_CHALLENGE_SEEN] = (digest, taken[0], taken[1])
                return None
        row = session.execute(select(Challenge).where(Challenge.nonce_hash == digest)
                              ).scalar_one_or_none()
        if row is None:
            return gate.challenge_reason(gate.CHALLENGE_UNKNOWN)
        if row.office_id != office_id:
            return gate.challenge_reason(gate.CHALLENGE_OTHER_OFFICE)
        if row.used_at is not None:
            return gate.challenge_reason(gate.CHALLENGE_USED)
        if row.expires_at <= now:
            return gate.challenge_reason(gate.CHALLENGE_EXPIRED)
        return None

    def _challenge_id(self, session: Session, nonce: str) -> int:
        return self._challenge_row(session, nonce)[0]

    @staticmethod
    def _challenge_row(session: Session, nonce: str) -> tuple[int, str | None]:
        """The challenge's id and client (as _take_challenge just read them, or from the
        database): a booking needs them twice and they never change."""
        digest = _sha256(challenge_code.canonical(nonce))
        seen = session.info.get(_CHALLENGE_SEEN)
        if seen is not None and seen[0] == digest:
            return seen[1], seen[2]
        row = session.execute(select(Challenge.id, Challenge.client).where(
            Challenge.nonce_hash == digest)).one()
        return row[0], row[1]

    def _evidence_reasons(self, session: Session, accepted: gate.AcceptedReport,
                          now: datetime) -> list[Reason]:
        """The report against what this gateway measured itself (evidence.py)."""
        if not self.gate.observed_checks or _source(accepted.document) == "browser":
            # A browser check's report was written and signed by this gateway from figures it
            # measured itself (sources.py holds it to this gateway's own key).
            return []
        from precheck.gateway import evidence

        challenge_id, client = self._challenge_row(session, accepted.challenge)
        return evidence.measurement_reasons(session, self.gate, accepted,
                                            challenge_client=client,
                                            challenge_id=challenge_id, now=now)

    def _existing(self, session: Session, accepted: gate.AcceptedReport, office_id: str,
                  start: datetime) -> Booking | None:
        """The booking this very request made before (same challenge, same report, same time):
        a client retrying a POST whose answer was lost gets it back instead of challenge_used.
        The same report sent for another time is another request, and its challenge is spent."""
        return session.execute(
            select(Booking).join(Challenge, Challenge.id == Booking.challenge_id)
            .where(Challenge.nonce_hash == _sha256(challenge_code.canonical(accepted.challenge)),
                   Booking.report_digest == accepted.digest,
                   Booking.office_id == office_id,
                   Booking.slot_start == start)).scalar_one_or_none()

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

    # -- booking --------------------------------------------------------------------------------

    @metrics.observe_booking
    def create_booking(self, session: Session, office_id: str, form: BookingForm,
                       report: object, now: datetime, *, client: str | None = None,
                       channel: str = "booking") -> BookingCreated:
        """Book ``form.start`` at the office if its rules, the form and the report allow it.

        Raises, in this order: RuleBroken (the office's rules and the form, all at once; or
        online booking blocked after no-shows; or the limits per person and per address),
        GateRejected (every broken rule of the report, its measurements included), SlotTaken
        (the unique index said so, whatever process booked it first). The same request sent
        again (same challenge, same report) returns the booking it made, without new links.
        The access-history row of a booking made is written in the booking's own transaction
        (``channel`` names the way it came: the API's "booking", the pages' "page_booking").
        """
        office = self.office(office_id)
        _aware(now)
        violations: list[RuleViolation] = []
        start = _aware(form.start)
        bookable = rules.check_bookable(office, start, now)
        if bookable is not None:
            violations.append(bookable)
        clean, problems = rules.check_fields(office, form.fields())
        violations += problems
        if form.language not in gate.LANGUAGES:
            violations.append(RuleViolation("language", Message.of(N_(
                "Choose Japanese (ja) or English (en)."))))
        if violations:
            raise RuleBroken(violations)
        inspection = gate.inspect(report, self.gate, now)
        key_id = inspection.accepted.key_id if inspection.accepted else None
        if inspection.accepted is not None and _source(inspection.accepted.document) == "browser":
            # This gateway signs every browser check's report with its own key: that key names
            # no device, so it counts towards no person's limit and no no-show standing.
            key_id = None
        with _transaction(session):
            if inspection.accepted is not None:
                existing = self._existing(session, inspection.accepted, office.id, start)
                if existing is not None:
                    log.info("booking %s asked for again: the same answer", existing.id)
                    return BookingCreated(_view(existing), None, None, repeated=True)
            self._refuse_person(session, office, clean=clean, key_id=key_id, client=client,
                                now=now)
            closed = closures.violation(session, office, start)
            if closed is not None:
                raise RuleBroken([closed])
            accepted = self._admit(session, office, inspection, now)
            booking = self._insert_booking(session, office, start, clean=clean,
                                           language=form.language, accepted=accepted, now=now,
                                           client=client)
            confirm_token = cancel_token = None
            if booking.status == Status.PENDING:
                assert booking.hold_expires_at is not None  # noqa: S101 - set for PENDING
                confirm_token = self._new_token(session, booking, TokenPurpose.CONFIRM,
                                                booking.hold_expires_at, now)
                self._mail(session, office, booking, "confirm", token=confirm_token, now=now)
            else:
                cancel_token = self._new_token(session, booking, TokenPurpose.CANCEL,
                                               _cancel_expiry(booking), now)
                self._mail(session, office, booking, "booked", token=cancel_token, now=now)
            self._access(session, channel, "ok", now, client=client, office_id=office.id,
                         booking_id=booking.id, device_id=inspection.device_id)
        log.info("booking %s made at office %s (%s)", booking.id, office.id, booking.status)
        return BookingCreated(_view(booking), confirm_token, cancel_token)

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

    def _admit(self, session: Session, office: OfficeProfile, inspection: gate.Inspection,
               now: datetime) -> gate.AcceptedReport:
        """The report, once its challenge is consumed and its measurements hold; else
        GateRejected with every reason (the challenge is then left unused)."""
        reasons = list(inspection.reasons)
        if inspection.challenge:
            taken = self._take_challenge(session, inspection.challenge, office.id, now,
                                         consume=not reasons)
            if taken is not None:
                reasons.append(taken)
        if not reasons and inspection.accepted is not None:
            reasons += self._evidence_reasons(session, inspection.accepted, now)
        if reasons or inspection.accepted is None:
            raise GateRejected(reasons)
        return inspection.accepted

    def _insert_booking(self, session: Session, office: OfficeProfile, start: datetime, *,
                        clean: Mapping[str, str], language: str,
                        accepted: gate.AcceptedReport, now: datetime,
                        client: str | None = None) -> Booking:
        # A lapsed hold on this slot is let go first, in this transaction: the index then has
        # room, and nothing depends on the sweeper having run (models.py).
        lapsed = session.execute(
            update(Booking)
            .where(Booking.office_id == office.id, Booking.slot_start == start,
                   Booking.status == Status.PENDING, Booking.hold_expires_at <= now)
            .values(status=Status.EXPIRED, status_changed_at=now)
            .returning(Booking.id)).scalars().all()
        for booking_id in lapsed:
            session.add(BookingEvent(booking_id=booking_id, at=now, from_status=Status.PENDING,
                                     to_status=Status.EXPIRED, actor="system"))
        expires = rules.confirmation_expires(office, now)
        booking = Booking(
            reference=_reference(), office_id=office.id, slot_start=start,
            slot_end=start + office.slot,
            status=Status.PENDING if expires is not None else Status.CONFIRMED,
            hold_expires_at=None if expires is None else min(expires, start),
            name=clean.get("name", ""), email=clean.get("email", ""),
            phone=clean.get("phone"), jobseeker_number=clean.get("jobseeker_number"),
            note=clean.get("note"), language=language,
            report=dict(accepted.document), report_digest=accepted.digest,
            key_id=accepted.key_id,
            challenge_id=self._challenge_row(session, accepted.challenge)[0],
            created_at=now, confirmed_at=None if expires is not None else now,
            status_changed_at=now, client=self.keyed("client:" + client) if client else None)
        session.add(booking)
        try:
            session.flush()
        except IntegrityError as exc:
            if _is_slot_conflict(exc):
                raise SlotTaken from exc
            raise
        session.add(BookingEvent(booking_id=booking.id, at=now, from_status=None,
                                 to_status=booking.status, actor="job seeker"))
        return booking

    def link_booking(self, session: Session, token: str, purpose: str, now: datetime
                     ) -> BookingView:
        """The booking a confirm or cancel link is about, changing nothing (the link's page).

        NotFound for a token that never existed; LinkExpired when it lapsed or was used.
        """
        try:
            return _view(self._token_booking(session, token, purpose, now)[1])
        finally:
            session.rollback()

    def confirm_booking(self, session: Session, token: str, now: datetime) -> BookingConfirmed:
        """Confirm a pending booking (the page's button): pending -> confirmed, once.

        A second press gets StaleState("confirmed"); a lapsed hold gets LinkExpired.
        """
        with _transaction(session):
            row, booking = self._token_booking(session, token, TokenPurpose.CONFIRM, now)
            changed = session.execute(
                update(Booking)
                .where(Booking.id == booking.id, Booking.status == Status.PENDING,
                       Booking.hold_expires_at > now)
                .values(status=Status.CONFIRMED, confirmed_at=now, hold_expires_at=None,
                        status_changed_at=now))
            if _rowcount(changed) != 1:
                session.refresh(booking)
                if booking.status == Status.PENDING:  # still pending, but its hold lapsed
                    raise _lapsed_link(TokenPurpose.CONFIRM)
                raise StaleState(booking.status)
            row.used_at = now
            session.add(BookingEvent(booking_id=booking.id, at=now, from_status=Status.PENDING,
                                     to_status=Status.CONFIRMED, actor="job seeker"))
            session.refresh(booking)
            office = self.office(booking.office_id)
            cancel_token = self._new_token(session, booking, TokenPurpose.CANCEL,
                                           _cancel_expiry(booking), now)
            self._mail(session, office, booking, "confirmed", token=cancel_token, now=now)
        log.info("booking %s confirmed", booking.id)
        return BookingConfirmed(_view(booking), cancel_token)

    def cancel_booking(self, session: Session, token: str, now: datetime) -> BookingView:
        """Cancel online (the page's button), unless the session is today: then RuleBroken
        with the office's phone number (same-day cancellation is by phone only)."""
        with _transaction(session):
            row, booking = self._token_booking(session, token, TokenPurpose.CANCEL, now)
            office = self.office(booking.office_id)
            refusal = rules.cancel_refusal(office, booking.slot_start, now)
            if refusal is not None:
                raise RuleBroken([refusal])
            before = booking.status
            changed = session.execute(
                update(Booking)
                .where(Booking.id == booking.id,
                       Booking.status.in_((Status.PENDING, Status.CONFIRMED)))
                .values(status=Status.CANCELLED_BY_USER, status_changed_at=now))
            if _rowcount(changed) != 1:
                session.refresh(booking)
                raise StaleState(booking.status)
            row.used_at = now
            session.add(BookingEvent(booking_id=booking.id, at=now, from_status=before,
                                     to_status=Status.CANCELLED_BY_USER, actor="job seeker"))
            session.refresh(booking)
            self._mail(session, office, booking, "cancelled", token=None, now=now)
        log.info("booking %s cancelled by the job seeker", booking.id)
        return _view(booking)

    def _token_booking(self, session: Session, token: str, purpose: str, now: datetime
                       ) -> tuple[BookingToken, Booking]:
        row = session.execute(select(BookingToken).where(
            BookingToken.token_hash == _sha256(token), BookingToken.purpose == purpose)
        ).scalar_one_or_none()
        if row is None:
            raise NotFound(Message.of(N_(
                "This link is not known. Please use the link from your latest email.")))
        if row.used_at is not None or row.expires_at <= now:
            booking = session.get(Booking, row.booking_id)
            if booking is not None and row.used_at is not None and booking.status != Status.PENDING:
                raise StaleState(booking.status)
            raise _lapsed_link(purpose)
        booking = session.get(Booking, row.booking_id)
        if booking is None:  # a token always has its booking (foreign key); defensive
            raise NotFound(Message.of(N_("This booking no longer exists.")))
        return row, booking

    def _new_token(self, session: Session, booking: Booking, purpose: str, expires: datetime,
                   now: datetime) -> str:
        token = secrets.token_urlsafe(TOKEN_BYTES)
        session.add(BookingToken(booking_id=booking.id, purpose=purpose,
                                 token_hash=_sha256(token), created_at=now, expires_at=expires))
        return token

    def _mail(self, session: Session, office: OfficeProfile, booking: Booking, kind: str, *,
              token: str | None, now: datetime) -> None:
        from precheck.gateway import desk

        desk.queue_mail(self, session, office, booking, kind, token=token, now=now)

    # -- check-in -------------------------------------------------------------------------------

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
            booking = session.execute(select(Booking).where(
                Booking.reference == _clean_reference(reference))).scalar_one_or_none()
            if booking is None:
                raise NotFound(Message.of(N_(
                    "There is no booking {reference}. Check the reference in your email."),
                    reference=_printable(reference).strip()[:20]))
            office = self.office(booking.office_id)
            if booking.status != Status.CONFIRMED:
                raise StaleState(booking.status)
            if booking.checked_in_at is not None:
                raise StaleState("checked_in")
            self._check_in_window(office, booking, now)
            inspection = gate.inspect(report, self.gate, now)
            reasons = list(inspection.reasons)
            owner = inspection.key_id == booking.key_id
            unread = inspection.key_id is None and reasons  # refused before its key was known
            if not owner and not unread and not self._holds_secret(session, booking, secret):
                reasons.insert(0, Reason(gate.NOT_OWNER, Message.of(N_(
                    "Only the person who made the booking can check in: use the computer you "
                    "booked with, or the link from the booking's email."))))
            if inspection.challenge:
                taken = self._take_challenge(session, inspection.challenge, office.id, now,
                                             consume=not reasons)
                if taken is not None:
                    reasons.append(taken)
            if not reasons and inspection.accepted is not None:
                reasons += self._evidence_reasons(session, inspection.accepted, now)
            if reasons or inspection.accepted is None:
                raise GateRejected(reasons)
            accepted = inspection.accepted
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

    # -- staff ----------------------------------------------------------------------------------

    def set_status(self, session: Session, booking_id: int, expected: str, new: str, *,
                   staff_id: int, now: datetime) -> BookingView:
        """A staff member's status change, applied only if the booking is still ``expected``.

        Allowed changes: STAFF_TRANSITIONS. No-show only from the no-show time on. A no-show
        counts against the job seeker; undoing one takes it back.
        """
        _aware(now)
        if new not in STAFF_TRANSITIONS.get(expected, frozenset()):
            raise RuleBroken([RuleViolation("transition", Message.of(N_(
                "A booking that is {old} cannot be changed to {new}."),
                old=Message.of(STATUS_LABELS.get(expected, expected)),
                new=Message.of(STATUS_LABELS.get(new, new))))])
        with _transaction(session):
            booking = session.get(Booking, booking_id)
            if booking is None:
                raise NotFound(Message.of(N_("There is no such booking.")))
            office = self.office(booking.office_id)
            if new == Status.NO_SHOW and now < rules.no_show_at(office, booking.slot_start):
                raise RuleBroken([RuleViolation("too_early", Message.of(N_(
                    "A booking can be marked as missed only {minutes} minutes after its start."),
                    minutes=int(office.no_show_after.total_seconds() // 60)))])
            changed = session.execute(
                update(Booking).where(Booking.id == booking_id, Booking.status == expected)
                .values(status=new, status_changed_at=now))
            if _rowcount(changed) != 1:
                session.refresh(booking)
                raise StaleState(booking.status)
            session.add(BookingEvent(booking_id=booking_id, at=now, from_status=expected,
                                     to_status=new, actor=f"staff:{staff_id}"))
            subjects = self._subjects(booking.email, booking.jobseeker_number, booking.key_id)
            if new == Status.NO_SHOW:
                self._count_no_show(session, office, subjects, now, +1)
            elif expected == Status.NO_SHOW:
                self._count_no_show(session, office, subjects, now, -1)
            if new == Status.CANCELLED_BY_OFFICE:
                session.refresh(booking)
                self._mail(session, office, booking, "office_cancelled", token=None, now=now)
            session.refresh(booking)
        log.info("booking %s: %s -> %s by staff %s", booking_id, expected, new, staff_id)
        return _view(booking)

    def day_view(self, session: Session, office_id: str, day: date) -> list[BookingView]:
        """Every booking of the office on ``day`` (Asia/Tokyo), any status, by start time."""
        office = self.office(office_id)
        low = datetime.combine(day, time(0), TOKYO)
        try:
            rows = session.execute(
                select(Booking).where(
                    Booking.office_id == office.id, Booking.slot_start >= low,
                    Booking.slot_start < low + timedelta(days=1))
                .order_by(Booking.slot_start, Booking.id)).scalars().all()
            return [_view(row) for row in rows]
        finally:
            session.rollback()

    def find_booking(self, session: Session, reference: str) -> BookingView:
        """One booking by its reference (as typed: case and hyphens do not matter)."""
        try:
            booking = session.execute(select(Booking).where(
                Booking.reference == _clean_reference(reference))).scalar_one_or_none()
            if booking is None:
                raise NotFound(Message.of(N_(
                    "There is no booking {reference}. Check the reference in your email."),
                    reference=_printable(reference).strip()[:20]))
            return _view(booking)
        finally:
            session.rollback()

    def get_booking(self, session: Session, booking_id: int) -> BookingView:
        """One booking by its id (staff), or NotFound."""
        try:
            booking = session.get(Booking, booking_id)
            if booking is None:
                raise NotFound(Message.of(N_("There is no such booking.")))
            return _view(booking)
        finally:
            session.rollback()

    def booking_report(self, session: Session, booking_id: int, *, checkin: bool = False
                       ) -> Mapping[str, Any] | None:
        """The report stored with the booking (or with its check-in), as it was received."""
        try:
            booking = session.get(Booking, booking_id)
            if booking is None:
                raise NotFound(Message.of(N_("There is no such booking.")))
            return booking.checkin_report if checkin else booking.report
        finally:
            session.rollback()

    def key_visits(self, session: Session, office_id: str, key_id: str) -> int:
        """How many bookings at the office were made with this device key (continuity)."""
        try:
            return session.execute(select(func.count()).select_from(Booking).where(
                Booking.office_id == office_id, Booking.key_id == key_id)).scalar_one()
        finally:
            session.rollback()

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

    # -- no-shows -------------------------------------------------------------------------------

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

    # -- rate limits and access history ---------------------------------------------------------

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

    def _access(self, session: Session, action: str, outcome: str, now: datetime, *,
                client: str | None = None, office_id: str | None = None,
                booking_id: int | None = None, device_id: str | None = None) -> None:
        session.add(AccessLog(
            at=_aware(now), action=action[:40], outcome=outcome[:40],
            office_id=_printable(office_id)[:40] if office_id else None, booking_id=booking_id,
            client=self.keyed("client:" + client) if client else None,
            device=self.keyed("device:" + device_id) if device_id else None))

    def keyed(self, text: str) -> str:
        """HMAC-SHA256 of ``text`` with the gateway's own key (128 bits, hex): a pseudonym that
        cannot be reversed or recomputed without the key."""
        return hmac.new(self._key, text.encode("utf-8"), hashlib.sha256).hexdigest()[:32]

    def gate_info(self) -> GateInfo:
        """What reports this gateway accepts."""
        return GateInfo(self.gate.accepted_policies, tuple(sorted(self.gate.required_checks)),
                        self.gate.max_age, self.settings.challenge_ttl)


# -- helpers --------------------------------------------------------------------------------------

class _transaction:  # noqa: N801 - used like a function: `with _transaction(session):`
    """Commit when the block succeeds, roll back when it raises (and re-raise)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def __enter__(self) -> Session:
        return self.session

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is not None:
            self._rollback()
            return
        try:
            self.session.flush()  # a failure here: nothing was committed
        except BaseException:
            self._rollback()
            raise
        try:
            self.session.commit()
        except (OperationalError, InterfaceError) as exc:
            # The connection went while committing: the change may have been made.
            with contextlib.suppress(SQLAlchemyError):
                self.session.rollback()
            raise CommitUncertain from exc

    def _rollback(self) -> None:
        try:
            self.session.rollback()
        except SQLAlchemyError:  # the connection is gone: the transaction went with it
            log.warning("rollback failed: the database connection was lost")


def _view(row: Booking) -> BookingView:
    checks = row.report.get("checks", []) if isinstance(row.report, Mapping) else []
    failed = tuple(c.get("id", "") for c in checks if c.get("status") in ("fail", "error"))
    warned = tuple(c.get("id", "") for c in checks if c.get("status") == "warn")
    return BookingView(
        id=row.id, reference=row.reference, office_id=row.office_id,
        start=row.slot_start.astimezone(TOKYO), end=row.slot_end.astimezone(TOKYO),
        status=row.status,
        hold_expires_at=row.hold_expires_at.astimezone(TOKYO) if row.hold_expires_at else None,
        name=row.name, email=row.email, phone=row.phone, jobseeker_number=row.jobseeker_number,
        note=row.note, language=row.language, created_at=row.created_at.astimezone(TOKYO),
        confirmed_at=row.confirmed_at.astimezone(TOKYO) if row.confirmed_at else None,
        checked_in_at=row.checked_in_at.astimezone(TOKYO) if row.checked_in_at else None,
        report_digest=row.report_digest, key_id=row.key_id,
        verdict=str(row.report.get("verdict", "")) if isinstance(row.report, Mapping) else "",
        failed_checks=failed, warned_checks=warned,
        checkin_report_digest=row.checkin_report_digest, checkin_key_id=row.checkin_key_id,
        booked_by=row.booked_by, meeting_url=row.meeting_url, source=_source(row.report))


def _source(report: object) -> str:
    source = report.get("source") if isinstance(report, Mapping) else None
    return str(source.get("kind", "live")) if isinstance(source, Mapping) else "live"


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        msg = f"{moment!r} has no time zone: the gateway works with aware datetimes only"
        raise ValueError(msg)
    return moment


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _reference() -> str:
    chars = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(10))
    return f"{chars[:5]}-{chars[5:]}"


def _clean_reference(text: str) -> str:
    """A reference as typed: case, spaces and hyphen look-alikes do not matter."""
    import unicodedata

    folded = unicodedata.normalize("NFKC", text).upper()
    chars = "".join(c for c in folded if c in _REFERENCE_ALPHABET)
    return f"{chars[:5]}-{chars[5:]}" if len(chars) == 10 else _printable(folded).strip()[:20]


def _printable(text: str) -> str:
    """``text`` without control characters (PostgreSQL refuses NUL in text; none belongs in a
    name, an id or a reference)."""
    return "".join(c for c in text if c.isprintable())


def _lapsed_link(purpose: str) -> LinkExpired:
    if purpose == TokenPurpose.CANCEL:
        return LinkExpired(Message.of(N_(
            "This cancel link has lapsed: the day of the session is over.")))
    return LinkExpired(Message.of(N_(
        "This link has lapsed. A booking not confirmed within the time given in the email is "
        "released: please book again.")))


def _cancel_expiry(booking: Booking) -> datetime:
    """A cancel link works until the end of the session's day (Asia/Tokyo); on the day itself
    the page says to phone the office instead (rules.cancel_refusal)."""
    day = booking.slot_start.astimezone(TOKYO).date()
    return datetime.combine(day + timedelta(days=1), time(0), TOKYO)


def _rowcount(result: Any) -> int:
    return int(result.rowcount)


def _is_slot_conflict(exc: IntegrityError) -> bool:
    """True when the insert broke the live-slot index (and not, say, a reference clash)."""
    diag = getattr(exc.orig, "diag", None)
    if diag is not None:  # psycopg names the constraint
        return getattr(diag, "constraint_name", None) == "uq_bookings_live_slot"
    text = str(exc.orig)
    return "bookings.office_id" in text and "bookings.slot_start" in text


def _dialect_insert(session: Session) -> Any:
    """INSERT with ON CONFLICT, which both SQLite and PostgreSQL have (SQLAlchemy per dialect)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


def _upsert_standing(session: Session, office_id: str, subject: str, step: int) -> None:
    insert = _dialect_insert(session)
    statement = insert(NoShowStanding).values(office_id=office_id, subject=subject,
                                              no_shows=max(step, 0))
    session.execute(statement.on_conflict_do_update(
        index_elements=[NoShowStanding.office_id, NoShowStanding.subject],
        set_={"no_shows": func.max(NoShowStanding.no_shows + step, 0)
              if session.get_bind().dialect.name == "sqlite"
              else func.greatest(NoShowStanding.no_shows + step, 0)}))


def _upsert_hits(session: Session, scope: str, client: str, window: datetime) -> int:
    insert = _dialect_insert(session)
    statement = insert(RateBucket).values(scope=scope, client=client, window_start=window, hits=1)
    result = session.execute(statement.on_conflict_do_update(
        index_elements=[RateBucket.scope, RateBucket.client, RateBucket.window_start],
        set_={"hits": RateBucket.hits + 1}).returning(RateBucket.hits))
    return int(result.scalar_one())


def _shared_key(session: Session, name: str) -> bytes:
    """The named secret, made by whichever process asks first (the others read it)."""
    for _ in range(2):
        value = session.execute(select(GatewayKey.value).where(GatewayKey.name == name)
                                ).scalar_one_or_none()
        if value is not None:
            session.rollback()
            return bytes(value)
        session.add(GatewayKey(name=name, value=secrets.token_bytes(32)))
        try:
            session.commit()
        except IntegrityError:
            session.rollback()  # another process made it first: read theirs
    msg = "the gateway's key could not be read or made; is the database migrated?"
    raise PrecheckError(msg)

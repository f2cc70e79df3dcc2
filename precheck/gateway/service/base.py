"""What every area of the service shares: the settings, offices, gate and key, one
transaction per operation, and the helpers the areas (and desk.py) use."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import secrets
from collections.abc import Mapping
from datetime import datetime, time, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Self

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError, SQLAlchemyError

from precheck.errors import PrecheckError
from precheck.gateway import challenge_code, gate
from precheck.gateway.gate import GatePolicy
from precheck.gateway.models import (
    AccessLog,
    Booking,
    BookingEvent,
    BookingToken,
    Challenge,
    GatewayKey,
    Status,
    TokenPurpose,
)
from precheck.gateway.offices import TOKYO, OfficeProfile, load_offices
from precheck.gateway.service.errors import CommitUncertain, NotFound
from precheck.gateway.service.values import BookingView, GateInfo
from precheck.result import N_, Message

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

    from precheck.gateway.settings import GatewaySettings
    from precheck.reports.signing import Identity

log = logging.getLogger(__name__)


#: Bytes of randomness in a link token (256 bits). A challenge nonce is a code a person can
#: read aloud, 140 bits: see challenge_code.
TOKEN_BYTES = 32
#: Booking references: Crockford's base32 (no I, L, O, U), read out on the phone.
_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_HMAC_KEY = "hmac"


class GatewayBase:
    """The state of the booking service (immutable after :meth:`open`); the areas add
    the operations."""

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
             offices: Mapping[str, OfficeProfile] | None = None) -> Self:
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

    def office(self, office_id: str) -> OfficeProfile:
        """The office profile, or NotFound."""
        office = self.offices.get(office_id)
        if office is None:
            raise NotFound(Message.of(N_("There is no office {office}."),
                                      office=_printable(office_id)[:40]))
        return office

    def _mail(self, session: Session, office: OfficeProfile, booking: Booking, kind: str, *,
              token: str | None, now: datetime) -> None:
        from precheck.gateway import desk

        desk.queue_mail(self, session, office, booking, kind, token=token, now=now)

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


def _by_reference(session: Session, reference: str) -> Booking:
    """The booking with ``reference`` (as typed), or NotFound."""
    booking = session.execute(select(Booking).where(
        Booking.reference == _clean_reference(reference))).scalar_one_or_none()
    if booking is None:
        raise NotFound(Message.of(N_(
            "There is no booking {reference}. Check the reference in your email."),
            reference=_printable(reference).strip()[:20]))
    return booking


def _printable(text: str) -> str:
    """``text`` without control characters (PostgreSQL refuses NUL in text; none belongs in a
    name, an id or a reference)."""
    return "".join(c for c in text if c.isprintable())


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


def _new_token(session: Session, booking: Booking, purpose: str, expires: datetime,
               now: datetime) -> str:
    """A new link token for ``booking``; only its hash is stored (the mail that carries it
    seals it, mail.py)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(BookingToken(booking_id=booking.id, purpose=purpose,
                             token_hash=_sha256(token), created_at=now, expires_at=expires))
    return token


def manage_token(session: Session, booking: Booking, now: datetime) -> str:
    """A new link to the booking's own page (change or cancel), valid to the session's day end."""
    return _new_token(session, booking, TokenPurpose.CANCEL, _cancel_expiry(booking), now)


def _release_lapsed_hold(session: Session, office_id: str, start: datetime,
                         now: datetime) -> None:
    """Let go of a lapsed hold on the slot at ``start`` (it becomes expired), so that the
    live-slot index has room for a booking or a move to it."""
    lapsed = session.execute(
        update(Booking)
        .where(Booking.office_id == office_id, Booking.slot_start == start,
               Booking.status == Status.PENDING, Booking.hold_expires_at <= now)
        .values(status=Status.EXPIRED, status_changed_at=now)
        .returning(Booking.id)).scalars().all()
    for booking_id in lapsed:
        session.add(BookingEvent(booking_id=booking_id, at=now, from_status=Status.PENDING,
                                 to_status=Status.EXPIRED, actor="system"))


def _spent_challenge(session: Session, office_id: str, now: datetime) -> int:
    """A challenge used at once, for a booking that came with no report (staff's)."""
    challenge = Challenge(nonce_hash=_sha256(challenge_code.new()), office_id=office_id,
                          created_at=now, expires_at=now, used_at=now)
    session.add(challenge)
    session.flush()
    return challenge.id

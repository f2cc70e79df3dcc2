"""Staff users: argon2id password hashes, and login sessions kept in the database.

``precheck gateway create-staff`` makes a user (:func:`create_staff`). The staff pages
(``staff.py``) log in with :func:`authenticate`, keep the browser's session with
:func:`start_session` / :func:`session_staff` / :func:`end_session` (a random 256-bit cookie
token, stored as its SHA-256, so every gateway process knows every session), and derive their
CSRF token from the session cookie.

An unknown user name costs as much time as a wrong password (a dummy hash is verified), so the
login page does not tell which user names exist.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from precheck.errors import PrecheckError
from precheck.gateway.models import StaffSession, StaffUser

if TYPE_CHECKING:
    from argon2 import PasswordHasher
    from sqlalchemy.orm import Session

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
#: Wrong passwords in a row after which an account locks, whatever addresses they came from
#: (the per-address limit alone let 10 addresses guess 100 times a minute).
LOCK_AFTER = 10
MIN_PASSWORD = 12
MAX_PASSWORD = 1024
SESSION_TOKEN_BYTES = 32


class StaffError(PrecheckError):
    """A staff user could not be made or changed; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class StaffAccount:
    """A staff user as the pages see one (never the hash)."""

    id: int
    username: str


@cache
def hasher() -> PasswordHasher:
    """argon2id with argon2-cffi's defaults (RFC 9106's low-memory recommendation)."""
    from argon2 import PasswordHasher

    return PasswordHasher()


@cache
def _dummy_hash() -> str:
    return hasher().hash(secrets.token_urlsafe(16))


def check_username(username: str) -> str:
    """The user name, or StaffError: 1-64 lower-case letters, digits, '.', '_' or '-'."""
    if not USERNAME.fullmatch(username):
        msg = (f"the user name {username[:70]!r} is not allowed: use 1 to 64 lower-case letters, "
               "digits, '.', '_' or '-', starting with a letter or digit")
        raise StaffError(msg)
    return username


def check_password(password: str) -> str:
    """The password, or StaffError when it is too short or too long."""
    if len(password) < MIN_PASSWORD:
        msg = f"the password is too short: use at least {MIN_PASSWORD} characters"
        raise StaffError(msg)
    if len(password) > MAX_PASSWORD:
        msg = f"the password is too long: use at most {MAX_PASSWORD} characters"
        raise StaffError(msg)
    return password


def create_staff(session: Session, username: str, password: str, now: datetime) -> StaffAccount:
    """Make a staff user (commits). StaffError when the name is taken or not allowed."""
    row = StaffUser(username=check_username(username),
                    password_hash=hasher().hash(check_password(password)), created_at=now)
    session.add(row)
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        msg = f"there is already a staff user {username!r}; choose another name"
        raise StaffError(msg) from exc
    return StaffAccount(row.id, row.username)


def set_password(session: Session, username: str, password: str, now: datetime) -> None:
    """Give a staff user a new password and end their sessions (commits)."""
    row = _user(session, username)
    row.password_hash = hasher().hash(check_password(password))
    session.execute(update(StaffSession).where(StaffSession.staff_id == row.id,
                                               StaffSession.ended_at.is_(None))
                    .values(ended_at=now))
    session.commit()


def set_disabled(session: Session, username: str, now: datetime, *, disabled: bool) -> None:
    """Stop (or allow again) a staff user's logins; stopping ends their sessions (commits)."""
    row = _user(session, username)
    row.disabled_at = now if disabled else None
    if disabled:
        session.execute(update(StaffSession).where(StaffSession.staff_id == row.id,
                                                   StaffSession.ended_at.is_(None))
                        .values(ended_at=now))
    session.commit()


def _user(session: Session, username: str) -> StaffUser:
    row = session.execute(select(StaffUser).where(StaffUser.username == username)
                          ).scalar_one_or_none()
    if row is None:
        msg = f"there is no staff user {username!r}"
        raise StaffError(msg)
    return row


class AccountLocked(StaffError):
    """The account locked itself after :data:`LOCK_AFTER` wrong passwords in a row."""


def authenticate(session: Session, username: str, password: str, now: datetime
                 ) -> StaffAccount | None:
    """The staff user when the password is right and the user is active, else None (commits).

    Each wrong password counts against the account; at :data:`LOCK_AFTER` in a row it locks
    and even the right password gets AccountLocked until :func:`unlock`
    (``precheck gateway unlock-staff NAME``). A name that cannot be a user name (control
    characters, capitals) is refused without asking the database.
    """
    from argon2.exceptions import InvalidHashError, VerificationError

    row = None
    if USERNAME.fullmatch(username):
        row = session.execute(select(StaffUser).where(StaffUser.username == username)
                              ).scalar_one_or_none()
    stored = row.password_hash if row is not None else _dummy_hash()
    try:
        hasher().verify(stored, password[:MAX_PASSWORD])
    except (VerificationError, InvalidHashError):
        if row is not None and row.locked_at is not None:
            session.rollback()
            raise AccountLocked(f"the staff account {username!r} is locked") from None
        if row is not None:
            row.failed_logins = (row.failed_logins or 0) + 1
            if row.failed_logins >= LOCK_AFTER:
                row.locked_at = now
            session.commit()
        else:
            session.rollback()
        return None
    if row is None or row.disabled_at is not None:
        session.rollback()
        return None
    if row.locked_at is not None:
        session.rollback()
        raise AccountLocked(f"the staff account {username!r} is locked")
    if hasher().check_needs_rehash(row.password_hash):  # parameters were raised since
        row.password_hash = hasher().hash(password)
    row.last_login_at = now
    row.failed_logins = 0
    session.commit()
    return StaffAccount(row.id, row.username)


def unlock(session: Session, username: str) -> None:
    """Let a locked account log in again (its failure count back to 0; commits)."""
    row = _user(session, username)
    row.locked_at = None
    row.failed_logins = 0
    session.commit()


def start_session(session: Session, staff: StaffAccount, now: datetime, ttl: timedelta) -> str:
    """A new login session for ``staff``; returns the cookie's token (commits)."""
    token = secrets.token_urlsafe(SESSION_TOKEN_BYTES)
    session.add(StaffSession(token_hash=_digest(token), staff_id=staff.id, created_at=now,
                             expires_at=now + ttl))
    session.commit()
    return token


def session_staff(session: Session, token: str | None, now: datetime) -> StaffAccount | None:
    """The staff user whose live session ``token`` is, or None (ended, expired, disabled)."""
    if not token:
        return None
    try:
        found = session.execute(
            select(StaffUser.id, StaffUser.username)
            .join(StaffSession, StaffSession.staff_id == StaffUser.id)
            .where(StaffSession.token_hash == _digest(token), StaffSession.ended_at.is_(None),
                   StaffSession.expires_at > now, StaffUser.disabled_at.is_(None))).first()
    finally:
        session.rollback()
    return StaffAccount(found[0], found[1]) if found is not None else None


def end_session(session: Session, token: str | None, now: datetime) -> None:
    """Log out: the session's token stops working at once (commits)."""
    if token:
        session.execute(update(StaffSession).where(StaffSession.token_hash == _digest(token))
                        .values(ended_at=now))
    session.commit()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()

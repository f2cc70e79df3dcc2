"""The outbox's sender: claims due mails, sends them over SMTP, retries, never loses one.

:func:`send_due` (run by each gateway process's worker, :func:`run_sender`) claims due mails with
a compare-and-swap lease, puts each sealed link token into its body (mail.as_sent), sends and marks
them sent; a temporary failure waits ``mail_backoff_base * 2**(attempts-1)`` (at most
``mail_backoff_cap``), a permanent one or the last attempt marks the mail failed. What is queued,
and how, is mail.py's.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
import smtplib
import socket
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidTag
from sqlalchemy import or_, select, update

from precheck.gateway.mail import BATCH, LEASE, TOKEN_SLOT, _unseal, outbox_key
from precheck.gateway.models import OutboxMail

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path

    from sqlalchemy.orm import Session, sessionmaker

    from precheck.gateway.offices import OfficeProfile
    from precheck.gateway.settings import GatewaySettings

log = logging.getLogger(__name__)


def as_sent(session: Session, row: OutboxMail, settings: GatewaySettings,
            now: datetime) -> EmailMessage:
    """The message a row becomes when it is sent: its link filled in, its calendar attached.
    (The sender uses it; so do tests that follow a mailed link.)"""
    claimed = _Claimed(row.id, row.attempts, row.recipient, row.subject, row.body,
                       row.message_id, row.sealed_token, row.attachment)
    return _message(claimed, settings, now, outbox_key(session))


@dataclass(frozen=True, slots=True)
class SendCounts:
    sent: int
    retrying: int
    failed: int


@dataclass(frozen=True, slots=True)
class _Claimed:
    """What a sender needs of a mail it claimed (read in the claiming transaction)."""

    id: int
    attempts: int
    recipient: str
    subject: str
    body: str
    message_id: str
    sealed_token: bytes | None
    attachment: str | None


def send_due(factory: sessionmaker[Session], settings: GatewaySettings,
             now: datetime | None = None) -> SendCounts:
    """Send the mails that are due (one batch). Safe to run in several processes at once.

    With no SMTP server configured nothing is sent and the mails wait.
    """
    if not settings.smtp_host:
        return SendCounts(0, 0, 0)
    moment = now or datetime.now(UTC)
    with factory() as session:
        claimed = _claim(session, moment)
        key = outbox_key(session) if claimed else b""
        session.commit()
    if not claimed:
        return SendCounts(0, 0, 0)
    outcomes: list[tuple[_Claimed, str | None, bool]] = []  # mail, error (None: sent), permanent
    try:
        connection = _connect(settings)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("mail server %s:%s unreachable (%s); %s mail(s) wait for a retry",
                    settings.smtp_host, settings.smtp_port, _describe(exc), len(claimed))
        outcomes = [(mail, _describe(exc), False) for mail in claimed]
    else:
        try:
            for index, mail in enumerate(claimed):
                try:
                    message = _message(mail, settings, moment, key)
                except (ValueError, InvalidTag) as exc:  # a row no sender can complete
                    outcomes.append((mail, f"unsendable: {type(exc).__name__}", True))
                    continue
                try:
                    connection.send_message(message)
                except (OSError, smtplib.SMTPException) as exc:
                    outcomes.append((mail, _describe(exc), _is_permanent(exc)))
                    if isinstance(exc, OSError | smtplib.SMTPServerDisconnected):
                        outcomes += [(rest, "not tried: the connection was lost", False)
                                     for rest in claimed[index + 1:]]
                        break
                else:
                    outcomes.append((mail, None, False))
        finally:
            _close(connection)
    with factory() as session:
        counts = _record(session, outcomes, settings, moment)
        session.commit()
    if counts.sent or counts.retrying or counts.failed:
        log.info("outbox: %s sent, %s to retry, %s failed", counts.sent, counts.retrying,
                 counts.failed)
    return counts


def _claim(session: Session, now: datetime) -> list[_Claimed]:
    """Take a lease on up to BATCH due mails; a mail another sender holds is skipped."""
    due = session.execute(
        select(OutboxMail.id)
        .where(OutboxMail.sent_at.is_(None), OutboxMail.failed_at.is_(None),
               OutboxMail.next_attempt_at <= now,
               or_(OutboxMail.locked_until.is_(None), OutboxMail.locked_until <= now))
        .order_by(OutboxMail.next_attempt_at, OutboxMail.id).limit(BATCH)).scalars().all()
    claimed: list[_Claimed] = []
    for mail_id in due:
        won = session.execute(
            update(OutboxMail)
            .where(OutboxMail.id == mail_id, OutboxMail.sent_at.is_(None),
                   OutboxMail.failed_at.is_(None),
                   or_(OutboxMail.locked_until.is_(None), OutboxMail.locked_until <= now))
            .values(locked_until=now + LEASE)
            .returning(OutboxMail.id, OutboxMail.attempts, OutboxMail.recipient,
                       OutboxMail.subject, OutboxMail.body, OutboxMail.message_id,
                       OutboxMail.sealed_token, OutboxMail.attachment)).first()
        if won is not None:
            columns: tuple[Any, ...] = tuple(won)
            claimed.append(_Claimed(*columns))
    session.commit()
    return claimed


def _record(session: Session, outcomes: list[tuple[_Claimed, str | None, bool]],
            settings: GatewaySettings, now: datetime) -> SendCounts:
    sent = retrying = failed = 0
    for mail, error, permanent in outcomes:
        attempts = mail.attempts + 1
        values: dict[str, object] = {"attempts": attempts, "locked_until": None,
                                     "last_error": error}
        if error is None:
            values["sent_at"] = now
            values["sealed_token"] = None  # the link is the job seeker's now; keep no copy
            sent += 1
        elif permanent or attempts >= settings.mail_max_attempts:
            values["failed_at"] = now
            failed += 1
            log.error("mail %s set aside after %s attempt(s): %s", mail.id, attempts, error)
        else:
            values["next_attempt_at"] = now + backoff(settings, attempts)
            retrying += 1
        session.execute(update(OutboxMail).where(OutboxMail.id == mail.id).values(**values))
    return SendCounts(sent, retrying, failed)


def backoff(settings: GatewaySettings, attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failure: doubling, capped, with some jitter
    (80-100 %) so that mails that failed together do not all retry together."""
    base = settings.mail_backoff_base.total_seconds()
    delay = min(settings.mail_backoff_cap.total_seconds(), base * 2 ** min(attempts - 1, 30))
    return timedelta(seconds=delay * random.uniform(0.8, 1.0))  # noqa: S311 - not a secret


def _connect(settings: GatewaySettings) -> smtplib.SMTP:
    timeout = settings.smtp_timeout.total_seconds()
    connection: smtplib.SMTP
    if settings.smtp_ssl:
        connection = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=timeout,
                                      context=ssl.create_default_context())
    else:
        connection = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout,
                                  local_hostname=socket.getfqdn() or "localhost")
        if settings.smtp_starttls:
            connection.starttls(context=ssl.create_default_context())
    if settings.smtp_user:
        connection.login(settings.smtp_user, settings.smtp_password)
    return connection


def _close(connection: smtplib.SMTP) -> None:
    try:
        connection.quit()
    except (OSError, smtplib.SMTPException):
        connection.close()


def _message(mail: _Claimed, settings: GatewaySettings, now: datetime,
             key: bytes) -> EmailMessage:
    body = mail.body
    if TOKEN_SLOT in body:
        if mail.sealed_token is None:
            msg = f"mail {mail.id} has a link but no sealed token (sent already?)"
            raise ValueError(msg)
        body = body.replace(TOKEN_SLOT, _unseal(key, mail.sealed_token, mail.message_id))
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = mail.recipient
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = mail.message_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body)
    if mail.attachment:
        calendar = _calendar_file(mail.attachment, settings)
        if calendar is not None:
            message.add_attachment(calendar.encode("utf-8"), maintype="text",
                                   subtype="calendar", filename="consultation.ics",
                                   params={"method": _ics_method(calendar)})
    return message


def _calendar_file(facts_json: str, settings: GatewaySettings) -> str | None:
    from precheck.gateway import ics

    facts = ics.EventFacts.from_json(facts_json)
    office = _profiles(settings.offices_path).get(facts.office_id)
    if office is None:  # the office left the profile file since the mail was queued
        log.warning("mail for office %s goes without its calendar file: no such office",
                    facts.office_id[:40])
        return None
    return ics.booking_event(office, facts)


@functools.cache
def _profiles(path: Path | None) -> Mapping[str, OfficeProfile]:
    from precheck.gateway.offices import load_offices

    return load_offices(path)


def _ics_method(text: str) -> str:
    return "CANCEL" if "\r\nMETHOD:CANCEL\r\n" in text else "PUBLISH"


def _is_permanent(exc: BaseException) -> bool:
    """A 5xx answer: the server will refuse this mail again, so retrying is pointless."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    code = getattr(exc, "smtp_code", None)
    return isinstance(code, int) and code >= 500


def _describe(exc: BaseException) -> str:
    """The error's kind and SMTP code: never its text, which may quote an address."""
    code = getattr(exc, "smtp_code", None)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({c for c, _ in exc.recipients.values()})
        return f"SMTPRecipientsRefused {','.join(map(str, codes))}"
    return f"{type(exc).__name__} {code}" if code is not None else type(exc).__name__


async def run_sender(factory: sessionmaker[Session], settings: GatewaySettings,
                     stop: asyncio.Event, clock: Callable[[], datetime] | None = None) -> None:
    """The outbox worker: send due mails every ``mail_interval`` until ``stop`` is set."""
    interval = settings.mail_interval.total_seconds()
    while not stop.is_set():
        try:
            await asyncio.to_thread(send_due, factory, settings, clock() if clock else None)
        except Exception as exc:  # noqa: BLE001 - the worker must outlive a bad round
            log.error("outbox worker: %s (will try again)", type(exc).__name__)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)



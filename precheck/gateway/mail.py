"""Email through an outbox: written with the booking, sent by a worker that retries.

A mail is a row of ``outbox`` added in the very transaction that causes it (a booking, a
confirmation, a cancellation), so a booking never exists without its mail and a rolled-back
booking sends nothing. The sender (:func:`send_due`, run by each gateway process's worker)
claims due mails with a compare-and-swap lease, sends them over SMTP and marks them sent; when
the server is down or answers with a temporary error it tries again later, waiting
``mail_backoff_base * 2**(attempts-1)`` (at most ``mail_backoff_cap``). Nothing is lost: a mail
the server refuses for good (a 5xx answer), or one still unsent after ``mail_max_attempts``, is
kept and marked failed, for ``precheck gateway outbox --retry``. A crash between sending and
marking sends that mail again with the same Message-ID (at least once, never zero times).

Links in a mail open a page and change nothing (``CONFIRM_PATH``, ``CANCEL_PATH``: the pages'
buttons POST), because mail scanners follow every link they see.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import smtplib
import socket
import ssl
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import TYPE_CHECKING

from sqlalchemy import or_, select, update

from precheck.gateway.models import OutboxMail
from precheck.result import N_, Message

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy.orm import Session, sessionmaker

    from precheck.gateway.offices import OfficeProfile
    from precheck.gateway.service import BookingView
    from precheck.gateway.settings import GatewaySettings

log = logging.getLogger(__name__)

#: The pages links open (precheck/gateway/pages.py serves them); ``{token}`` is the link token.
CONFIRM_PATH = "/bookings/confirm/{token}"
CANCEL_PATH = "/bookings/cancel/{token}"
#: How long a sender owns the mails it claimed; a crashed sender's mails are retried after.
LEASE = timedelta(minutes=5)
BATCH = 20

_WEEKDAYS_JA = "月火水木金土日"
_WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")


# -- composing ------------------------------------------------------------------------------------

_SUBJECTS = {
    "confirm": N_("Please confirm your online consultation booking ({reference})"),
    "booked": N_("Your online consultation is booked ({reference})"),
    "confirmed": N_("Your online consultation is confirmed ({reference})"),
    "cancelled": N_("Your online consultation was cancelled ({reference})"),
    "office_cancelled": N_("The office cancelled your online consultation ({reference})"),
}
_LEADS = {
    "confirm": N_("Thank you for booking an online job consultation with {office}. It is not "
                  "booked yet: open the link below and press the button on the page by {expires} "
                  "to confirm it. Otherwise the booking lapses and the time is released."),
    "booked": N_("Your online job consultation with {office} is booked."),
    "confirmed": N_("Your online job consultation with {office} is confirmed."),
    "cancelled": N_("Your online job consultation with {office} was cancelled as you asked."),
    "office_cancelled": N_("{office} has cancelled your online job consultation. Please "
                           "contact the office if you have questions."),
}
_CANCEL_NOTE = N_("To cancel, open this link and press the button on the page (until the day "
                  "before the session; on the day itself please phone the office):")


def compose(kind: str, settings: GatewaySettings, office: OfficeProfile, booking: BookingView,
            token: str | None) -> tuple[str, str]:
    """The subject and plain-text body of a booking mail: the job seeker's language first,
    then the other."""
    from precheck.gateway.gate import LANGUAGES, render

    order = [booking.language] + [lang for lang in LANGUAGES if lang != booking.language]
    parts = [_body(kind, settings, office, booking, token=token, language=lang) for lang in order]
    subject = " / ".join(render(Message.of(_SUBJECTS[kind], reference=booking.reference), lang)
                         for lang in order)
    return subject, ("\n\n" + "-" * 40 + "\n\n").join(parts)


def _body(kind: str, settings: GatewaySettings, office: OfficeProfile, booking: BookingView, *,
          token: str | None, language: str) -> str:
    from precheck.gateway.gate import render

    def say(msgid: str, **args: object) -> str:
        localized = {k: v for k, v in args.items() if isinstance(v, dict)}
        plain = {k: v for k, v in args.items() if not isinstance(v, dict)}
        return render(Message.of(msgid, **plain), language, localized)

    office_name = {"ja": office.name_ja, "en": office.name_en}
    lines = [say(_LEADS[kind], office=office_name,
                 expires=_when(booking.hold_expires_at) if booking.hold_expires_at else ""), ""]
    lines.append(say(N_("Booking reference: {reference}"), reference=booking.reference))
    lines.append(say(N_("Date and time: {when}"), when=_span(booking.start, booking.end)))
    lines.append(say(N_("Office: {office}"), office=office_name))
    if kind in ("booked", "confirmed"):
        lines.append(say(N_("The office will email you the address of the {app} meeting."),
                         app=office.video_app))
        lines.append(say(N_("On the day, check in with a fresh pre-check (precheck) before the "
                            "start; {minutes} minutes after the start without check-in or a "
                            "call, the session counts as missed."),
                         minutes=int(office.no_show_after.total_seconds() // 60)))
    if kind == "confirm" and token:
        lines += ["", settings.base_url + CONFIRM_PATH.format(token=token)]
    if kind in ("booked", "confirmed") and token:
        lines += ["", say(_CANCEL_NOTE), settings.base_url + CANCEL_PATH.format(token=token)]
    if office.phone:
        lines += ["", say(N_("Phone: {phone}"), phone=office.phone)]
    lines += ["", say(N_("This email was sent automatically. If you did not make this booking, "
                         "you can ignore it."))]
    return "\n".join(lines)


def _span(start: datetime, end: datetime) -> dict[str, str]:
    """A session's date and time in each language, always in Japan time (and saying so)."""
    from precheck.gateway.offices import TOKYO

    local, until = start.astimezone(TOKYO), end.astimezone(TOKYO)
    return {
        "ja": f"{local.year}年{local.month}月{local.day}日({_WEEKDAYS_JA[local.weekday()]}) "
              f"{local:%H:%M}〜{until:%H:%M}（日本時間）",
        "en": f"{_WEEKDAYS_EN[local.weekday()]} {local.day} {_MONTHS_EN[local.month - 1]} "
              f"{local.year}, {local:%H:%M}-{until:%H:%M} (Japan time)",
    }


def _when(moment: datetime) -> dict[str, str]:
    from precheck.gateway.offices import TOKYO

    local = moment.astimezone(TOKYO)
    return {"ja": f"{local.month}月{local.day}日 {local:%H:%M}（日本時間）",
            "en": f"{local.day} {_MONTHS_EN[local.month - 1]} {local:%H:%M} (Japan time)"}


def enqueue(session: Session, recipient: str, subject: str, body: str, now: datetime, *,
            kind: str, booking_id: int | None = None, domain: str = "localhost") -> OutboxMail:
    """Add a mail to the outbox in the caller's transaction (sent once that commits)."""
    host = domain.rpartition("@")[2] or "localhost"
    row = OutboxMail(booking_id=booking_id, kind=kind, recipient=recipient,
                     subject=subject[:200], body=body, message_id=f"<{uuid.uuid4()}@{host}>",
                     created_at=now, attempts=0, next_attempt_at=now)
    session.add(row)
    return row


# -- sending --------------------------------------------------------------------------------------

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
                    connection.send_message(_message(mail, settings, moment))
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
                       OutboxMail.subject, OutboxMail.body, OutboxMail.message_id)).first()
        if won is not None:
            claimed.append(_Claimed(*won))
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


def _message(mail: _Claimed, settings: GatewaySettings, now: datetime) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = mail.recipient
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = mail.message_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(mail.body)
    return message


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

"""Email through an outbox: written with the booking, sent by a worker that retries.

A mail is a row of ``outbox`` added in the very transaction that causes it (a booking, a
confirmation, a cancellation), so a booking never exists without its mail and a rolled-back
booking sends nothing. The sender (``mail_sender.send_due``, run by each process's worker)
claims due mails with a compare-and-swap lease, sends them over SMTP and marks them sent; when
the server is down or answers with a temporary error it tries again later, waiting
``mail_backoff_base * 2**(attempts-1)`` (at most ``mail_backoff_cap``). Nothing is lost: a mail
the server refuses for good (a 5xx answer), or one still unsent after ``mail_max_attempts``, is
kept and marked failed, for ``precheck gateway outbox --retry``. A crash between sending and
marking sends that mail again with the same Message-ID (at least once, never zero times).

Links in a mail open a page and change nothing (``CONFIRM_PATH``, ``MANAGE_PATH``: the pages'
buttons POST), because mail scanners follow every link they see.

**No token at rest in clear.** A body is stored with ``TOKEN_SLOT`` where its link's token goes;
the token itself is kept beside it sealed (AES-GCM under the gateway's own "outbox" key in
``gateway_keys``, the Message-ID as associated data) and put into the body only as the mail is
sent (:func:`as_sent`). Once the server took the mail the sealed token is erased, so a sent
mail's row holds no way back to a working link. Booked, confirmed, moved and reminder mails carry
the booking's calendar file (ics.py) as an attachment, made when the mail is queued.
"""

from __future__ import annotations

import logging
import os
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, func, select

from precheck.gateway.models import OutboxMail
from precheck.result import N_, Message
from precheck.when import japan_time, span, when

if TYPE_CHECKING:

    from sqlalchemy.orm import Session

    from precheck.gateway.offices import OfficeProfile
    from precheck.gateway.service import BookingView
    from precheck.gateway.settings import GatewaySettings

log = logging.getLogger(__name__)

#: The pages links open (precheck/gateway/pages.py serves them); ``{token}`` is the link token.
CONFIRM_PATH = "/bookings/confirm/{token}"
CANCEL_PATH = "/bookings/cancel/{token}"
#: The booking's own page (reschedule.py): its time, the meeting's address, change or cancel.
MANAGE_PATH = "/bookings/manage/{token}"
#: Where a body's link token goes; filled in only when the mail is sent.
TOKEN_SLOT = "[[link-token]]"  # noqa: S105 - a placeholder, not a secret
#: The gateway_keys row of the key that seals link tokens in the outbox.
OUTBOX_KEY = "outbox"
_NONCE_BYTES = 12
#: How long a sender owns the mails it claimed; a crashed sender's mails are retried after.
LEASE = timedelta(minutes=5)
BATCH = 20

# -- composing ------------------------------------------------------------------------------------

_SUBJECTS = {
    "confirm": N_("Please confirm your online consultation booking ({reference})"),
    "booked": N_("Your online consultation is booked ({reference})"),
    "confirmed": N_("Your online consultation is confirmed ({reference})"),
    "cancelled": N_("Your online consultation was cancelled ({reference})"),
    "office_cancelled": N_("The office cancelled your online consultation ({reference})"),
    "moved": N_("Your online consultation has a new time ({reference})"),
    "reminder": N_("Reminder of your online consultation ({reference})"),
    "meeting": N_("The address of your online consultation ({reference})"),
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
    "moved": N_("Your online job consultation with {office} has been moved to the time below."),
    "reminder": N_("This is a reminder of your online job consultation with {office}."),
    "meeting": N_("Here is the address of your online job consultation with {office}."),
}
#: Mails that carry the booking's calendar file.
WITH_CALENDAR = frozenset({"booked", "confirmed", "moved", "reminder", "cancelled",
                           "office_cancelled"})
#: Mails whose link is the booking's own page (change or cancel), not the confirm page.
_MANAGED = frozenset({"booked", "confirmed", "moved", "reminder", "meeting"})
_CANCEL_NOTE = N_("To change the time or cancel, open this link (until the day before the "
                  "session; on the day itself please phone the office):")


def compose(kind: str, settings: GatewaySettings, office: OfficeProfile, booking: BookingView,
            token: str | None, *, meeting_url: str | None = None) -> tuple[str, str]:
    """The subject and plain-text body of a booking mail: the job seeker's language first,
    then the other. Where a link's token goes the body holds ``TOKEN_SLOT`` (queue seals the
    token; as_sent fills it in)."""
    from precheck.gateway.gate import LANGUAGES, render

    order = [booking.language] + [lang for lang in LANGUAGES if lang != booking.language]
    parts = [_body(kind, settings, office, booking, link=token is not None, language=lang,
                   meeting_url=meeting_url) for lang in order]
    subject = " / ".join(render(Message.of(_SUBJECTS[kind], reference=booking.reference), lang)
                         for lang in order)
    return subject, ("\n\n" + "-" * 40 + "\n\n").join(parts)


def _body(kind: str, settings: GatewaySettings, office: OfficeProfile, booking: BookingView, *,
          link: bool, language: str, meeting_url: str | None) -> str:
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
    if kind in ("booked", "confirmed", "moved", "reminder", "meeting"):
        if meeting_url:
            lines.append(say(N_("Meeting address ({app}): {url}"), app=office.video_app,
                             url=meeting_url))
        else:
            lines.append(say(N_("The office will email you the address of the {app} meeting."),
                             app=office.video_app))
    if kind in ("booked", "confirmed", "moved", "reminder"):
        lines.append(say(N_("On the day, check in with a fresh pre-check (precheck) before the "
                            "start; {minutes} minutes after the start without check-in or a "
                            "call, the session counts as missed."),
                         minutes=int(office.no_show_after.total_seconds() // 60)))
    if kind == "confirm" and link:
        lines += ["", settings.base_url + CONFIRM_PATH.format(token=TOKEN_SLOT)]
    if kind in _MANAGED and link:
        lines += ["", say(_CANCEL_NOTE), settings.base_url + MANAGE_PATH.format(token=TOKEN_SLOT)]
    if office.phone:
        lines += ["", say(N_("Phone: {phone}"), phone=office.phone)]
    lines += ["", say(N_("This email was sent automatically. If you did not make this booking, "
                         "you can ignore it."))]
    return "\n".join(lines)


def _span(start: datetime, end: datetime) -> dict[str, str]:
    """A session's date and time in each language, always in Japan time (and saying so)."""
    return {lang: japan_time(span(start, end, lang), lang) for lang in ("ja", "en")}


def _when(moment: datetime) -> dict[str, str]:
    return {lang: japan_time(when(moment, lang), lang) for lang in ("ja", "en")}


def enqueue(session: Session, recipient: str, subject: str, body: str, now: datetime, *,
            kind: str, booking_id: int | None = None, domain: str = "localhost",
            token: str | None = None, attachment: str | None = None) -> OutboxMail:
    """Add a mail to the outbox in the caller's transaction (sent once that commits).

    ``token`` is the link token ``TOKEN_SLOT`` in ``body`` stands for: it is stored sealed.
    """
    if TOKEN_SLOT in body and token is None:
        msg = "a body with a link needs its token"
        raise ValueError(msg)
    message_id = f"<{uuid.uuid4()}@{mail_domain(domain)}>"
    sealed = _seal(outbox_key(session), token, message_id) if token is not None else None
    row = OutboxMail(booking_id=booking_id, kind=kind, recipient=recipient,
                     subject=subject[:200], body=body, message_id=message_id,
                     created_at=now, attempts=0, next_attempt_at=now, sealed_token=sealed,
                     attachment=attachment)
    session.add(row)
    return row


def queue(session: Session, kind: str, settings: GatewaySettings, office: OfficeProfile,
          booking: BookingView, *, now: datetime, token: str | None = None,
          meeting_url: str | None = None, sequence: int = 0) -> OutboxMail:
    """Compose a booking mail of ``kind`` and add it to the outbox (the caller's transaction),
    with the booking's calendar file when the kind carries one."""
    from precheck.gateway import ics

    subject, body = compose(kind, settings, office, booking, token, meeting_url=meeting_url)
    attachment = None
    if kind in WITH_CALENDAR:  # the file itself is made when the mail is sent (ics.py)
        attachment = ics.EventFacts.of(booking, kind=kind, meeting_url=meeting_url,
                                       sequence=sequence, domain=mail_domain(settings.mail_from),
                                       now=now).to_json()
    return enqueue(session, booking.email, subject, body, now, kind=kind,
                   booking_id=booking.id, domain=settings.mail_from, token=token,
                   attachment=attachment)


def mail_domain(address: str) -> str:
    """The domain of the sender address (it ends every Message-ID and calendar UID)."""
    return address.rpartition("@")[2] or "localhost"


# -- sealed tokens --------------------------------------------------------------------------------

_keys: dict[str, bytes] = {}


def outbox_key(session: Session) -> bytes:
    """The key that seals link tokens: made once, in whichever transaction needs it first
    (INSERT ... ON CONFLICT DO NOTHING, so processes racing to make it agree on one)."""
    from sqlalchemy import select

    from precheck.gateway.models import GatewayKey

    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    cache_key = engine.url.render_as_string(hide_password=True)
    if cache_key in _keys:
        return _keys[cache_key]
    insert: Any
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    made = session.execute(insert(GatewayKey).values(name=OUTBOX_KEY, value=os.urandom(32))
                           .on_conflict_do_nothing(index_elements=[GatewayKey.name]))
    value = bytes(session.execute(select(GatewayKey.value).where(
        GatewayKey.name == OUTBOX_KEY)).scalar_one())
    if int(getattr(made, "rowcount", 1)) == 0:
        # Kept only once another transaction has committed it: a key made in this one is
        # lost with it if it rolls back, and must not seal anything after that.
        _keys[cache_key] = value
    return value


def _seal(key: bytes, token: str, message_id: str) -> bytes:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(_NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, token.encode("ascii"), message_id.encode())


def _unseal(key: bytes, sealed: bytes, message_id: str) -> str:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce, data = sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:]
    return AESGCM(key).decrypt(nonce, data, message_id.encode()).decode("ascii")


def undelivered(session: Session, booking_id: int) -> int:
    """How many mails about the booking were set aside as failed (the server refused the
    address for good, or every attempt failed): staff then phone the job seeker."""
    return session.execute(select(func.count()).select_from(OutboxMail).where(
        OutboxMail.booking_id == booking_id, OutboxMail.failed_at.is_not(None))).scalar_one()

"""Calendar files (iCalendar, RFC 5545) for a booking, attached to its mails.

One event per booking: its UID (the reference at the gateway's mail domain) stays the same for
the booking's whole life, so a calendar program replaces the event when the booking is moved
(a higher SEQUENCE) and removes it when it is cancelled (``METHOD:CANCEL``, ``STATUS:CANCELLED``).
Times carry ``TZID=Asia/Tokyo`` with the zone's VTIMEZONE in the file, whatever the server's own
time zone. The event names the office, its phone and address, the video app and, once staff
entered it, the meeting's address. Nothing personal is in it beyond the reference.

Made with the ``icalendar`` library when the mail is sent (building one takes about a millisecond,
too much for the booking's own request); the outbox keeps the facts it is made from
(:class:`EventFacts`). The tests read every file back with ``icalendar``.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from precheck.gateway.offices import TOKYO
from precheck.result import N_, Message

if TYPE_CHECKING:
    from precheck.gateway.offices import OfficeProfile
    from precheck.gateway.service import BookingView

PRODID = "-//precheck//booking gateway//JA"
#: What a mail of each kind says to a calendar: the event holds, or it is called off.
CANCELLING = frozenset({"cancelled", "office_cancelled"})


@dataclass(frozen=True, slots=True)
class EventFacts:
    """What a booking's calendar file says, kept in the outbox with its mail (as JSON) and made
    into the file only when the mail is sent: the booking's own path stays light."""

    office_id: str
    reference: str
    start: datetime
    end: datetime
    language: str
    kind: str
    meeting_url: str | None
    sequence: int
    domain: str
    stamp: datetime

    @classmethod
    def of(cls, booking: BookingView, *, kind: str, meeting_url: str | None, sequence: int,
           domain: str, now: datetime) -> EventFacts:
        return cls(booking.office_id, booking.reference, booking.start, booking.end,
                   booking.language, kind, meeting_url, sequence, domain, now)

    def to_json(self) -> str:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        for name in ("start", "end", "stamp"):
            values[name] = values[name].isoformat()
        return json.dumps(values, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> EventFacts:
        values = json.loads(text)
        for name in ("start", "end", "stamp"):
            values[name] = datetime.fromisoformat(values[name])
        return cls(**values)


def booking_event(office: OfficeProfile, facts: EventFacts) -> str:
    """The iCalendar text (CRLF lines) of a booking for a mail of ``facts.kind``."""
    from icalendar import Calendar, Event, vText

    from precheck.gateway.gate import render

    cancelled = facts.kind in CANCELLING
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    event.add("uid", f"{facts.reference}@{facts.domain}")
    event.add("dtstamp", facts.stamp.astimezone(UTC))
    event.add("dtstart", facts.start.astimezone(TOKYO))
    event.add("dtend", facts.end.astimezone(TOKYO))
    event.add("sequence", facts.sequence)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    lang = facts.language if facts.language in ("ja", "en") else "ja"
    meeting_url = facts.meeting_url

    def say(msgid: str, **args: object) -> str:
        return render(Message.of(msgid, **args), lang)

    event.add("summary", say(N_("Online job consultation ({office})"), office=office.name(lang)))
    event.add("location", meeting_url or say(N_("{app} (online)"), app=office.video_app))
    if meeting_url:
        event.add("url", meeting_url)
    contact = ", ".join(part for part in (office.name(lang),
                                          f"TEL {office.phone}" if office.phone else "",
                                          office.address or "") if part)
    event.add("contact", vText(contact))
    lines = [say(N_("Booking reference: {reference}"), reference=facts.reference),
             say(N_("Video app: {app}"), app=office.video_app)]
    if meeting_url:
        lines.append(say(N_("Meeting address: {url}"), url=meeting_url))
    if office.phone:
        lines.append(say(N_("Phone: {phone}"), phone=office.phone))
    if office.address:
        lines.append(say(N_("Address: {address}"), address=office.address))
    event.add("description", "\n".join(lines))
    calendar.add_component(_tokyo())
    calendar.add_component(event)
    text: str = calendar.to_ical().decode("utf-8")
    return text


@functools.cache
def _tokyo() -> Any:
    """Asia/Tokyo's VTIMEZONE, built once from the zone data (building it takes ~40 ms; it is
    only serialised afterwards, never changed)."""
    from icalendar import Timezone

    return Timezone.from_tzid("Asia/Tokyo")

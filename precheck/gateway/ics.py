"""Calendar files (iCalendar, RFC 5545) for a booking, attached to its mails.

One event per booking: its UID (the reference at the gateway's mail domain) stays the same for
the booking's whole life, so a calendar program replaces the event when the booking is moved
(a higher SEQUENCE) and removes it when it is cancelled (``METHOD:CANCEL``, ``STATUS:CANCELLED``).
Times carry ``TZID=Asia/Tokyo`` with the zone's VTIMEZONE in the file, whatever the server's own
time zone. The event names the office, its phone and address, the video app and, once staff
entered it, the meeting's address. Nothing personal is in it beyond the reference.

Made with the ``icalendar`` library; the tests read every file back with it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from precheck.gateway.offices import TOKYO
from precheck.result import N_, Message

if TYPE_CHECKING:
    from precheck.gateway.offices import OfficeProfile
    from precheck.gateway.service import BookingView

PRODID = "-//precheck//booking gateway//JA"
#: What a mail of each kind says to a calendar: the event holds, or it is called off.
CANCELLING = frozenset({"cancelled", "office_cancelled"})


def booking_event(office: OfficeProfile, booking: BookingView, *, domain: str, now: datetime,
                  kind: str, meeting_url: str | None, sequence: int) -> str:
    """The iCalendar text (CRLF lines) of ``booking`` for a mail of ``kind``."""
    from icalendar import Calendar, Event, vText

    from precheck.gateway.gate import render

    cancelled = kind in CANCELLING
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    event.add("uid", f"{booking.reference}@{domain}")
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", booking.start.astimezone(TOKYO))
    event.add("dtend", booking.end.astimezone(TOKYO))
    event.add("sequence", sequence)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    lang = booking.language if booking.language in ("ja", "en") else "ja"

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
    lines = [say(N_("Booking reference: {reference}"), reference=booking.reference),
             say(N_("Video app: {app}"), app=office.video_app)]
    if meeting_url:
        lines.append(say(N_("Meeting address: {url}"), url=meeting_url))
    if office.phone:
        lines.append(say(N_("Phone: {phone}"), phone=office.phone))
    if office.address:
        lines.append(say(N_("Address: {address}"), address=office.address))
    event.add("description", "\n".join(lines))
    calendar.add_component(event)
    calendar.add_missing_timezones()
    text: str = calendar.to_ical().decode("utf-8")
    return text


"""The booking's own page, opened from the link in the booked, confirmed, moved and reminder
mails (``mail.MANAGE_PATH``): the session's time, the meeting's address once the office gave it,
its calendar file, and the way to change the time or cancel.

Changing the time follows the office's rules, as a new booking would (an open day, the booking
deadline, the horizon, no closure, a free session), and is refused on the session's day itself
(by phone only, as cancelling is). Opening the page changes nothing; only the buttons (POST, with
the job seeker's CSRF token) do. The link is the cancel link's token: one link per booking
serves both, and it lapses at the end of the session's day.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from precheck.gateway import desk, ics, mail, rules
from precheck.gateway.deps import CSRF_FIELD, GatewayDep, NowDep
from precheck.gateway.models import Status
from precheck.gateway.offices import TOKYO, OfficeProfile
from precheck.gateway.pages_booking import _failure, _linked
from precheck.gateway.service import STATUS_LABELS, BookingView, Gateway, GatewayError
from precheck.gateway.web import (
    Words,
    csrf_failed,
    jobseeker_csrf_ok,
    language,
    render,
    session,
)
from precheck.result import N_
from precheck.when import when

router = APIRouter(include_in_schema=False)

#: How many days of free times the page offers at once.
DAYS_SHOWN = 14

TEXT = {
    "manage_title": N_("Your booking"),
    "office": N_("Office"),
    "time": N_("Date and time"),
    "reference": N_("Booking reference"),
    "status": N_("Status"),
    "meeting": N_("Meeting address"),
    "meeting_later": N_("The office will email you the address of the {app} meeting."),
    "calendar": N_("Add to your calendar (.ics)"),
    "change_title": N_("Change the time"),
    "change_lead": N_("Choose a free time. The office's booking rules apply as for a new "
                      "booking."),
    "choose_day": N_("Day"),
    "none_free": N_("No free times on this day."),
    "move_to": N_("Move to {time}"),
    "cancel_link": N_("Cancel this booking"),
    "moved": N_("Your booking was moved to {time}. We sent you an email."),
    "phone": N_("Phone"),
    "not_open": N_("This booking can no longer be changed online."),
}


def _words(request: Request) -> Words:
    return Words(language(request), TEXT)


def _found(request: Request, gw: Gateway, token: str, at: datetime
           ) -> tuple[OfficeProfile, BookingView] | HTMLResponse:
    return _linked(request, gw, lambda db: desk.booking_by_manage_token(gw, db, token, at))


@router.get(mail.MANAGE_PATH, response_class=HTMLResponse)
def manage_page(request: Request, token: str, gw: GatewayDep, at: NowDep,
                day: str = "") -> HTMLResponse:
    """The booking, its meeting address, and the free times to move to."""
    found = _found(request, gw, token, at)
    if isinstance(found, HTMLResponse):
        return found
    office, booking = found
    return _page(request, gw, token, office, booking=booking, at=at, day_text=day)


def _page(request: Request, gw: Gateway, token: str, office: OfficeProfile, *,
          booking: BookingView, at: datetime, day_text: str, done: str = "",
          status_code: int = 200) -> HTMLResponse:
    words = _words(request)
    refusal = rules.cancel_refusal(office, booking.start, at)
    movable = booking.status in desk.MOVABLE and refusal is None
    today = at.astimezone(TOKYO).date()
    days = [today + timedelta(days=n) for n in range(1, DAYS_SHOWN + 1)]
    chosen = _day(day_text) or booking.start.date()
    if chosen not in days:
        chosen = days[0]
    free: list[datetime] = []
    with session(request) as db:
        meeting = desk.effective_meeting(db, booking)
        if movable:
            try:
                free = [s.start for s in gw.list_slots(db, office.id, chosen, chosen, at)
                        if s.free]
            except GatewayError:
                free = []
    base = mail.MANAGE_PATH.format(token=token)
    return render(request, "manage.html", TEXT, status_code=status_code,
                  switch_to=f"{base}?day={chosen.isoformat()}", office=office, booking=booking,
                  status=words.msgid(STATUS_LABELS.get(booking.status, booking.status)),
                  meeting=meeting if booking.status == Status.CONFIRMED else None,
                  refusal=words.message(refusal.message) if refusal else "",
                  movable=movable, days=days, chosen=chosen, free=free, base=base,
                  cancel_url=mail.CANCEL_PATH.format(token=token), done=done,
                  live=booking.status in desk.MOVABLE)


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@router.post(mail.MANAGE_PATH + "/move", response_class=HTMLResponse)
def move(request: Request, token: str, *, gw: GatewayDep, at: NowDep,
         start: Annotated[str, Form()] = "",
         csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "") -> HTMLResponse:
    """Move the booking to the chosen free time (the office's rules)."""
    if not jobseeker_csrf_ok(request, csrf_token):
        return csrf_failed(request)
    found = _found(request, gw, token, at)
    if isinstance(found, HTMLResponse):
        return found
    office, _ = found
    try:
        parsed = datetime.fromisoformat(start.strip())
        # A time without an offset is office time (Asia/Tokyo), never the server's own.
        moment: datetime | None = (parsed.replace(tzinfo=TOKYO) if parsed.tzinfo is None
                                   else parsed.astimezone(TOKYO))
    except ValueError:
        moment = None
    if moment is None:
        return _page(request, gw, token, office, booking=found[1], at=at, day_text="",
                     status_code=422)
    with session(request) as db:
        try:
            moved = desk.move_by_link(gw, db, token, moment, at)
        except GatewayError as exc:
            return _failure(request, office, exc)
    words = _words(request)
    return _page(request, gw, token, office, booking=moved.booking, at=at,
                 day_text=moved.booking.start.date().isoformat(),
                 done=words("moved", time=when(moved.booking.start, words.lang)))


@router.get(mail.MANAGE_PATH + "/calendar.ics")
def calendar(request: Request, token: str, gw: GatewayDep, at: NowDep) -> Response:
    """The booking's calendar file (the one the mails carry)."""
    found = _found(request, gw, token, at)
    if isinstance(found, HTMLResponse):
        return found
    office, booking = found
    with session(request) as db:
        meeting = desk.effective_meeting(db, booking)
    facts = ics.EventFacts.of(
        booking, kind="booked" if booking.status in desk.MOVABLE else "cancelled",
        meeting_url=meeting, sequence=max(0, int((at - booking.created_at).total_seconds())),
        domain=mail.mail_domain(gw.settings.mail_from), now=at)
    text = ics.booking_event(office, facts)
    return Response(text, media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="consultation.ics"',
                             "Cache-Control": "no-store"})

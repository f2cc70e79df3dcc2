"""The staff console's desk page (``/staff/desk``): run a day beside the day view.

Staff book for someone who phones, close a day, a morning, an afternoon or single times with a
reason (and reopen), move a booking, enter the meeting's address for the office or for one
booking, and export the bookings of a range of days as CSV. Marking attended or no-show stays on
the day view (``/staff``), which links here. Same login and CSRF as the day view (staff.py):
every form carries the session's token, and a POST from another site is refused.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from precheck.gateway import closures, desk, rules
from precheck.gateway.deps import CsrfDep, GatewayDep, NowDep, StaffDep, StaffMember
from precheck.gateway.offices import TOKYO, OfficeProfile
from precheck.gateway.service import (
    STATUS_LABELS,
    BookingForm,
    BookingView,
    Gateway,
    GatewayError,
)
from precheck.gateway.staff import _parse_day
from precheck.gateway.staff_files import bookings_csv
from precheck.gateway.web import Words, language, render, session
from precheck.result import N_

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

router = APIRouter(prefix="/staff/desk", include_in_schema=False)

TEXT = {
    "console": N_("Staff console"),
    "desk_title": N_("Desk"),
    "to_day_view": N_("Day view (attendance, reports)"),
    "to_desk": N_("Desk: phone bookings, closures, moves, meeting addresses"),
    "office": N_("Office"),
    "day": N_("Day"),
    "show": N_("Show"),
    "book_title": N_("Book for a caller"),
    "book_lead": N_("For someone who phoned. The office's rules apply; there is no pre-check "
                    "report, and the booking says so."),
    "time": N_("Time"),
    "name": N_("Name"),
    "email": N_("Email address"),
    "phone": N_("Phone number"),
    "number": N_("Job-seeker number (求職番号)"),
    "note": N_("Note"),
    "language": N_("Language of the emails"),
    "japanese": N_("Japanese"),
    "english": N_("English"),
    "book": N_("Book"),
    "no_free": N_("No free time on this day."),
    "close_title": N_("Close"),
    "close_lead": N_("Closed times are taken off the booking pages at once. Bookings already "
                     "made stay: move or cancel them."),
    "scope_day": N_("The whole day"),
    "scope_morning": N_("The morning (until 12:00)"),
    "scope_afternoon": N_("The afternoon (from 12:00)"),
    "scope_slots": N_("Only the times ticked below"),
    "reason": N_("Reason (shown to job seekers)"),
    "close": N_("Close"),
    "closures_title": N_("Closed on this day"),
    "closure_line": N_("{start}–{end}: {reason} (by {who})"),
    "closure_bookings": N_("{n} booking(s) inside: move or cancel them."),
    "reopen": N_("Reopen"),
    "bookings_title": N_("Bookings of the day"),
    "no_bookings": N_("No bookings on this day."),
    "no_report": N_("Booked by staff by phone: no pre-check report"),
    "move_to": N_("Move to"),
    "move": N_("Move"),
    "meeting": N_("Meeting address"),
    "meeting_office": N_("Meeting address of the office (TeleOffice or Zoom link)"),
    "meeting_hint": N_("Used for every booking that has none of its own. Leave empty for none."),
    "save": N_("Save"),
    "export_title": N_("Export as CSV"),
    "from": N_("From"),
    "to": N_("To"),
    "export": N_("Export"),
    "logout": N_("Log out ({user})"),
    "done_booked": N_("Booked: {reference} at {time}."),
    "done_closed": N_("Closed: {n} period(s)."),
    "done_reopened": N_("Reopened."),
    "nothing_reopened": N_("That closure was already reopened."),
    "done_moved": N_("{reference} moved to {time}; the job seeker was emailed."),
    "done_meeting": N_("Meeting address saved."),
    "bad_time": N_("Choose a day and a time."),
    "unknown_office": N_("Choose an office from the list."),
}


@dataclass(frozen=True, slots=True)
class DeskRow:
    booking: BookingView
    time: str
    status: str
    movable: bool
    meeting: str


def _words(request: Request) -> Words:
    return Words(language(request), TEXT)


def _office(gw: Gateway, office_id: str) -> OfficeProfile:
    return gw.offices.get(office_id) or next(iter(gw.offices.values()))


def _unknown_office(request: Request, gw: Gateway, member: StaffMember, at: datetime, *,
                    office_id: str, day: str) -> HTMLResponse | None:
    """A form that names no office of this gateway changes nothing (never another office)."""
    if office_id in gw.offices:
        return None
    words = _words(request)
    return _page(request, gw, member, at, office_id="", day_text=day,
                 problem=words("unknown_office"), status_code=422)


@router.get("", response_class=HTMLResponse)
def desk_page(request: Request, *, gw: GatewayDep, at: NowDep, member: StaffDep, office: str = "",
              day: str = "") -> Response:
    """The desk for one office and day."""
    return _page(request, gw, member, at, office_id=office, day_text=day)


def _page(request: Request, gw: Gateway, member: StaffMember, at: datetime, *, office_id: str,
          day_text: str, problem: str = "", done: str = "", status_code: int = 200
          ) -> HTMLResponse:
    words = _words(request)
    profile = _office(gw, office_id)
    day = _parse_day(day_text) or at.astimezone(TOKYO).date()
    low = datetime.combine(day, time(0), TOKYO)
    grid = _grid(profile, day)
    with session(request) as db:
        try:
            slots = gw.list_slots(db, profile.id, day, day, at)
        except GatewayError:
            slots = []
        bookings = gw.day_view(db, profile.id, day)
        rows = [DeskRow(b, f"{b.start:%H:%M}–{b.end:%H:%M}",
                        words.msgid(STATUS_LABELS.get(b.status, b.status)),
                        b.status in desk.MOVABLE, desk.effective_meeting(db, b) or "")
                for b in bookings]
        closed = closures.views_between(db, profile.id, low, low + timedelta(days=1))
        db.rollback()
        office_meeting = desk.office_meeting(db, profile.id) or ""
    return render(request, "staff_desk.html", TEXT, status_code=status_code, csrf=member.csrf,
                  switch_to=f"/staff/desk?office={profile.id}&day={day.isoformat()}",
                  offices=list(gw.offices.values()), office=profile, day=day,
                  free=[s.start for s in slots if s.free], grid=grid, rows=rows,
                  closures=closed, office_meeting=office_meeting, username=member.username,
                  problem=problem, done=done,
                  export_from=day.isoformat(), export_to=(day + timedelta(days=30)).isoformat())


def _grid(office: OfficeProfile, day: date) -> list[str]:
    """Every session start of an office's day, open or not (for choosing a time to move to)."""
    starts: list[str] = []
    for opens, closes in office.windows:
        start = datetime.combine(day, opens, TOKYO)
        while start + office.slot <= datetime.combine(day, closes, TOKYO):
            starts.append(f"{start:%H:%M}")
            start += office.slot
    return starts


def _problem(words: Words, exc: GatewayError | closures.ClosureError) -> str:
    details = [v.message for v in getattr(exc, "violations", ())]
    return " ".join(words.message(m) for m in [exc.message, *details])


def _start(day_text: str, clock: str) -> datetime | None:
    day = _parse_day(day_text)
    try:
        moment = time.fromisoformat(clock.strip()) if clock else None
    except ValueError:
        return None
    if day is None or moment is None:
        return None
    return datetime.combine(day, moment, TOKYO)


def _bad_time(request: Request, gw: Gateway, member: StaffMember, at: datetime, *,
              office: str, day: str) -> HTMLResponse:
    """The desk again, saying the day or time typed is not one (booking and moving alike)."""
    return _page(request, gw, member, at, office_id=office, day_text=day,
                 problem=_words(request)("bad_time"), status_code=422)


@router.post("/book", response_class=HTMLResponse)
def book(request: Request, *, gw: GatewayDep, at: NowDep,
         office: Annotated[str, Form()] = "", day: Annotated[str, Form()] = "",
         start: Annotated[str, Form()] = "", name: Annotated[str, Form()] = "",
         email: Annotated[str, Form()] = "", phone: Annotated[str, Form()] = "",
         jobseeker_number: Annotated[str, Form()] = "", note: Annotated[str, Form()] = "",
         lang: Annotated[str, Form()] = "ja",
         member: CsrfDep) -> Response:
    """Book a time for someone who phoned."""
    words = _words(request)
    moment = _start(day, start)
    if moment is None:
        return _bad_time(request, gw, member, at, office=office, day=day)
    form = BookingForm(start=moment, name=name, email=email, phone=phone,
                       jobseeker_number=jobseeker_number, note=note, language=lang)
    with session(request) as db:
        try:
            created = desk.book_for_caller(gw, db, office, form, staff_id=member.id, now=at)
        except GatewayError as exc:
            return _page(request, gw, member, at, office_id=office, day_text=day,
                         problem=_problem(words, exc),
                         status_code=409 if exc.code == "taken" else 422)
    log.info("staff %s booked %s for a caller", member.id, created.booking.id)
    return _page(request, gw, member, at, office_id=office, day_text=day,
                 done=words("done_booked", reference=created.booking.reference,
                            time=f"{created.booking.start:%H:%M}"))


@router.post("/close", response_class=HTMLResponse)
def close(request: Request, *, gw: GatewayDep, at: NowDep,
          office: Annotated[str, Form()] = "", day: Annotated[str, Form()] = "",
          scope: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = "",
          slots: Annotated[list[str] | None, Form()] = None,
         member: CsrfDep) -> Response:
    """Close a day, a morning, an afternoon or the ticked times, with a reason."""
    unknown = _unknown_office(request, gw, member, at, office_id=office, day=day)
    if unknown is not None:
        return unknown
    words = _words(request)
    profile = _office(gw, office)
    chosen = _parse_day(day)
    if chosen is None:
        return _page(request, gw, member, at, office_id=office, day_text=day,
                     problem=words("bad_time"), status_code=422)
    starts = tuple(s for s in (_start(day, clock) for clock in slots or []) if s is not None)
    starts = tuple(s for s in starts if rules.is_slot_start(profile, s))
    try:
        ranges = closures.spans(profile, chosen, scope, starts)
        with session(request) as db:
            ids = closures.close(db, profile, ranges, reason, actor=f"staff:{member.id}",
                                 now=at)
            db.commit()
    except closures.ClosureError as exc:
        return _page(request, gw, member, at, office_id=office, day_text=day,
                     problem=words.message(exc.message), status_code=422)
    log.info("staff %s closed %s period(s) at office %s", member.id, len(ids), profile.id)
    return _page(request, gw, member, at, office_id=profile.id, day_text=day,
                 done=words("done_closed", n=len(ids)))


@router.post("/closures/{closure_id}/lift", response_class=HTMLResponse)
def reopen(request: Request, closure_id: int, *, gw: GatewayDep, at: NowDep,
           office: Annotated[str, Form()] = "", day: Annotated[str, Form()] = "",
         member: CsrfDep) -> Response:
    """Reopen a closure (its row stays, marked lifted)."""
    words = _words(request)
    with session(request) as db:
        lifted = closures.lift(db, office, closure_id, actor=f"staff:{member.id}", now=at)
        db.commit()
    if not lifted:
        return _page(request, gw, member, at, office_id=office, day_text=day,
                     problem=words("nothing_reopened"), status_code=409)
    return _page(request, gw, member, at, office_id=office, day_text=day,
                 done=words("done_reopened"))


@router.post("/bookings/{booking_id}/move", response_class=HTMLResponse)
def move(request: Request, booking_id: int, *, gw: GatewayDep, at: NowDep,
         office: Annotated[str, Form()] = "", day: Annotated[str, Form()] = "",
         to_day: Annotated[str, Form()] = "", to_time: Annotated[str, Form()] = "",
         member: CsrfDep) -> Response:
    """Move a booking to another time; the job seeker is emailed."""
    words = _words(request)
    moment = _start(to_day, to_time)
    if moment is None:
        return _bad_time(request, gw, member, at, office=office, day=day)
    with session(request) as db:
        try:
            moved = desk.move(gw, db, booking_id, moment, actor=f"staff:{member.id}", now=at,
                              by_job_seeker=False)
        except GatewayError as exc:
            return _page(request, gw, member, at, office_id=office, day_text=day,
                         problem=_problem(words, exc),
                         status_code=409 if exc.code in ("taken", "stale_state") else 422)
    return _page(request, gw, member, at, office_id=office, day_text=day,
                 done=words("done_moved", reference=moved.booking.reference,
                            time=f"{moved.booking.start:%Y-%m-%d %H:%M}"))


@router.post("/bookings/{booking_id}/meeting", response_class=HTMLResponse)
def booking_meeting(request: Request, booking_id: int, *, gw: GatewayDep, at: NowDep,
                    office: Annotated[str, Form()] = "", day: Annotated[str, Form()] = "",
                    meeting_url: Annotated[str, Form()] = "",
                    member: CsrfDep) -> Response:
    """Give one booking its meeting address (mailed to the job seeker)."""
    return _set_meeting(request, gw, member, at, office=office, day=day,
                        store=lambda db: desk.set_booking_meeting(
                            gw, db, booking_id, meeting_url, actor=f"staff:{member.id}", now=at))


@router.post("/meeting", response_class=HTMLResponse)
def office_meeting(request: Request, *, gw: GatewayDep, at: NowDep,
                   office: Annotated[str, Form()] = "", day: Annotated[str, Form()] = "",
                   meeting_url: Annotated[str, Form()] = "",
                   member: CsrfDep) -> Response:
    """The office's meeting address, for every booking without its own."""
    return _set_meeting(request, gw, member, at, office=office, day=day,
                        store=lambda db: desk.set_office_meeting(
                            gw, db, office, meeting_url, actor=f"staff:{member.id}", now=at))


def _set_meeting(request: Request, gw: Gateway, member: StaffMember, at: datetime, *,
                 office: str, day: str, store: Callable[[Session], object]) -> Response:
    """Store a meeting address (``store``) and show the day again: done, or what was wrong."""
    words = _words(request)
    with session(request) as db:
        try:
            store(db)
        except GatewayError as exc:
            return _page(request, gw, member, at, office_id=office, day_text=day,
                         problem=_problem(words, exc), status_code=422)
    return _page(request, gw, member, at, office_id=office, day_text=day,
                 done=words("done_meeting"))


@router.get("/export.csv")
def export(request: Request, *, gw: GatewayDep, at: NowDep, member: StaffDep, office: str = "",
           first: str = "", last: str = "") -> Response:
    """The bookings from ``first`` to ``last`` as CSV (UTF-8 with a BOM, like the day's)."""
    words = Words(language(request), {})
    profile = _office(gw, office)
    today = at.astimezone(TOKYO).date()
    low = _parse_day(first) or today
    high = _parse_day(last) or low
    with session(request) as db:
        try:
            bookings = desk.range_view(gw, db, profile.id, low, high)
        except GatewayError as exc:
            return Response(_problem(_words(request), exc) + "\n", status_code=422,
                            media_type="text/plain; charset=utf-8")
    log.info("staff %s exported %s bookings", member.id, len(bookings))
    return bookings_csv(words, bookings,
                        f"bookings-{profile.id}-{low.isoformat()}-{high.isoformat()}.csv",
                        more={N_("Booked by staff"): lambda b: b.booked_by or "",
                              N_("Meeting address"): lambda b: b.meeting_url or ""})


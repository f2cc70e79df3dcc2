"""The staff console's day view: a day's bookings with each job seeker's readiness; acting on them.

Staff log in first (staff_login.py, with the user name and argon2 password that ``precheck gateway
create-staff`` made); every route here asks for the member through ``StaffDep``/``CsrfDep``
(deps.py), and every form carries a CSRF token derived from the session.

The day view shows, per booking: time, reference, the person, the status, check-in, and the
report's verdict with each check that did not pass (summary, evidence, how to fix), read from the
stored report itself. Staff mark attended or no-show (compare-and-swap in the service: two staff
members cannot apply one change twice) and lift a no-show block. Opening the stored reports, a
diagnostic bundle a job seeker sent, and the day's CSV are in staff_files.py.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from precheck.gateway import mail, rules
from precheck.gateway.deps import (
    CsrfDep,
    GatewayDep,
    NowDep,
    StaffDep,
    StaffMember,
    client_address,
)
from precheck.gateway.models import Status
from precheck.gateway.offices import TOKYO, OfficeProfile
from precheck.gateway.service import (
    STAFF_TRANSITIONS,
    STATUS_LABELS,
    BookingView,
    Gateway,
    GatewayError,
)
from precheck.gateway.web import (
    Words,
    language,
    render,
    session,
)
from precheck.i18n import Translator
from precheck.result import N_

log = logging.getLogger(__name__)

router = APIRouter(prefix="/staff", include_in_schema=False)


TEXT = {
    "console": N_("Staff console"),
    "login_title": N_("Staff login"),
    "username": N_("User name"),
    "password": N_("Password"),
    "login": N_("Log in"),
    "login_failed": N_("The user name or the password is wrong."),
    "locked": N_("This account is locked after too many wrong passwords. Ask the gateway's "
                 "administrator to unlock it (precheck gateway unlock-staff)."),
    "logout": N_("Log out ({user})"),
    "office": N_("Office"),
    "day": N_("Day"),
    "show": N_("Show"),
    "export": N_("Export the day as CSV"),
    "no_bookings": N_("No bookings on this day."),
    "mail_undelivered": N_("An email to this job seeker could not be delivered: please phone "
                           "them."),
    "holds": N_("Held for confirmation now: {held} · Lapsed without confirmation: {lapsed}"),
    "col_time": N_("Time"),
    "col_person": N_("Job seeker"),
    "col_status": N_("Status"),
    "col_checkin": N_("Check-in"),
    "col_ready": N_("Readiness (pre-check report)"),
    "col_actions": N_("Actions"),
    "blocked": N_("Online booking blocked ({n} missed sessions)"),
    "fix": N_("How to fix:"),
    "evidence": N_("Evidence"),
    "open_report": N_("Open the booking's report"),
    "open_checkin_report": N_("Open the check-in report"),
    "lift": N_("Lift the block"),
    "lift_title": N_("Lift a no-show block"),
    "lift_lead": N_("Give a booking reference, an email address or a job-seeker number. The job "
                    "seeker can then book online again."),
    "reference": N_("Booking reference"),
    "email": N_("Email address"),
    "number": N_("Job-seeker number (求職番号)"),
    "bundle_title": N_("Open a diagnostic bundle"),
    "bundle_lead": N_("A job seeker can save a diagnostic bundle with \"precheck collect\" and "
                      "send it to you. It is judged here by the same checks, without running "
                      "anything on their computer."),
    "bundle_file": N_("Bundle file (.zip)"),
    "bundle_open": N_("Open"),
    "verdict_pass": N_("Ready"),
    "verdict_fail": N_("Not ready"),
    "source_live": N_("Report of the precheck app"),
    "source_bundle": N_("Report re-judged from a bundle"),
    "source_browser": N_("Report of the browser check (smartphone or tablet)"),
    "verdict_untrusted": N_("Signature NOT valid: do not trust this report"),
    "checked_in": N_("Checked in at {time}"),
    "not_checked_in": N_("Not checked in"),
    "key_changed": N_("Checked in from another device than the booking"),
    "key_visits": N_("This device made {n} bookings here"),
    "mark_attended": N_("Attended"),
    "mark_no_show": N_("No-show"),
    "mark_cancelled": N_("Cancel (office)"),
    "done_status": N_("{reference} is now: {status}."),
    "done_lift": N_("{n} block(s) lifted."),
    "nothing_lifted": N_("No block was found for what you gave."),
    "lift_needs": N_("Give a booking reference, an email address or a job-seeker number."),
    "bundle_unreadable": N_("The bundle could not be read: {reason}"),
    "bundle_missing": N_("Choose a bundle file (.zip) to open."),
    "bundle_too_big": N_("The bundle file is too large."),
    "no_report": N_("There is no such report."),
    "login_needed": N_("Please log in."),
    "too_many": N_("Too many login attempts. Please wait {seconds} seconds."),
    "to_desk": N_("Desk: phone bookings, closures, moves, meeting addresses"),
    "booked_by_staff": N_("Booked by staff by phone: no pre-check report"),
}

#: The buttons a status change has, and whether it is a destructive one.
ACTIONS = {
    Status.ATTENDED: ("mark_attended", False),
    Status.NO_SHOW: ("mark_no_show", False),
    Status.CANCELLED_BY_OFFICE: ("mark_cancelled", True),
}

@dataclass(frozen=True, slots=True)
class ActionView:
    status: str
    label: str
    danger: bool


@dataclass(frozen=True, slots=True)
class RowView:
    booking: BookingView
    time: str
    status: str
    checkin: str
    key_note: str
    verdict: str
    verdict_class: str
    problems: tuple[Any, ...]
    actions: tuple[ActionView, ...]
    blocked: bool
    no_shows: int
    signature_problem: str = ""  # why the stored report's signature fails; "" when it holds
    mail_note: str = ""  # a mail about the booking could not be delivered: phone the job seeker


def _words(request: Request) -> Words:
    return Words(language(request), TEXT)


# -- the day view ---------------------------------------------------------------------------------

@router.get("", response_class=HTMLResponse)
def day_page(request: Request, *, gw: GatewayDep, at: NowDep, member: StaffDep, office: str = "",
             day: str = "") -> Response:
    """The day's bookings at one office with each job seeker's readiness."""
    return _day(request, gw, member, at, office_id=office, day_text=day)


def _day(request: Request, gw: Gateway, member: StaffMember, at: datetime, *, office_id: str,
         day_text: str, problem: str = "", done: str = "",
         status_code: int = 200) -> HTMLResponse:
    words = _words(request)
    profile = gw.offices.get(office_id) or next(iter(gw.offices.values()))
    day = _parse_day(day_text) or at.astimezone(TOKYO).date()
    with session(request) as db:
        bookings = gw.day_view(db, profile.id, day)
        rows = [_row(gw, db, words, profile, b) for b in bookings]
    held = sum(1 for b in bookings if b.status == Status.PENDING and held_now(b, at))
    lapsed = sum(1 for b in bookings if b.status == Status.EXPIRED
                 or (b.status == Status.PENDING and not held_now(b, at)))
    try:
        closed_message = rules.closed_reason(profile, day)
        closed = words.message(closed_message) if closed_message else ""
    except rules.HolidayDataMissing as exc:
        closed = words.message(exc.message)
    return render(request, "staff_day.html", TEXT, status_code=status_code, csrf=member.csrf,
                  switch_to=f"/staff?office={profile.id}&day={day.isoformat()}",
                  offices=list(gw.offices.values()), office=profile, day=day, rows=rows,
                  username=member.username, problem=problem, done=done, closed=closed,
                  holds=words("holds", held=held, lapsed=lapsed))


def _row(gw: Gateway, db: Any, words: Words, office: OfficeProfile,
         booking: BookingView) -> RowView:
    from precheck.reports.render import check_views

    lang = words.lang
    stored = gw.booking_report(db, booking.id, checkin=booking.checked_in_at is not None)
    report: Mapping[str, Any] = stored or {}
    views = check_views(report, lang, Translator(lang))
    problems = tuple(_capped(v) for v in views if v.status not in {"pass", "skip"})[:MAX_SHOWN]
    verdict = "pass" if report.get("verdict") == "pass" else "fail"
    signature_problem = _signature_problem(stored) or ""
    if signature_problem:  # its verdict is a claim nobody can rely on: shown as such, uncoloured
        verdict = "untrusted"
    standing = gw.booking_standing(db, booking)
    key_note = ""
    if booking.key_changed:
        key_note = words("key_changed")
    elif booking.key_id:  # a booking staff made for a caller has no device key
        visits = gw.key_visits(db, office.id, booking.key_id)
        if visits > 1:
            key_note = words("key_visits", n=visits)
    checkin = words("checked_in", time=f"{booking.checked_in_at.astimezone(TOKYO):%H:%M}") \
        if booking.checked_in_at else words("not_checked_in")
    actions = tuple(
        ActionView(new, words(ACTIONS[Status(new)][0]), ACTIONS[Status(new)][1])
        for new in sorted(STAFF_TRANSITIONS.get(booking.status, frozenset()))
        if Status(new) in ACTIONS)
    return RowView(
        booking=booking,
        time=f"{booking.start.astimezone(TOKYO):%H:%M}–{booking.end.astimezone(TOKYO):%H:%M}",
        status=words.msgid(STATUS_LABELS.get(booking.status, booking.status)),
        checkin=checkin, key_note=key_note,
        verdict=words(f"verdict_{verdict}"), verdict_class=verdict, problems=problems,
        actions=actions, blocked=standing.blocked, no_shows=standing.no_shows,
        signature_problem=signature_problem,
        mail_note=words("mail_undelivered") if mail.undelivered(db, booking.id) else "")


def _signature_problem(document: Mapping[str, Any] | None) -> str | None:
    """Why a stored report's signature does not hold, or None when it holds (or there is none).

    The gate verified it before storing it; this catches a report changed in the database since.
    """
    from precheck.reports.signing import ReportInvalid, verify

    if not document:
        return None
    try:
        verify(document)
    except ReportInvalid as exc:
        return str(exc)
    return None


def held_now(booking: BookingView, at: datetime) -> bool:
    """True while a pending booking's hold has not lapsed."""
    return booking.hold_expires_at is not None and booking.hold_expires_at > at


#: What the day view shows of a report's problem checks at most: a forged "warn" check with
#: megabytes of evidence must not make the page megabytes (issue 13); the report page shows all.
MAX_SHOWN = 40
MAX_TEXT = 400
MAX_EVIDENCE_ITEMS = 12


def _clip(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _capped(view: Any) -> Any:
    """A check's view with its texts and evidence cut to what the day view shows."""
    import dataclasses

    evidence = tuple((_clip(k, 60), _clip(v, 120)) for k, v in view.evidence[:MAX_EVIDENCE_ITEMS])
    return dataclasses.replace(view, title=_clip(view.title, 200), summary=_clip(view.summary),
                               fix=tuple(_clip(f) for f in view.fix[:5]), evidence=evidence)


def _parse_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()) if text else None
    except ValueError:
        return None


@router.post("/bookings/{booking_id}/status", response_class=HTMLResponse)
def change_status(request: Request, booking_id: int, *, gw: GatewayDep, at: NowDep,
                  expected: Annotated[str, Form()] = "", new: Annotated[str, Form()] = "",
                  office: Annotated[str, Form()] = "", day: Annotated[str, Form()] = "",
                  member: CsrfDep) -> Response:
    """Mark attended, no-show or cancelled: applied only if the booking is still ``expected``."""
    words = _words(request)
    with session(request) as db:
        try:
            booking = gw.set_status(db, booking_id, expected, new, staff_id=member.id, now=at)
        except GatewayError as exc:
            gw.record_access(db, "staff_status", exc.code, at, client=client_address(request),
                             booking_id=booking_id)
            details = [v.message for v in getattr(exc, "violations", ())]
            text = " ".join(words.message(m) for m in [exc.message, *details])
            return _day(request, gw, member, at, office_id=office, day_text=day, problem=text,
                        status_code=409 if exc.code == "stale_state" else 422)
        gw.record_access(db, "staff_status", new, at, client=client_address(request),
                         office_id=booking.office_id, booking_id=booking.id)
    done = words("done_status", reference=booking.reference,
                 status=words.msgid(STATUS_LABELS.get(booking.status, booking.status)))
    return _day(request, gw, member, at, office_id=booking.office_id,
                day_text=booking.start.astimezone(TOKYO).date().isoformat(), done=done)


@router.post("/blocks/lift", response_class=HTMLResponse)
def lift(request: Request, *, gw: GatewayDep, at: NowDep,
         office: Annotated[str, Form()] = "", day: Annotated[str, Form()] = "",
         reference: Annotated[str, Form()] = "", email: Annotated[str, Form()] = "",
         jobseeker_number: Annotated[str, Form()] = "", member: CsrfDep) -> Response:
    """Let a job seeker book online again after no-shows."""
    words = _words(request)
    if not (reference.strip() or email.strip() or jobseeker_number.strip()):
        return _day(request, gw, member, at, office_id=office, day_text=day,
                    problem=words("lift_needs"), status_code=422)
    number = jobseeker_number.strip() or None
    if number:
        try:
            number = rules.normalize_jobseeker_number(
                number, gw.office(office).jobseeker_number_pattern if office in gw.offices
                else next(iter(gw.offices.values())).jobseeker_number_pattern)
        except rules.InvalidJobseekerNumber as exc:
            return _day(request, gw, member, at, office_id=office, day_text=day,
                        problem=words.message(exc.message), status_code=422)
    with session(request) as db:
        try:
            count = gw.lift_block(db, office, reference=reference.strip() or None,
                                  email=email.strip() or None, jobseeker_number=number,
                                  actor=f"staff:{member.id}", now=at)
        except GatewayError as exc:
            gw.record_access(db, "staff_lift", exc.code, at, client=client_address(request))
            return _day(request, gw, member, at, office_id=office, day_text=day,
                        problem=words.message(exc.message), status_code=404)
        gw.record_access(db, "staff_lift", f"lifted:{count}", at,
                         client=client_address(request), office_id=office)
    if count == 0:
        return _day(request, gw, member, at, office_id=office, day_text=day,
                    problem=words("nothing_lifted"), status_code=404)
    return _day(request, gw, member, at, office_id=office, day_text=day,
                done=words("done_lift", n=count))

"""The job seeker's pages: an office's free slots, the booking form, and the pages links open.

The flow, for people who book in a browser (the TUI books through the JSON API instead):

1. ``GET /offices/{id}`` lists the free 30-minute sessions of the next two weeks.
2. ``GET /offices/{id}/book?start=...`` shows the chosen time and a button; the button
   (``POST /offices/{id}/challenge``) asks the gateway for a one-time code and shows the form.
3. The job seeker runs ``precheck run --challenge CODE --report FILE`` and sends the form with
   the report file (``POST /offices/{id}/book``). The answer says what happens next, or exactly
   what to correct, keeping everything typed.
4. The emailed links (``mail.CONFIRM_PATH``, ``mail.CANCEL_PATH``) open a page that changes
   nothing; only its button (a POST with the form's CSRF token) confirms or cancels, because
   mail scanners and "safe link" services open every link in a message.

Every handler is synchronous: FastAPI runs it in its thread pool, where the blocking database
calls of :class:`~precheck.gateway.service.Gateway` belong.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse

from precheck.gateway import browser_check, gate, mail, rules
from precheck.gateway.deps import CSRF_FIELD, GatewayDep, NowDep, client_address
from precheck.gateway.gate import GateRejected
from precheck.gateway.gate import render as render_reason
from precheck.gateway.offices import TOKYO, OfficeProfile
from precheck.gateway.service import (
    BookingForm,
    BookingView,
    CommitUncertain,
    Gateway,
    GatewayError,
    LinkExpired,
    NotFound,
    RateLimited,
    RuleBroken,
    SlotTaken,
    StaleState,
    Status,
)
from precheck.gateway.web import (
    STATIC,
    Words,
    csrf_failed,
    jobseeker_csrf_ok,
    language,
    message_page,
    render,
    session,
)
from precheck.result import N_, Message
from precheck.when import when

router = APIRouter(include_in_schema=False)

#: How many days the office page shows at once.
DAYS_SHOWN = 14
#: The largest report file accepted (a real one is a few tens of kilobytes).
MAX_REPORT_BYTES = gate.MAX_REPORT_BYTES

TEXT = {
    "choose_office": N_("Choose your Hello Work office"),
    "index_lead": N_("Book an online job consultation. Before booking, check your computer "
                     "with precheck: a booking needs a passing report."),
    "office_lead": N_("Choose a free time below. Each consultation is held online."),
    "hours": N_("Hours"),
    "length": N_("Length"),
    "minutes": N_("{n} minutes"),
    "deadline": N_("Booking deadline"),
    "app": N_("Video app"),
    "cancel_rule_title": N_("Cancelling"),
    "no_show_rule_title": N_("If you cannot come"),
    "no_show_rule": N_("Without check-in or a call {n} minutes after the start, the session "
                       "counts as missed. Missed sessions without notice can stop online "
                       "booking."),
    "phone": N_("Phone"),
    "needs_report": N_("You need a passing pre-check report to book. Install precheck, and run "
                       "it when this page gives you a code."),
    "free_slots": N_("Free times"),
    "weeks": N_("Other weeks"),
    "earlier": N_("Earlier days"),
    "later": N_("Later days"),
    "none_free": N_("No free times on this day."),
    "taken_label": N_("{time} is taken"),
    "office": N_("Office"),
    "time": N_("Date and time"),
    "start_title": N_("Book this time"),
    "other_time": N_("Choose another time"),
    "start_lead": N_("Three steps:"),
    "step_code": N_("Press the button below. You get a one-time code, valid for a short time."),
    "step_run": N_("Run precheck with the code. It checks your computer and saves a report "
                   "file."),
    "step_form": N_("Fill in the form and attach the report file."),
    "get_code": N_("Get a code and continue"),
    "form_title": N_("Your booking"),
    "not_booked": N_("The booking was not made. Please correct the following:"),
    "run_title": N_("1. Check your computer"),
    "run_lead": N_("In the precheck app, simply press \"Book\" on the results screen: the app "
                   "gets its own code and sends the report itself, so this page is not needed. "
                   "On the command line, run the command below within {minutes} minutes and "
                   "attach the report file it saves."),
    "code_label": N_("Your code:"),
    "command_label": N_("The command:"),
    "tui_hint": N_("precheck saves the report as precheck-report.json in the folder where you "
                   "ran it."),
    "get_app": N_("No precheck yet? Download the app"),
    "details_title": N_("2. Your details"),
    "required": N_("required"),
    "optional": N_("optional"),
    "report_label": N_("Pre-check report file"),
    "report_hint": N_("The file precheck saved (precheck-report.json)."),
    "send": N_("Book"),
    "reference": N_("Booking reference"),
    "cancel_link": N_("Cancel this booking"),
    "confirm_title": N_("Confirm your booking"),
    "confirm_lead": N_("Press the button to confirm the booking. It is not confirmed until you "
                       "do."),
    "confirm_button": N_("Confirm the booking"),
    "cancel_title": N_("Cancel your booking"),
    "cancel_lead": N_("Press the button to cancel the booking. The time is then free for "
                      "others."),
    "cancel_button": N_("Cancel the booking"),
    "phone_title": N_("On a smartphone or tablet"),
    "phone_lead": N_("No app needed: check your smartphone in the browser, then book with its "
                     "result."),
    "phone_button": N_("Check in the browser"),
    "browser_attached": N_("Your browser check passed. Its report is attached to this "
                           "booking."),
}

#: Field hints: how to type each value.
HINTS = {
    "jobseeker_number": N_("As printed on your Hello Work card, e.g. 12345-6789012. Full-width "
                           "digits are fine."),
    "email": N_("The confirmation and the meeting address are sent here."),
    "phone": N_("A number the office can call, e.g. 090-1234-5678."),
    "note": N_("For example if an interpreter or a helper joins you."),
}
_INPUT = {
    "name": ("text", "name"), "jobseeker_number": ("text", "off"), "email": ("email", "email"),
    "phone": ("tel", "tel"), "note": ("text", "off"),
}

#: Messages of the pages' outcomes.
OUTCOMES = {
    "pending_title": N_("Please check your email"),
    # The mails leave through the outbox after the page is shown: the pages say "we are
    # sending", never "we sent", and what to do when nothing arrives (staff see a mail the
    # server refused on their day view).
    "pending_lead": N_("We are sending an email to {email}. Open its link and press the button "
                       "by {expires} to confirm the booking. Otherwise it lapses and the time is "
                       "released."),
    "pending_spam": N_("No email? Look in the spam folder. If nothing arrives within a few "
                       "minutes, book again or phone the office."),
    "booked_title": N_("Your booking is complete"),
    "booked_lead": N_("You are booked. We are also sending this to {email}."),
    "confirmed_title": N_("Your booking is confirmed"),
    "confirmed_lead": N_("Thank you. The booking is confirmed, and we are sending an email with "
                         "the details to {email}."),
    "meeting": N_("The office will email you the address of the {app} meeting."),
    "checkin": N_("On the day, run precheck again and check in before the start."),
    "cancel_note": N_("To cancel later, use the link below or the one in the email (until the "
                      "day before; on the day itself, please phone the office)."),
    "cancelled_title": N_("Your booking is cancelled"),
    "cancelled_lead": N_("The booking was cancelled. We are sending a confirmation to "
                         "{email}."),
    "link_title": N_("This link cannot be used"),
    "already_title": N_("Nothing more to do"),
    "taken_title": N_("This time has just been taken"),
    "refused_title": N_("The booking was not made"),
    "busy_title": N_("Please wait a moment"),
    "calendar_title": N_("The calendar is not available"),
    "to_office": N_("Choose another time"),
    "report_unreadable": N_("The report file could not be read. Attach the file precheck saved "
                            "(precheck-report.json), unchanged."),
    "report_missing": N_("Attach the report file that precheck saved."),
    "report_too_big": N_("The report file is too large. Attach the file precheck saved."),
    "report_duplicate": N_("The report file names the same item twice, so it cannot be "
                           "trusted. Attach the file precheck saved, unchanged."),
    "start_invalid": N_("The chosen time could not be read. Please choose a time from the "
                        "list."),
    "cancel_by_phone": N_("Cancelling on the day"),
    "cancel_same_day_rule": N_("Until the day before: online, with the link in your email. On "
                               "the day itself: by phone only."),
}


@dataclass(frozen=True, slots=True)
class FieldView:
    name: str
    label: str
    type: str
    autocomplete: str
    required: bool
    value: str
    hint: str
    error: str


@dataclass(frozen=True, slots=True)
class SlotLink:
    start: datetime
    free: bool
    url: str


@dataclass(frozen=True, slots=True)
class DayView:
    date: date
    closed: str
    slots: tuple[SlotLink, ...]




def _words(request: Request) -> Words:
    return Words(language(request), {**TEXT, **OUTCOMES, **HINTS})


def _office_or_404(request: Request, gw: Gateway, office_id: str) -> OfficeProfile | HTMLResponse:
    try:
        return gw.office(office_id)
    except NotFound:
        return message_page(request, "not_found_title", "not_found_body", status_code=404,
                            link=_home_link(request))


def _home_link(request: Request) -> tuple[str, str]:
    words = Words(language(request), {"back_home": N_("Back to the list of offices")})
    return words("back_home"), f"/?lang={language(request)}"


def _office_link(request: Request, office: OfficeProfile) -> tuple[str, str]:
    return _words(request)("to_office"), f"/offices/{office.id}?lang={language(request)}"


# -- the office and its slots ---------------------------------------------------------------------

@router.get("/static/gateway.css")
def stylesheet() -> FileResponse:
    """The pages' one stylesheet (served here, so the pages need no static mount)."""
    return FileResponse(STATIC / "gateway.css", media_type="text/css",
                        headers={"Cache-Control": "public, max-age=3600"})


@router.get("/", response_class=HTMLResponse)
def index(request: Request, gw: GatewayDep) -> HTMLResponse:
    """The list of offices."""
    return render(request, "index.html", TEXT, offices=list(gw.offices.values()))


@router.get("/offices/{office_id}", response_class=HTMLResponse)
def office_page(request: Request, office_id: str, gw: GatewayDep, at: NowDep,
                start: str = "") -> HTMLResponse:
    """The office's rules and its free sessions for two weeks from ``start`` (a date)."""
    office = _office_or_404(request, gw, office_id)
    if isinstance(office, HTMLResponse):
        return office
    today = at.astimezone(TOKYO).date()
    first = _parse_day(start) or today
    first = max(today, min(first, today + timedelta(days=office.horizon_days)))
    last = first + timedelta(days=DAYS_SHOWN - 1)
    words = _words(request)
    lang = words.lang
    problem = ""
    days: list[DayView] = []
    with session(request) as db:
        try:
            slots = gw.list_slots(db, office.id, first, last, at)
        except RuleBroken as exc:
            slots = []
            problem = " ".join(words.message(v.message) for v in exc.violations)
    by_day: dict[date, list[SlotLink]] = {}
    for slot in slots:
        if slot.free:
            local = slot.start.astimezone(TOKYO)
            url = f"/offices/{office.id}/book?start={_slot_param(local)}&lang={lang}"
            by_day.setdefault(local.date(), []).append(SlotLink(local, True, url))
    day = first
    while day <= last and not problem:
        try:
            closed = rules.closed_reason(office, day)
        except rules.HolidayDataMissing as exc:
            problem = words.message(exc.message)
            break
        days.append(DayView(day, words.message(closed) if closed else "",
                            tuple(by_day.get(day, ()))))
        day += timedelta(days=1)
    previous_url = next_url = ""
    if first > today:
        previous_url = (f"/offices/{office.id}?start="
                        f"{max(today, first - timedelta(days=DAYS_SHOWN))}&lang={lang}")
    if last < today + timedelta(days=office.horizon_days):
        next_url = f"/offices/{office.id}?start={last + timedelta(days=1)}&lang={lang}"
    return render(request, "office.html", TEXT, office=office, days=days,
                  check_url=browser_check.check_url(office, None, lang),
                  hours=_hours(office), lead=_lead_text(office, words),
                  cancel_rule=words("cancel_same_day_rule"), calendar_problem=problem,
                  previous_url=previous_url, next_url=next_url)


def _hours(office: OfficeProfile) -> str:
    return ", ".join(f"{a:%H:%M}–{b:%H:%M}" for a, b in office.windows)


_LEAD_TEXTS = {
    "previous_day": N_("By the day before the consultation."),
    "business_days": N_("{days} business days before the consultation (weekends, holidays and "
                        "the year-end break do not count)."),
    "days": N_("{days} days before the consultation."),
    "same_day": N_("Until the start of the consultation."),
}


def _lead_text(office: OfficeProfile, words: Words) -> str:
    lead = office.lead
    if lead.days == 0:
        return words.msgid(_LEAD_TEXTS["same_day"])
    if lead.business_days:
        return words.msgid(_LEAD_TEXTS["business_days"], days=lead.days)
    if lead.days == 1:
        return words.msgid(_LEAD_TEXTS["previous_day"])
    return words.msgid(_LEAD_TEXTS["days"], days=lead.days)


def _parse_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()) if text else None
    except ValueError:
        return None


def _slot_param(local: datetime) -> str:
    return local.strftime("%Y-%m-%dT%H:%M")


def _office_and_start(request: Request, gw: Gateway, office_id: str, start: str
                      ) -> tuple[OfficeProfile, datetime] | HTMLResponse:
    """The office and the slot start a booking page is about, or the page saying which is
    wrong (404 for an unknown office, 400 for a time that cannot be read)."""
    office = _office_or_404(request, gw, office_id)
    if isinstance(office, HTMLResponse):
        return office
    moment = _parse_start(start)
    if moment is None:
        return message_page(request, Message.of(OUTCOMES["refused_title"]),
                            Message.of(OUTCOMES["start_invalid"]), status_code=400,
                            link=_office_link(request, office))
    return office, moment


def _parse_start(text: str) -> datetime | None:
    """A slot start from a form or a URL: ISO 8601, read in Japan time when it has no zone."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=TOKYO)
    return moment.astimezone(TOKYO)


# -- booking --------------------------------------------------------------------------------------

@router.get("/offices/{office_id}/book", response_class=HTMLResponse)
def start_page(request: Request, office_id: str, gw: GatewayDep, at: NowDep,
               start: str = "") -> HTMLResponse:
    """The chosen time and the button that asks for a challenge (this page changes nothing)."""
    found = _office_and_start(request, gw, office_id, start)
    if isinstance(found, HTMLResponse):
        return found
    office, moment = found
    words = _words(request)
    violation = rules.check_bookable(office, moment, at)
    if violation is None:
        with session(request) as db:
            attached = browser_check.attached_report(request, db, office.id, at)
        if attached is not None:
            return _form(request, office, moment, nonce="", minutes=0, values={}, problems=[],
                         errors={}, browser=True)
    return render(request, "start.html", TEXT, office=office, start=moment,
                  check_url=browser_check.check_url(office, moment, words.lang),
                  problem=words.message(violation.message) if violation else "")


@router.post("/offices/{office_id}/challenge", response_class=HTMLResponse)
def challenge(request: Request, office_id: str, *, gw: GatewayDep, at: NowDep,
              start: Annotated[str, Form()] = "",
              csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "") -> HTMLResponse:
    """Issue a single-use challenge and show the booking form with it."""
    if not jobseeker_csrf_ok(request, csrf_token):
        return csrf_failed(request)
    found = _office_and_start(request, gw, office_id, start)
    if isinstance(found, HTMLResponse):
        return found
    office, moment = found
    with session(request) as db:
        try:
            gw.take_rate(db, "challenge", client_address(request),
                         gw.settings.challenge_limit, at)
            issued = gw.issue_challenge(db, office.id, at, client_address(request))
        except GatewayError as exc:
            gw.record_access(db, "page_challenge", exc.code, at,
                             client=client_address(request), office_id=office.id)
            return _failure(request, office, exc)
        gw.record_access(db, "page_challenge", "ok", at, client=client_address(request),
                         office_id=office.id)
    minutes = max(1, int((issued.expires_at - at).total_seconds() // 60))
    return _form(request, office, moment, nonce=issued.nonce, minutes=minutes, values={},
                 problems=[], errors={})


def _gateway_url(request: Request) -> str:
    """This gateway's address for the command on the page (--gateway): the configured public
    address, else the one the browser used."""
    from precheck.gateway.deps import get_settings

    return get_settings(request).public_url.rstrip("/") or str(request.base_url).rstrip("/")


def _form(request: Request, office: OfficeProfile, start: datetime, *, nonce: str, minutes: int,
          values: dict[str, str], problems: list[str], errors: dict[str, str],
          status_code: int = 200, browser: bool = False) -> HTMLResponse:
    words = _words(request)
    fields = [
        FieldView(
            name=name,
            label=words.message(rules.field_label(name)),
            type=_INPUT[name][0],
            autocomplete=_INPUT[name][1],
            required=name in office.required_fields,
            value=values.get(name, ""),
            hint=words.msgid(HINTS[name]) if name in HINTS else "",
            error=errors.get(name, ""),
        )
        for name in office.fields if name != "start"
    ]
    return render(request, "book.html", TEXT, status_code=status_code, office=office,
                  switch_to=f"/offices/{office.id}/book?start={_slot_param(start)}", start=start,
                  nonce=nonce, nonce_minutes=minutes, fields=fields,
                  problems=problems, browser=browser, gateway_url=_gateway_url(request))


@router.post("/offices/{office_id}/book", response_class=HTMLResponse)
def book(request: Request, office_id: str, *, gw: GatewayDep, at: NowDep,
         report: Annotated[UploadFile | None, File()] = None,
         start: Annotated[str, Form()] = "",
         nonce: Annotated[str, Form()] = "",
         name: Annotated[str, Form()] = "",
         jobseeker_number: Annotated[str, Form()] = "",
         email: Annotated[str, Form()] = "",
         phone: Annotated[str, Form()] = "",
         note: Annotated[str, Form()] = "",
         csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "") -> HTMLResponse:
    """Make the booking with the form and the report; on any problem show the form again with
    what to correct and everything typed kept."""
    if not jobseeker_csrf_ok(request, csrf_token):
        return csrf_failed(request)
    found = _office_and_start(request, gw, office_id, start)
    if isinstance(found, HTMLResponse):
        return found
    office, moment = found
    words = _words(request)
    values = {"name": name, "jobseeker_number": jobseeker_number, "email": email,
              "phone": phone, "note": note}
    minutes = int(gw.settings.challenge_ttl.total_seconds() // 60)
    document, report_problem = _read_report(report)
    attached = None
    if report_problem == "report_missing":  # a report the browser check made and kept
        with session(request) as db:
            attached = browser_check.attached_report(request, db, office.id, at)
        if attached is not None:
            document, report_problem = attached.document, None
    browser = attached is not None
    if report_problem is not None:
        # The form is checked too, so every correction is asked for at once.
        _, problems = rules.check_fields(office, values)
        errors = {p.field: words.message(p.message) for p in problems if p.field}
        return _form(request, office, moment, nonce=nonce, minutes=minutes, values=values,
                     problems=[words(report_problem)], errors=errors, status_code=422,
                     browser=browser)
    form = BookingForm(start=moment, language=words.lang, **values)
    client = client_address(request)
    with session(request) as db:
        try:
            gw.take_rate(db, "booking", client, gw.settings.booking_limit, at)
            created = gw.create_booking(db, office.id, form, document, at, client=client,
                                        channel="page_booking")
        except (GatewayError, GateRejected) as exc:
            gw.record_access(db, "page_booking", exc.code, at, client=client,
                             office_id=office.id)
            return _booking_refused(request, office, moment, exc, nonce=nonce,
                                    minutes=minutes, values=values, browser=browser)
    booking = created.booking
    if booking.status == Status.PENDING:
        expires = booking.hold_expires_at
        return render(request, "booked.html", TEXT, status_code=201, office=office,
                      switch_to=f"/offices/{office.id}", start=booking.start,
                      reference=booking.reference, pending=True,
                      title=words("pending_title"),
                      lead=words("pending_lead", email=booking.email,
                                 expires=when(expires, words.lang) if expires else ""),
                      notes=[words("pending_spam")], cancel_url="")
    return _completed(request, office, booking, created.cancel_token, "booked", status_code=201)


def _booking_refused(request: Request, office: OfficeProfile, moment: datetime,
                     exc: GatewayError | GateRejected, *, nonce: str, minutes: int,
                     values: dict[str, str], browser: bool = False) -> HTMLResponse:
    """The form again with what to correct (the office's rules, the report), or the page for
    an error that is not about the form."""
    words = _words(request)
    if isinstance(exc, RuleBroken):
        errors = {v.field: words.message(v.message) for v in exc.violations
                  if v.field and v.field != "start"}
        general = [words.message(v.message) for v in exc.violations
                   if not v.field or v.field == "start"]
        return _form(request, office, moment, nonce=nonce, minutes=minutes, values=values,
                     problems=general, errors=errors, status_code=422, browser=browser)
    if isinstance(exc, GateRejected):
        texts = [render_reason(r.message, words.lang, r.localized) for r in exc.reasons]
        return _form(request, office, moment, nonce=nonce, minutes=minutes, values=values,
                     problems=texts or [words.message(exc.message)], errors={},
                     status_code=422, browser=browser)
    return _failure(request, office, exc)


def _read_report(upload: UploadFile | None) -> tuple[Any, str | None]:
    """The report document from the uploaded file, or the key of what is wrong with it."""
    if upload is None or not upload.filename:
        return None, "report_missing"
    data = upload.file.read(MAX_REPORT_BYTES + 1)
    if len(data) > MAX_REPORT_BYTES:
        return None, "report_too_big"
    from precheck.gateway.api import DuplicateKey, strict_json

    try:
        return strict_json(data.decode("utf-8-sig")), None
    except DuplicateKey:
        return None, "report_duplicate"
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None, "report_unreadable"


def _completed(request: Request, office: OfficeProfile, booking: BookingView,
               cancel_token: str | None, kind: str, *, status_code: int = 200) -> HTMLResponse:
    words = _words(request)
    notes = [words("meeting", app=office.video_app), words("checkin")]
    cancel_url = ""
    if cancel_token:
        notes.append(words("cancel_note"))
        cancel_url = mail.CANCEL_PATH.format(token=cancel_token) + f"?lang={words.lang}"
    return render(request, "booked.html", TEXT, status_code=status_code, office=office,
                  switch_to=f"/offices/{office.id}", start=booking.start,
                  reference=booking.reference, pending=False,
                  title=words(f"{kind}_title"), lead=words(f"{kind}_lead", email=booking.email),
                  notes=notes, cancel_url=cancel_url)


def _failure(request: Request, office: OfficeProfile | None, exc: GatewayError) -> HTMLResponse:
    """The page for an error that is not about the form: taken, too many requests, gone."""
    link = _office_link(request, office) if office else _home_link(request)
    if isinstance(exc, SlotTaken):
        return message_page(request, Message.of(OUTCOMES["taken_title"]), exc.message,
                            status_code=409, link=link)
    if isinstance(exc, RateLimited):
        response = message_page(request, Message.of(OUTCOMES["busy_title"]), exc.message,
                                status_code=429, link=link)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    if isinstance(exc, NotFound):
        return message_page(request, Message.of(OUTCOMES["link_title"]), exc.message,
                            status_code=404, link=link)
    if isinstance(exc, LinkExpired):
        return message_page(request, Message.of(OUTCOMES["link_title"]), exc.message,
                            status_code=410, link=link)
    if isinstance(exc, StaleState):
        return message_page(request, Message.of(OUTCOMES["already_title"]), exc.message,
                            status_code=409, link=link)
    if isinstance(exc, RuleBroken):
        return message_page(request, Message.of(OUTCOMES["refused_title"]), exc.message,
                            details=[v.message for v in exc.violations],
                            phone=office.phone if office else None,
                            status_code=422, link=link)
    return message_page(request, Message.of(OUTCOMES["refused_title"]), exc.message,
                        status_code=503 if isinstance(exc, CommitUncertain) else 400,
                        link=link)


# -- the pages the emailed links open -------------------------------------------------------------

def _link_page(request: Request, gw: Gateway, token: str, purpose: str, at: datetime
               ) -> tuple[OfficeProfile, BookingView] | HTMLResponse:
    with session(request) as db:
        try:
            booking = gw.link_booking(db, token, purpose, at)
        except GatewayError as exc:
            return _failure(request, None, exc)
    return gw.office(booking.office_id), booking


@router.get(mail.CONFIRM_PATH, response_class=HTMLResponse)
def confirm_page(request: Request, token: str, gw: GatewayDep, at: NowDep) -> HTMLResponse:
    """What the confirmation link opens: the booking and a button. Nothing changes here."""
    found = _link_page(request, gw, token, "confirm", at)
    if isinstance(found, HTMLResponse):
        return found
    office, booking = found
    return render(request, "confirm.html", TEXT, office=office, start=booking.start,
                  reference=booking.reference,
                  action=mail.CONFIRM_PATH.format(token=token) + f"?lang={language(request)}")


@router.post(mail.CONFIRM_PATH, response_class=HTMLResponse)
def confirm(request: Request, token: str, gw: GatewayDep, at: NowDep,
            csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "") -> HTMLResponse:
    """The confirmation page's button: pending -> confirmed, once; then the completion page."""
    if not jobseeker_csrf_ok(request, csrf_token):
        return csrf_failed(request)
    with session(request) as db:
        try:
            confirmed = gw.confirm_booking(db, token, at)
        except GatewayError as exc:
            gw.record_access(db, "page_confirm", exc.code, at, client=client_address(request))
            return _failure(request, None, exc)
        gw.record_access(db, "page_confirm", "ok", at, client=client_address(request),
                         office_id=confirmed.booking.office_id,
                         booking_id=confirmed.booking.id)
    booking = confirmed.booking
    return _completed(request, gw.office(booking.office_id), booking, confirmed.cancel_token,
                      "confirmed")


@router.get(mail.CANCEL_PATH, response_class=HTMLResponse)
def cancel_page(request: Request, token: str, gw: GatewayDep, at: NowDep) -> HTMLResponse:
    """What the cancel link opens: the booking and a button, or, on the day itself, the
    office's phone number instead. Nothing changes here."""
    found = _link_page(request, gw, token, "cancel", at)
    if isinstance(found, HTMLResponse):
        return found
    office, booking = found
    refusal = rules.cancel_refusal(office, booking.start, at)
    return render(request, "cancel.html", TEXT, office=office, start=booking.start,
                  reference=booking.reference,
                  refusal=_words(request).message(refusal.message) if refusal else "",
                  action=mail.CANCEL_PATH.format(token=token) + f"?lang={language(request)}")


@router.post(mail.CANCEL_PATH, response_class=HTMLResponse)
def cancel(request: Request, token: str, gw: GatewayDep, at: NowDep,
           csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "") -> HTMLResponse:
    """The cancel page's button; refused on the day of the session (phone the office)."""
    if not jobseeker_csrf_ok(request, csrf_token):
        return csrf_failed(request)
    office: OfficeProfile | None = None
    with session(request) as db:
        try:
            booking = gw.link_booking(db, token, "cancel", at)
            office = gw.office(booking.office_id)
            booking = gw.cancel_booking(db, token, at)
        except GatewayError as exc:
            gw.record_access(db, "page_cancel", exc.code, at, client=client_address(request),
                             office_id=office.id if office else None)
            return _failure(request, office, exc)
        gw.record_access(db, "page_cancel", "ok", at, client=client_address(request),
                         office_id=booking.office_id, booking_id=booking.id)
    words = _words(request)
    return render(request, "booked.html", TEXT, office=office, start=booking.start,
                  switch_to=f"/offices/{booking.office_id}", reference=booking.reference,
                  pending=False, title=words("cancelled_title"),
                  lead=words("cancelled_lead", email=booking.email), notes=[], cancel_url="")

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

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse

from precheck.gateway import browser_check, gate, rules
from precheck.gateway.deps import GatewayDep, NowDep
from precheck.gateway.offices import TOKYO, OfficeProfile
from precheck.gateway.service import (
    Gateway,
    NotFound,
    RuleBroken,
)
from precheck.gateway.web import (
    STATIC,
    Words,
    language,
    message_page,
    render,
    session,
)
from precheck.result import N_, Message

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

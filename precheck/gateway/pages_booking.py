"""The job seeker's booking pages: the form for a chosen time, its challenge, and the booking.

The office page and its slots are pages.py's; the pages the emailed links open are
pages_links.py's. A form carries the double-submit CSRF token; a booking needs a signed, passing
report carrying the form's fresh challenge (the app's, or the browser check's).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse

from precheck.gateway import browser_check, mail, rules
from precheck.gateway.deps import CSRF_FIELD, GatewayDep, NowDep, client_address
from precheck.gateway.gate import GateRejected
from precheck.gateway.gate import render as render_reason
from precheck.gateway.offices import OfficeProfile
from precheck.gateway.pages import (
    _INPUT,
    HINTS,
    MAX_REPORT_BYTES,
    OUTCOMES,
    TEXT,
    FieldView,
    _home_link,
    _office_and_start,
    _office_link,
    _slot_param,
    _words,
)
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
    csrf_failed,
    jobseeker_csrf_ok,
    message_page,
    render,
    session,
)
from precheck.result import Message
from precheck.when import when

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

router = APIRouter(include_in_schema=False)


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


def _linked(request: Request, gw: Gateway, find: Callable[[Session], BookingView]
            ) -> tuple[OfficeProfile, BookingView] | HTMLResponse:
    """The booking a mailed link names, with its office, or the page saying why not."""
    with session(request) as db:
        try:
            booking = find(db)
        except GatewayError as exc:
            return _failure(request, None, exc)
    return gw.office(booking.office_id), booking


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



"""The pages the emailed links open: confirm a booking, cancel it.

Opening a link changes nothing (mail scanners follow every link they see): the page shows the
booking and a button, and the button's POST (with its CSRF token) confirms or cancels.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from precheck.gateway import mail, rules
from precheck.gateway.deps import CSRF_FIELD, GatewayDep, NowDep, client_address
from precheck.gateway.offices import OfficeProfile
from precheck.gateway.pages import (
    TEXT,
    _words,
)
from precheck.gateway.pages_booking import _completed, _failure, _linked
from precheck.gateway.service import (
    BookingView,
    Gateway,
    GatewayError,
)
from precheck.gateway.web import (
    csrf_failed,
    jobseeker_csrf_ok,
    language,
    render,
    session,
)

router = APIRouter(include_in_schema=False)


def _link_page(request: Request, gw: Gateway, token: str, purpose: str, at: datetime
               ) -> tuple[OfficeProfile, BookingView] | HTMLResponse:
    return _linked(request, gw, lambda db: gw.link_booking(db, token, purpose, at))


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

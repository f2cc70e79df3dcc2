"""The JSON API, ``/api/v1``: what the TUI and other clients call (OpenAPI at /openapi.json).

Every error has one shape, with each message in Japanese and English::

    {"error": "taken", "message": {"ja": "...", "en": "..."},
     "reasons": [{"rule": "stale", "field": null, "message": {"ja": "...", "en": "..."}}]}

``error`` is the service's error code (:mod:`precheck.gateway.service`), ``reasons`` the broken
rules of the office (``rule_broken``) or of the report (``gate_rejected``). Challenges, bookings
and check-ins are rate limited per client, and each is written to the access history without
identifiers in the clear. Confirm and cancel links belong to the HTML pages (a button press), not
to this API.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from precheck import wire
from precheck.gateway import gate, service
from precheck.gateway.deps import ClientDep, GatewayDep, NowDep, SessionDep
from precheck.gateway.offices import TOKYO, OfficeProfile
from precheck.gateway.service import BookingForm, GatewayError
from precheck.result import N_, Message

PREFIX = "/api/v1"
#: The slots listed when the client names no range: two weeks from today.
DEFAULT_DAYS = 14


# -- models ---------------------------------------------------------------------------------------

class ChallengeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    office_id: Annotated[str, Field(min_length=1, max_length=40)]


class BookingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    office_id: Annotated[str, Field(min_length=1, max_length=40)]
    start: AwareDatetime
    name: Annotated[str, Field(max_length=200)] = ""
    email: Annotated[str, Field(max_length=320)] = ""
    phone: Annotated[str | None, Field(max_length=60)] = None
    jobseeker_number: Annotated[str | None, Field(max_length=60)] = None
    note: Annotated[str | None, Field(max_length=4000)] = None
    language: Annotated[str, Field(pattern="^(ja|en)$")] = "ja"
    #: The signed report of ``precheck run --challenge NONCE`` (docs/report.md).
    report: dict[str, Any] | None


class CheckInIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    report: dict[str, Any] | None
    #: For a check-in from another computer than the one that booked: the token of a link
    #: in the booking's email (the part after /confirm/ or /cancel/).
    secret: Annotated[str | None, Field(max_length=200)] = None


_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": wire.ErrorBody} for code in (400, 404, 409, 410, 413, 422, 429, 503)
}

class DuplicateKey(ValueError):
    """A JSON object names a member twice (RFC 8259 leaves the meaning open: refused)."""


def strict_json(data: bytes | str) -> Any:
    """``json.loads`` that refuses an object with a member named twice (DuplicateKey): two
    readers of one document must never see two different documents."""
    import json

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for key, value in items:
            if key in found:
                raise DuplicateKey(key)
            found[key] = value
        return found

    return json.loads(data, object_pairs_hook=pairs)


#: The largest API request body: a report as large as the pages take, and the form around it.
MAX_API_BODY = gate.MAX_REPORT_BYTES + 64 * 1024


class _StrictRoute(APIRoute):
    """The API's routes read a JSON body only when it is within :data:`MAX_API_BODY` and names
    no member twice; otherwise they answer 413 or 422 in the API's error shape."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            if request.method in ("POST", "PUT", "PATCH"):
                body = await request.body()  # kept by the request: FastAPI reads it again
                if len(body) > MAX_API_BODY:
                    return http_error_response(413)
                if body and "json" in request.headers.get("content-type", ""):
                    try:
                        strict_json(body)
                    except DuplicateKey as exc:
                        return duplicate_key_response(str(exc))
                    except ValueError:
                        pass  # FastAPI answers a body it cannot read (400/422)
                    except RecursionError:
                        return http_error_response(400)
            return await handler(request)

        return strict


router = APIRouter(prefix=PREFIX, tags=["api"], responses=_ERRORS, route_class=_StrictRoute)


# -- errors ---------------------------------------------------------------------------------------

_STATUS = {
    service.NotFound: 404,
    service.SlotTaken: 409,
    service.StaleState: 409,
    service.LinkExpired: 410,
    service.RuleBroken: 422,
    gate.GateRejected: 422,
    service.RateLimited: 429,
    service.CommitUncertain: 503,
}


def _texts(message: Message, localized: Any = None) -> dict[str, str]:
    return {language: gate.render(message, language, localized) for language in gate.LANGUAGES}


def error_body(exc: GatewayError | gate.GateRejected) -> dict[str, Any]:
    """The API's error document for a service error."""
    reasons: list[dict[str, Any]] = []
    if isinstance(exc, service.RuleBroken):
        reasons = [{"rule": v.code, "field": v.field, "message": _texts(v.message)}
                   for v in exc.violations]
    elif isinstance(exc, gate.GateRejected):
        reasons = [{"rule": r.rule, "field": None, "message": r.texts()} for r in exc.reasons]
    return {"error": exc.code, "message": _texts(exc.message), "reasons": reasons}


def error_response(exc: GatewayError | gate.GateRejected) -> JSONResponse:
    status = next((code for kind, code in _STATUS.items() if isinstance(exc, kind)), 400)
    headers = ({"Retry-After": str(exc.retry_after)}
               if isinstance(exc, service.RateLimited) else None)
    return JSONResponse(error_body(exc), status_code=status, headers=headers)


def validation_response(exc: RequestValidationError) -> JSONResponse:
    """A malformed request, in the API's error shape (installed by create_app for /api)."""
    reasons = []
    for error in exc.errors()[:20]:
        where = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
        detail = f"{where}: {error.get('msg', '')}" if where else str(error.get("msg", ""))
        reasons.append({"rule": "invalid", "field": where or None, "message": _texts(
            Message.of(N_("This value is not valid: {detail}"), detail=detail[:300]))})
    return JSONResponse(jsonable_encoder({
        "error": "invalid_request",
        "message": _texts(Message.of(N_(
            "The request is not valid. Please check what is listed."))),
        "reasons": reasons}), status_code=422)


def duplicate_key_response(key: str) -> JSONResponse:
    """422: a JSON object of the request names ``key`` twice."""
    return JSONResponse({
        "error": "invalid_request",
        "message": _texts(Message.of(N_(
            "The request is not valid. Please check what is listed."))),
        "reasons": [{"rule": "duplicate_key", "field": None, "message": _texts(Message.of(N_(
            "A JSON object names the member {key} twice. Send each member once."),
            key=key[:60]))}]}, status_code=422)


def http_error_response(status: int) -> JSONResponse:
    """An HTTP error raised by the framework (unreadable body, unknown path) in the API's shape."""
    codes = {400: ("invalid_request", N_("The request could not be read. Send UTF-8 JSON.")),
             404: ("not_found", N_("There is no such address in this API.")),
             405: ("method_not_allowed", N_("This address does not take this method.")),
             413: ("too_large", N_("The request is too large."))}
    code, text = codes.get(status, ("error", N_("The request could not be handled.")))
    return JSONResponse({"error": code, "message": _texts(Message.of(text)), "reasons": []},
                        status_code=status)


# -- routes ---------------------------------------------------------------------------------------

def _office_out(office: OfficeProfile) -> wire.Office:
    ttl = office.confirmation_ttl
    return wire.Office(id=office.id, name_ja=office.name_ja, name_en=office.name_en,
                       kind=office.kind, phone=office.phone,
                       required_fields=tuple(office.required_fields),
                       optional_fields=tuple(office.optional_fields),
                       slot_minutes=office.slot_minutes, video_app=office.video_app,
                       confirmation_minutes=int(ttl.total_seconds() // 60) if ttl else None)


@router.get("/offices", response_model=list[wire.Office])
def offices(gw: GatewayDep) -> list[wire.Office]:
    """The offices this gateway books for, with the fields each one's form asks for."""
    return [_office_out(office) for office in gw.offices.values()]


@router.get("/offices/{office_id}", response_model=wire.Office)
def office(office_id: str, gw: GatewayDep) -> wire.Office | JSONResponse:
    """One office."""
    try:
        return _office_out(gw.office(office_id))
    except GatewayError as exc:
        return error_response(exc)


@router.get("/offices/{office_id}/slots", response_model=list[wire.Slot])
def slots(office_id: str, *, gw: GatewayDep, session: SessionDep, now: NowDep,
          first: Annotated[date | None, Query(alias="from")] = None,
          last: Annotated[date | None, Query(alias="to")] = None,
          ) -> list[wire.Slot] | JSONResponse:
    """The office's sessions from ``from`` to ``to`` (Asia/Tokyo dates, default: two weeks
    from today) and whether each is free to book now."""
    low = first or now.astimezone(TOKYO).date()
    high = last or low + timedelta(days=DEFAULT_DAYS - 1)
    try:
        return [wire.Slot(start=s.start, end=s.end, free=s.free)
                for s in gw.list_slots(session, office_id, low, high, now)]
    except GatewayError as exc:
        return error_response(exc)


@router.post("/challenges", status_code=201, response_model=wire.Challenge)
def challenge(body: ChallengeIn, gw: GatewayDep, session: SessionDep, now: NowDep,
              client: ClientDep) -> wire.Challenge | JSONResponse:
    """A single-use nonce for ``precheck run --challenge NONCE`` (rate limited)."""
    try:
        gw.take_rate(session, "challenge", client, gw.settings.challenge_limit, now)
        issued = gw.issue_challenge(session, body.office_id, now, client)
    except GatewayError as exc:
        gw.record_access(session, "challenge", exc.code, now, client=client,
                         office_id=body.office_id)
        return error_response(exc)
    gw.record_access(session, "challenge", "ok", now, client=client, office_id=body.office_id)
    return wire.Challenge(nonce=issued.nonce, office_id=issued.office_id,
                        expires_at=issued.expires_at)


@router.post("/bookings", status_code=201, response_model=wire.Booking,
             responses={200: {"model": wire.Booking, "description": "the same request again"}})
def book(body: BookingIn, gw: GatewayDep, session: SessionDep, now: NowDep,
         client: ClientDep) -> wire.Booking | JSONResponse:
    """Book a session with a signed, passing report carrying a fresh challenge.

    201 with the booking (``pending_confirmation``: confirm with the emailed link by
    ``confirm_by``; ``confirmed``: done); 200 with the same booking when the same request
    (same challenge, same report) comes again, e.g. after a lost answer. 409 ``taken``: someone
    else booked it first. 422: the office's rules (``rule_broken``, limits per person and per
    address included) or the report (``gate_rejected``) say no, with every reason. 503
    ``unavailable``: nothing was booked; ``unavailable_uncertain``: send the same request again.
    """
    form = BookingForm(start=body.start, name=body.name, email=body.email,
                       phone=body.phone or "", jobseeker_number=body.jobseeker_number or "",
                       note=body.note or "", language=body.language)
    device = _device(body.report)
    try:
        gw.take_rate(session, "booking", client, gw.settings.booking_limit, now)
        created = gw.create_booking(session, body.office_id, form, body.report, now,
                                    client=client)
    except (GatewayError, gate.GateRejected) as exc:
        gw.record_access(session, "booking", exc.code, now, client=client,
                         office_id=body.office_id, device_id=device)
        return error_response(exc)
    booking = created.booking
    out = wire.Booking(reference=booking.reference, office_id=booking.office_id,
                     status=booking.status, start=booking.start, end=booking.end,
                     confirm_by=booking.hold_expires_at)
    if created.repeated:
        return JSONResponse(jsonable_encoder(out), status_code=200)
    return out


@router.get("/bookings/{reference}", response_model=wire.BookingStatus)
def booking_status(reference: str, gw: GatewayDep, session: SessionDep
                   ) -> wire.BookingStatus | JSONResponse:
    """A booking's status by its reference (no personal data)."""
    try:
        found = gw.find_booking(session, reference)
    except GatewayError as exc:
        return error_response(exc)
    return wire.BookingStatus(reference=found.reference, office_id=found.office_id,
                            status=found.status, start=found.start, end=found.end,
                            checked_in=found.checked_in_at is not None)


@router.post("/bookings/{reference}/check-in", response_model=wire.CheckIn)
def check_in(reference: str, body: CheckInIn, *, gw: GatewayDep, session: SessionDep,
             now: NowDep, client: ClientDep) -> wire.CheckIn | JSONResponse:
    """Check in on the day with a fresh report (its own new challenge), before start + 10 min.

    Only the booking's owner: the report signed by the device key that booked, or ``secret``
    from the booking's email; anyone else gets 422 ``gate_rejected`` with rule ``not_owner``.
    """
    device = _device(body.report)
    try:
        gw.take_rate(session, "booking", client, gw.settings.booking_limit, now)
        booking = gw.check_in(session, reference, body.report, now, secret=body.secret)
    except (GatewayError, gate.GateRejected) as exc:
        gw.record_access(session, "check_in", exc.code, now, client=client, device_id=device)
        return error_response(exc)
    gw.record_access(session, "check_in", "ok", now, client=client,
                     office_id=booking.office_id, booking_id=booking.id, device_id=device)
    assert booking.checked_in_at is not None  # noqa: S101 - check_in sets it
    return wire.CheckIn(reference=booking.reference, status=booking.status,
                      checked_in_at=booking.checked_in_at)


@router.get("/policy", response_model=wire.Policy)
def policy(gw: GatewayDep) -> wire.Policy:
    """The policy versions (with digests) and checks the gate requires, and its time limits."""
    info = gw.gate_info()
    return wire.Policy(
        accepted=tuple(wire.PolicyVersion(version=v, digest=d)
                       for v, d in sorted(info.accepted_policies.items())),
        required_checks=tuple(info.required_checks),
        report_max_age_minutes=int(info.report_max_age.total_seconds() // 60),
        challenge_minutes=int(info.challenge_ttl.total_seconds() // 60))


def _device(report: dict[str, Any] | None) -> str | None:
    """The report's device pseudonym, for the access history (hashed again there)."""
    value = report.get("device_id") if isinstance(report, dict) else None
    return value[:64] if isinstance(value, str) else None


def is_api(request: Request) -> bool:
    """True for requests to the JSON API (its errors use the API's shape)."""
    return request.url.path.startswith(PREFIX + "/") or request.url.path == PREFIX

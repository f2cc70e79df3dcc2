"""The browser check: ``/check``, so a job seeker on a smartphone can check and book too.

The terms allow "スマートフォン、PC等" (Article 2(2)), but a phone cannot run the app. This page,
served by the gateway with no third-party script (its one script is ``/static/check.js``; the
CSP allows nothing else), checks what a browser can:

=====================================  =========================================================
``GET  /check?office=ID&start=TIME``   the page (Japanese first); ``start`` carries the chosen
                                       time on to the booking form
``POST /check/start``                  a new check: a single-use challenge for the office and a
                                       token (JSON; the page's CSRF token in ``X-CSRF-Token``)
``WS   /check/{token}/connection``     the connection test, timed by the gateway
                                       (browser_measure.py)
``POST /check/{token}/finish``         the page's figures; the gateway judges them with the
                                       app's checks, signs the report with its own key, keeps it
                                       for the booking form and answers with what to show
=====================================  =========================================================

The booking form (pages.py) finds the report through the ``precheck_check`` cookie (HttpOnly,
SameSite=Strict) and books with it; the gate's source rule (sources.py) says which devices may.
Camera and microphone are measured in the page: only numbers leave the phone, never a picture
or a sound; the User-Agent string is read, never stored.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from precheck import declarations
from precheck.errors import PrecheckError
from precheck.gateway import browser_device, browser_facts
from precheck.gateway.deps import GatewayDep, NowDep, client_address, same_origin
from precheck.gateway.models import BrowserCheck
from precheck.gateway.offices import TOKYO, OfficeProfile
from precheck.gateway.service import GatewayError, NotFound, RateLimited
from precheck.gateway.web import (
    CSRF_COOKIE,
    STATIC,
    Words,
    language,
    render,
    session,
)
from precheck.reports.signing import Identity
from precheck.result import N_

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from precheck.gateway.service import Gateway

router = APIRouter(include_in_schema=False)

COOKIE = "precheck_check"
DEVICE_COOKIE = "precheck_browser"
#: A check's token lasts as long as its challenge.
BROWSER_KEY = "browser_report"

#: The page's words, handed to the script in the page's language (the catalog holds them all).
TEXT = {
    "title": N_("Check your smartphone"),
    "lead": N_("Before booking, check that this smartphone (or tablet) is ready for the online "
               "consultation: camera, microphone, speaker, connection and software. It takes "
               "about two minutes. Nothing is recorded: only figures are sent, never a picture "
               "or a sound."),
    "office": N_("Office"),
    "time": N_("Date and time"),
    "choose_office": N_("Choose your Hello Work office first:"),
    "noscript": N_("This check needs JavaScript. Turn it on in the browser settings, or check "
                   "with the precheck app on a computer."),
    "pc_note": N_("On a computer, please use the precheck app: it checks what a browser cannot "
                  "see (firewall, antivirus, updates). A computer can book only with the app's "
                  "report."),
    "download": N_("Download the app"),
    "start": N_("Start checking"),
    "next": N_("Next"),
    "yes": N_("Yes"),
    "no": N_("No"),
    "again": N_("Play again"),
    "retry": N_("Check again"),
    "step": N_("Step {n} of {total}"),
    "camera_title": N_("Camera"),
    "camera_lead": N_("Allow the camera when the phone asks. Look into the camera for a few "
                      "seconds."),
    "camera_measuring": N_("Measuring the picture..."),
    "microphone_title": N_("Microphone"),
    "microphone_lead": N_("Allow the microphone when the phone asks, then say "
                          "\u201cこんにちは\u201d in a normal voice."),
    "microphone_measuring": N_("Listening..."),
    "level": N_("Input level"),
    "speaker_title": N_("Speaker"),
    "speaker_lead": N_("Turn the volume up and press the button: a tone plays for two seconds."),
    "play": N_("Play the tone"),
    "heard": N_("Did you hear it?"),
    "connection_title": N_("Connection"),
    "connection_lead": N_("The office's server measures the connection to it: round trip, "
                          "download and upload. About ten seconds."),
    "phase_latency": N_("Round trip"),
    "phase_download": N_("Download"),
    "phase_upload": N_("Upload"),
    "declarations_title": N_("Your declarations"),
    "declarations_lead": N_("Nobody can measure these, so you promise them (terms of use, "
                            "Articles 5 and 12). Tick each one that is true."),
    "pc_declarations_note": N_("The precheck app checks the security items on a computer "
                               "properly; here you can only declare them."),
    "finish": N_("See the result"),
    "result_title": N_("Result"),
    "blocking_title": N_("Fix these first"),
    "others_title": N_("Everything checked"),
    "to_booking": N_("Next: your booking details"),
    "to_office": N_("Next: choose a time"),
    "working": N_("Judging the results..."),
    "failed": N_("The check could not be finished: {reason}. Please try again."),
    "denied_title": N_("Allow the {device}"),
    "status_pass": N_("OK"),
    "status_warn": N_("Warning"),
    "status_fail": N_("Problem"),
    "status_error": N_("Could not tell"),
    "status_skip": N_("Not checked"),
    "allow_ios": browser_facts.ALLOW_IOS,
    "allow_android": browser_facts.ALLOW_ANDROID,
    "camera": browser_facts.CAMERA,
    "microphone": browser_facts.MICROPHONE,
}


@dataclass(frozen=True, slots=True)
class AttachedReport:
    """A passing browser report waiting for its booking form."""

    token: str
    document: dict[str, Any]


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def signer(seed: bytes) -> Identity:
    """The gateway's signing identity for browser reports (an Ed25519 key from a stored seed)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"browser-report\0" + seed)
                                               .digest())
    return Identity(key, hmac.new(seed, b"device-salt", hashlib.sha256).digest())


# -- the page -------------------------------------------------------------------------------------

@router.get("/static/check.js")
def script() -> FileResponse:
    return FileResponse(STATIC / "check.js", media_type="text/javascript",
                        headers={"Cache-Control": "public, max-age=300"})


@router.get("/static/check.css")
def stylesheet() -> FileResponse:
    return FileResponse(STATIC / "check.css", media_type="text/css",
                        headers={"Cache-Control": "public, max-age=300"})


@router.get("/check", response_class=HTMLResponse)
def page(request: Request, gw: GatewayDep, office: str = "", start: str = "") -> HTMLResponse:
    """The browser check (a chooser of offices when none is named)."""
    words = Words(language(request), TEXT)
    chosen = gw.offices.get(office)
    config = {
        "office": chosen.id if chosen else "",
        "start": start[:40],
        "lang": words.lang,
        "words": {key: words(key, n="{n}", total="{total}", reason="{reason}",
                             device="{device}") for key in TEXT},
        "limits": _limits(),
        "declarations": {kind: [_declaration(d, words) for d in declarations.for_device(kind)]
                         for kind in ("phone", "pc")},
        "wifi_declaration": declarations.NO_PUBLIC_WIFI.id,
        "download_url": "/download" if _has_route(request, "/download") else "",
    }
    response = render(request, "check.html", TEXT, office=chosen, start_at=_start(start),
                      offices=list(gw.offices.values()),
                      config=json.dumps(config, ensure_ascii=False).replace("</", "<\\/"))
    host = request.url.netloc
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        f"media-src 'self' blob: mediastream:; connect-src 'self' ws://{host} wss://{host}; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
    response.headers["Permissions-Policy"] = "camera=(self), microphone=(self)"
    response.headers["Accept-CH"] = ("Sec-CH-UA-Platform-Version, Sec-CH-UA-Full-Version-List, "
                                     "Sec-CH-UA-Model")
    if not request.cookies.get(DEVICE_COOKIE):
        response.set_cookie(DEVICE_COOKIE, secrets.token_urlsafe(24), max_age=365 * 86400,
                            httponly=True, samesite="strict",
                            secure=request.url.scheme == "https")
    return response


def _start(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.strip()[:40])
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=TOKYO)).astimezone(TOKYO)


def _has_route(request: Request, path: str) -> bool:
    return any(getattr(route, "path", None) == path for route in request.app.routes)


def _declaration(declaration: declarations.Declaration, words: Words) -> dict[str, str]:
    from precheck.i18n import Translator

    translate = Translator(words.lang)
    return {"id": declaration.id, "article": declaration.article,
            "title": translate.gettext(declaration.title),
            "statement": translate.gettext(declaration.statement)}


def _limits() -> dict[str, Any]:
    """The policy's thresholds the page needs to measure the way the app does."""
    from precheck import policy

    builtin = policy.builtin()
    return {"camera": dict(builtin.section("device.camera")),
            "microphone": dict(builtin.section("device.microphone"))}


# -- a check: start, finish -----------------------------------------------------------------------

def _json_error(status: int, code: str, words: Words, key: str, **args: object) -> JSONResponse:
    return JSONResponse({"error": code, "message": words(key, **args)}, status_code=status)


def _csrf_ok(request: Request) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE) or ""
    sent = request.headers.get("x-csrf-token") or ""
    return (bool(cookie) and same_origin(request)
            and hmac.compare_digest(cookie.encode(), sent.encode()))


#: What the verdict means here (the verdict's words are the app's: 予約できます / 予約できません).
VERDICT_DETAILS = {
    "pass": N_("Every required item passed. You can go on to book."),
    "fail": N_("Fix the items under “Fix these first”, then press “Check again”."),
}

ERRORS = {
    "csrf": N_("the page has expired; reload it"),
    "office": N_("choose an office first"),
    "busy": N_("too many checks from this connection; wait a minute"),
    "unknown": N_("this check has expired; start again"),
    "invalid": N_("the page sent figures the gateway cannot read"),
}


@router.post("/check/start")
def start(request: Request, gw: GatewayDep, at: NowDep,
          office: Annotated[str, Body(embed=True, max_length=40)] = "") -> Response:
    """A new check for ``office``: its challenge, and the token the page uses from now on."""
    words = Words(language(request), {**TEXT, **ERRORS})
    if not _csrf_ok(request):
        return _json_error(403, "csrf", words, "failed", reason=words("csrf"))
    try:
        chosen = gw.office(office)
    except NotFound:
        return _json_error(404, "not_found", words, "failed", reason=words("office"))
    token = secrets.token_urlsafe(32)
    with session(request) as db:
        try:
            gw.take_rate(db, "challenge", client_address(request),
                         gw.settings.challenge_limit, at)
            issued = gw.issue_challenge(db, chosen.id, at)
        except RateLimited as exc:
            response = _json_error(429, "rate_limited", words, "failed", reason=words("busy"))
            response.headers["Retry-After"] = str(exc.retry_after)
            return response
        except GatewayError:
            return _json_error(404, "not_found", words, "failed", reason=words("office"))
        db.add(BrowserCheck(token_hash=_hash(token), office_id=chosen.id, nonce=issued.nonce,
                            created_at=at, expires_at=issued.expires_at))
        db.commit()
    return JSONResponse({"token": token, "connection": f"/check/{token}/connection"},
                        headers={"Cache-Control": "no-store"})


@router.post("/check/{token}/finish")
def finish(request: Request, token: str, gw: GatewayDep, at: NowDep,
           body: Annotated[dict[str, Any], Body()]) -> Response:
    """Judge the page's figures and the gateway's own, sign and keep the report, say the result."""
    words = Words(language(request), {**TEXT, **ERRORS})
    if not _csrf_ok(request):
        return _json_error(403, "csrf", words, "failed", reason=words("csrf"))
    try:
        figures = browser_facts.Finished.model_validate(body)
    except ValidationError:
        return _json_error(422, "invalid_request", words, "failed", reason=words("invalid"))
    with session(request) as db:
        row = _row(db, token, at)
        if row is None:
            return _json_error(404, "not_found", words, "failed", reason=words("unknown"))
        device = browser_device.read_device(request.headers.get("user-agent", ""),
                                            figures.device.model_dump(),
                                            figures.device.touch_points)
        document = _report(gw, figures, row, device,
                           browser_id=request.cookies.get(DEVICE_COOKIE) or row.token_hash, at=at)
        row.report = document
        db.commit()
    response = JSONResponse(_view(document, words.lang, row.office_id),
                            headers={"Cache-Control": "no-store"})
    response.set_cookie(COOKIE, token, max_age=int(gw.settings.challenge_ttl.total_seconds()),
                        httponly=True, samesite="strict", secure=request.url.scheme == "https")
    return response


def _row(db: Session, token: str, at: datetime) -> BrowserCheck | None:
    return db.execute(select(BrowserCheck).where(
        BrowserCheck.token_hash == _hash(token[:200]), BrowserCheck.expires_at > at)
    ).scalar_one_or_none()


def _report(gw: Gateway, figures: browser_facts.Finished, row: BrowserCheck,
            device: browser_device.Device, *, browser_id: str, at: datetime) -> dict[str, Any]:
    from precheck import policy

    builtin = policy.builtin()
    identity = gw.browser_signer
    if identity is None:  # Gateway.open() sets it; a Gateway made by hand has none
        msg = "this gateway has no key for browser reports"
        raise PrecheckError(msg)
    found = browser_facts.outcomes(figures, row.figures, device, builtin)
    return browser_facts.build(found, device, policy=builtin, signer=identity,
                               salt=identity.salt,
                               browser_id=browser_id, created=at, challenge=row.nonce)


def _view(document: dict[str, Any], lang: str, office_id: str) -> dict[str, Any]:
    """What the page shows: the verdict words, what blocks first with its fix, then the rest."""
    from precheck.i18n import Translator
    from precheck.reports.render import check_views, verdict_view

    translate = Translator(lang)
    verdict = verdict_view(document, translate)
    views = check_views(document, lang, translate)
    entries = [{"id": v.id, "status": v.status, "status_label": v.status_label,
                "blocks": v.blocks, "title": v.title, "summary": v.summary, "fix": list(v.fix)}
               for v in views]
    detail = Words(lang, VERDICT_DETAILS)(verdict.name)
    return {"verdict": verdict.name, "word": verdict.word, "detail": detail,
            "entries": entries, "office": office_id}


# -- the booking form's side ----------------------------------------------------------------------

def attached_report(request: Request, db: Session, office_id: str, at: datetime
                    ) -> AttachedReport | None:
    """The passing browser report this browser made for ``office_id`` while its challenge
    lasts (the gate judges it again when it books)."""
    token = request.cookies.get(COOKIE) or ""
    if not token:
        return None
    row = _row(db, token, at)
    if row is None or row.report is None or row.office_id != office_id:
        return None
    report = dict(row.report)
    if report.get("verdict") != "pass":
        return None
    return AttachedReport(token, report)


def check_url(office: OfficeProfile, start: datetime | None, lang: str) -> str:
    """The link to the browser check from the booking and office pages."""
    query = f"office={office.id}&lang={lang}"
    if start is not None:
        query += "&start=" + start.astimezone(TOKYO).strftime("%Y-%m-%dT%H:%M")
    return f"/check?{query}"

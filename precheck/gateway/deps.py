"""FastAPI dependencies every router of the gateway shares (api, pages, staff).

``create_app`` keeps one :class:`AppState` in ``app.state.gateway_state``; a route asks for what
it needs through the ``Annotated`` aliases::

    @router.post("/bookings")
    def book(gw: GatewayDep, session: SessionDep, now: NowDep, client: ClientDep) -> ...

The staff console's routes ask for the logged-in member instead of checking the session
themselves: ``member: StaffDep`` on a page, ``member: CsrfDep`` on a form (the member, once the
form's CSRF token is checked). Without a live session they raise :class:`LoginNeeded`, with a bad
token :class:`CsrfRefused`; the app answers those with the login page and a 403 page
(``web.login_needed`` / ``web.csrf_refused``), so no handler repeats that prelude.

Tests change the clock by passing ``clock=`` to ``create_app`` (never by patching).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Form, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from precheck.gateway import auth
from precheck.gateway.service import Gateway
from precheck.gateway.settings import GatewaySettings

STATE = "gateway_state"
#: The form field every form's CSRF token travels in (job seekers' and staff's alike).
CSRF_FIELD = "csrf_token"
#: The staff session's cookie (its SHA-256 is what ``staff_sessions`` stores).
SESSION_COOKIE = "precheck_staff"


@dataclass(frozen=True, slots=True)
class AppState:
    """What one gateway process holds: settings, the database, the service and its clock."""

    settings: GatewaySettings
    engine: Engine
    sessions: sessionmaker[Session]
    gateway: Gateway
    clock: Callable[[], datetime]


def app_state(request: Request) -> AppState:
    state: AppState = getattr(request.app.state, STATE)
    return state


def get_gateway(request: Request) -> Gateway:
    return app_state(request).gateway


def get_settings(request: Request) -> GatewaySettings:
    return app_state(request).settings


def get_session(request: Request) -> Iterator[Session]:
    """A session per request, closed afterwards (each service call commits its own work)."""
    with app_state(request).sessions() as session:
        yield session


def get_now(request: Request) -> datetime:
    """The time of this request (aware UTC), from the app's clock."""
    return app_state(request).clock()


def client_address(request: Request) -> str | None:
    """The client's address (uvicorn resolves X-Forwarded-For from trusted proxies only).

    Used for rate limits and, as a keyed hash, the access history; never logged.
    """
    return request.client.host if request.client else None


GatewayDep = Annotated[Gateway, Depends(get_gateway)]
SettingsDep = Annotated[GatewaySettings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
NowDep = Annotated[datetime, Depends(get_now)]
ClientDep = Annotated[str | None, Depends(client_address)]


# -- the staff console's login and CSRF -----------------------------------------------------------

@dataclass(frozen=True, slots=True)
class StaffMember:
    """The staff member logged in for this request, with the CSRF token their forms carry."""

    id: int
    username: str
    csrf: str


class LoginNeeded(Exception):
    """No live staff session: the app answers with a redirect to the login page."""


class CsrfRefused(Exception):
    """A staff form's token is missing, wrong or from another site: 403, nothing changed."""

    def __init__(self, member: StaffMember) -> None:
        super().__init__("the form's CSRF token was refused")
        self.member = member


def current_staff(request: Request, at: NowDep) -> StaffMember:
    """The logged-in staff member of this request; LoginNeeded when there is none."""
    token = request.cookies.get(SESSION_COOKIE) or ""
    if not 20 <= len(token) <= 100:
        raise LoginNeeded
    with app_state(request).sessions() as db:
        account = auth.session_staff(db, token, at)
    if account is None:
        raise LoginNeeded
    return StaffMember(account.id, account.username, staff_csrf_token(token))


StaffDep = Annotated[StaffMember, Depends(current_staff)]


def checked_form(request: Request, member: StaffDep,
                 csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "") -> StaffMember:
    """The logged-in member, once their form's CSRF token holds; CsrfRefused when it does not."""
    if not staff_csrf_ok(request, request.cookies.get(SESSION_COOKIE, ""), csrf_token):
        raise CsrfRefused(member)
    return member


CsrfDep = Annotated[StaffMember, Depends(checked_form)]


def same_origin(request: Request) -> bool:
    """False when the browser says the POST comes from another site (Origin or Referer)."""
    for header in ("origin", "referer"):
        value = request.headers.get(header)
        if value and value != "null":
            sent = urlsplit(value)
            return (sent.scheme, sent.netloc) == (request.url.scheme, request.url.netloc)
    return True  # no header: an old browser or a privacy setting; the token still decides


def staff_csrf_token(session_token: str) -> str:
    """The CSRF token of a staff session (a cross-site page cannot read the session cookie)."""
    return hashlib.sha256(b"precheck-staff-csrf\0" + session_token.encode()).hexdigest()


def staff_csrf_ok(request: Request, session_token: str, sent: str) -> bool:
    return same_origin(request) and hmac.compare_digest(
        staff_csrf_token(session_token).encode(), sent.encode())

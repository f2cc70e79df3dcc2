"""The staff console's login and logout.

A login checks the argon2 password (:mod:`precheck.gateway.auth`) and starts a session: 256
random bits in an HttpOnly, SameSite=Strict cookie, stored only as its SHA-256, ending after
``staff_session_ttl`` or at logout. Attempts are rate limited per client address, and a wrong
password costs as much time whether or not the user exists.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from precheck.gateway import auth
from precheck.gateway.deps import (
    CSRF_FIELD,
    SESSION_COOKIE,
    CsrfDep,
    GatewayDep,
    NowDep,
    client_address,
)
from precheck.gateway.service import RateLimited
from precheck.gateway.settings import RateLimit
from precheck.gateway.staff import TEXT, _words
from precheck.gateway.web import csrf_failed, jobseeker_csrf_ok, language, render, session, to_login

log = logging.getLogger(__name__)

router = APIRouter(prefix="/staff", include_in_schema=False)

#: Login attempts per client address: slows down password guessing, across every process.
LOGIN_LIMIT = RateLimit(10, timedelta(minutes=5))


def _shown(text: str) -> str:
    """A typed value shown back in a form, without control characters."""
    return "".join(c for c in text if c.isprintable())[:64]


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> HTMLResponse:
    """The login form."""
    return render(request, "staff_login.html", TEXT, problem="", username="")


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, *, gw: GatewayDep, at: NowDep,
          username: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "",
          csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "") -> Response:
    """Check the password; on success start a session and go to the day view."""
    if not jobseeker_csrf_ok(request, csrf_token):
        return csrf_failed(request)
    words = _words(request)
    with session(request) as db:
        try:
            gw.take_rate(db, "login", client_address(request), LOGIN_LIMIT, at)
        except RateLimited as exc:
            refused = render(request, "staff_login.html", TEXT, status_code=429,
                             switch_to="/staff/login",
                             problem=words("too_many", seconds=exc.retry_after),
                             username=username)
            refused.headers["Retry-After"] = str(exc.retry_after)
            return refused
        try:
            account = auth.authenticate(db, username.strip(), password, at)
        except auth.AccountLocked:
            log.warning("staff login refused: the account is locked")
            gw.record_access(db, "staff_login", "locked", at, client=client_address(request))
            return render(request, "staff_login.html", TEXT, status_code=423,
                          switch_to="/staff/login", problem=words("locked"),
                          username=_shown(username))
        if account is None:
            log.info("staff login refused")
            gw.record_access(db, "staff_login", "refused", at, client=client_address(request))
            return render(request, "staff_login.html", TEXT, status_code=401,
                          switch_to="/staff/login",
                          problem=words("login_failed"), username=_shown(username))
        gw.record_access(db, "staff_login", "ok", at, client=client_address(request))
        token = auth.start_session(db, account, at, gw.settings.staff_session_ttl)
    log.info("staff %s logged in", account.id)
    response = RedirectResponse(f"/staff?lang={language(request)}", status_code=303)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/staff",
                        max_age=int(gw.settings.staff_session_ttl.total_seconds()))
    return response


@router.post("/logout")
def logout(request: Request, *, at: NowDep, _member: CsrfDep) -> Response:
    """End the session."""
    with session(request) as db:
        auth.end_session(db, request.cookies.get(SESSION_COOKIE), at)
    response = to_login(request)
    response.delete_cookie(SESSION_COOKIE, path="/staff")
    return response

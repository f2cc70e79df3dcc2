"""The gateway's web application: ``create_app(settings)`` wires every part together.

Creating the app opens the database, applies migrations (safe with several processes starting
at once, db.migrate) and opens the service; the lifespan then starts this process's workers:
the outbox sender (mail_sender.run_sender), the sweeper (lapsed holds, no-shows, old rows) and the
network test's UDP echo. Every process is stateless apart from the database, so several of them
run behind a load balancer (docs/gateway.md).

Routers: the JSON API (api.py), the job seeker's pages (pages.py, pages_booking.py,
pages_links.py, reschedule.py), the staff console (staff.py, staff_login.py, staff_files.py,
console.py) and the speed-test endpoints (measure.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import UTC, datetime

from fastapi import FastAPI, Request
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError, DBAPIError, ProgrammingError
from starlette.exceptions import HTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import precheck
from precheck.gateway import (
    api,
    browser_check,
    browser_measure,
    console,
    downloads,
    mail_sender,
    measure,
    ops,
    pages,
    pages_booking,
    pages_links,
    reschedule,
    staff,
    staff_files,
    staff_login,
    web,
)
from precheck.gateway.db import make_engine, migrate, session_factory
from precheck.gateway.deps import STATE, AppState, CsrfRefused, LoginNeeded
from precheck.gateway.evidence import DatabaseObservations
from precheck.gateway.offices import OfficeProfile
from precheck.gateway.service import Gateway
from precheck.gateway.settings import GatewaySettings

log = logging.getLogger(__name__)

#: Headers on every answer: no referrer (link tokens are in page addresses), no sniffing,
#: no framing.
SECURITY_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


def create_app(settings: GatewaySettings, *, clock: Callable[[], datetime] | None = None,
               offices: Mapping[str, OfficeProfile] | None = None) -> FastAPI:
    """The gateway for ``settings``; ``clock`` (aware datetimes) is for tests."""
    engine = make_engine(settings.database_url)
    migrate(engine)
    gateway = Gateway.open(settings, engine, offices)
    state = AppState(settings, engine, session_factory(engine), gateway,
                     clock or (lambda: datetime.now(UTC)))

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with _workers(app, state):
            yield
        engine.dispose()

    app = FastAPI(title="precheck booking gateway", version=precheck.__version__,
                  description=api.__doc__, lifespan=lifespan, docs_url=None, redoc_url=None)
    setattr(app.state, STATE, state)
    # The pages' own dependencies (web.py) read these two directly.
    app.state.gateway = gateway
    app.state.sessions = state.sessions
    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(pages_booking.router)
    app.include_router(pages_links.router)
    app.include_router(staff.router)
    app.include_router(staff_files.router)
    app.include_router(staff_login.router)
    app.include_router(console.router)
    app.include_router(reschedule.router)
    app.include_router(ops.router)
    app.include_router(measure.router)
    app.include_router(browser_check.router)
    app.include_router(browser_measure.router)
    app.include_router(downloads.router)
    setattr(app.state, measure.STORE_STATE,
            DatabaseObservations(state.sessions, gateway.keyed, state.clock))
    app.router.redirect_slashes = False  # its redirects are built from the Host header
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(LoginNeeded, web.login_needed)
    app.add_exception_handler(CsrfRefused, web.csrf_refused)
    app.add_middleware(_Guard, max_body=settings.max_body_bytes)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(settings.allowed_hosts))
    return app


def create_app_from_env() -> FastAPI:
    """The app for uvicorn's worker processes: settings from ``PRECHECK_GATEWAY_*``."""
    from precheck.gateway.settings import from_env

    return create_app(from_env())


async def _validation_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, RequestValidationError) and api.is_api(request):
        return api.validation_response(exc)
    return await request_validation_exception_handler(request, exc)  # type: ignore[arg-type]


async def _http_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, HTTPException) and api.is_api(request):
        response = api.http_error_response(exc.status_code)
        if exc.headers:
            response.headers.update(exc.headers)
        return response
    return await http_exception_handler(request, exc)  # type: ignore[arg-type]


async def _database_error(request: Request, exc: Exception) -> Response:
    """A database error no operation handled, in the error shape, never a 500.

    A value the database cannot store (PostgreSQL's DataError: a NUL character, a number out
    of range) is the request's fault: 422. Anything else (unreachable, a database without the
    gateway's tables, a lost connection) is 503: the operation's transaction was not committed
    (a failure while committing is service.CommitUncertain, answered by the operation).
    """
    from precheck.gateway.gate import render
    from precheck.result import N_
    from precheck.result import Message as Text

    cause = type(getattr(exc, "orig", exc)).__name__
    if isinstance(exc, DataError):
        log.info("request refused by the database: %s", cause)
        message = Text.of(N_("The request holds a value that cannot be stored (for example a "
                             "control character). Please correct it and try again."))
        code, status, headers = "invalid_request", 422, None
    else:
        if isinstance(exc, ProgrammingError):
            log.error("database error %s: is this the gateway's database, migrated? "
                      "(precheck gateway migrate)", cause)
        else:
            log.error("database unavailable: %s", cause)
        message = Text.of(N_("The booking service is not available at the moment. Nothing "
                             "was booked or changed. Please try again in a few minutes."))
        code, status, headers = "unavailable", 503, {"Retry-After": "60"}
    texts = {lang: render(message, lang) for lang in ("ja", "en")}
    if api.is_api(request) or request.url.path.startswith(measure.MINI_BASE):
        return JSONResponse({"error": code, "message": texts, "reasons": []},
                            status_code=status, headers=headers)
    return Response(f"{texts['ja']}\n{texts['en']}\n", status_code=status,
                    media_type="text/plain; charset=utf-8", headers=headers)


@contextlib.asynccontextmanager
async def _workers(app: FastAPI, state: AppState) -> AsyncIterator[None]:
    settings = state.settings
    stop = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []
    if settings.workers:
        tasks.append(asyncio.create_task(
            mail_sender.run_sender(state.sessions, settings, stop, state.clock)))
        tasks.append(asyncio.create_task(_sweeper(state, stop)))
    echo = None
    if settings.udp_echo:
        from precheck.gateway.udp_echo import start_udp_echo

        port = settings.udp_echo_port or settings.port
        try:
            # Several gateway processes on one host (--workers N) share the port.
            echo = start_udp_echo(settings.host, port, reuse_port=True)
        except OSError as exc:  # e.g. a program other than the gateway has it
            log.warning("UDP echo not started on %s:%s: %s", settings.host, port, exc.strerror)
        setattr(app.state, measure.UDP_ECHO_STATE, echo)
    try:
        yield
    finally:
        stop.set()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if echo is not None:
            echo.close()


def sweep_once(state: AppState) -> None:
    """One round of the sweeper (also ``precheck gateway sweep``): tidy up, then queue the
    reminders that are due."""
    from precheck.gateway import reminders

    with state.sessions() as session:
        now = state.clock()
        state.gateway.sweep(session, now)
        reminders.send_reminders(state.gateway, session, now)


async def _sweeper(state: AppState, stop: asyncio.Event) -> None:
    interval = state.settings.sweep_interval.total_seconds()
    while not stop.is_set():
        try:
            await asyncio.to_thread(sweep_once, state)
        except Exception as exc:  # noqa: BLE001 - the sweeper must outlive a bad round
            log.error("sweeper: %s (will try again)", type(exc).__name__)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)


class _Guard:
    """Security headers on every answer; request bodies over ``max_body`` refused (413),
    except the speed test's uploads (measure.py limits those itself)."""

    def __init__(self, app: ASGIApp, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limited = not str(scope.get("path", "")).startswith(measure.MINI_BASE + "/")
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if limited and length is not None and (not length.isdigit()
                                               or int(length) > self.max_body):
            await _too_large(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if limited and message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise _BodyTooLarge()
            return message

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()
                         if k.lower().encode() not in names]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        try:
            await self.app(scope, counted, with_headers)
        except _BodyTooLarge:
            await _too_large(scope, receive, send)


class _BodyTooLarge(HTTPException):
    """Raised from ``receive``: FastAPI passes HTTP exceptions from body parsing through."""

    def __init__(self) -> None:
        super().__init__(413, "The request is too large.")


async def _too_large(scope: Scope, receive: Receive, send: Send) -> None:
    from precheck.gateway.gate import render
    from precheck.result import N_
    from precheck.result import Message as Text

    message = Text.of(N_("The request is too large."))
    response = JSONResponse({"error": "too_large",
                             "message": {lang: render(message, lang) for lang in ("ja", "en")},
                             "reasons": []}, status_code=413)
    await response(scope, receive, send)

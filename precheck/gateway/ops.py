"""What an operator's tools ask the gateway: is the process alive, can it serve, what has it done.

- ``GET /healthz``: 200 while the process answers at all (it touches nothing else): for a
  service manager or a load balancer's liveness check.
- ``GET /readyz``: 200 only when the database answers, its schema is at this version's newest
  migration, and the mail sender is not stuck (no unsent mail due for longer than
  ``MAIL_STUCK_AFTER``); otherwise 503, naming what is wrong. For the load balancer's
  readiness check: a process that cannot book is taken out of rotation.
- ``GET /metrics``: Prometheus metrics (metrics.py). They hold counts only, nothing personal;
  still, let only the monitoring system reach it (docs/gateway.md, the reverse proxy).

None of them writes to the database or the log.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from precheck.gateway import metrics
from precheck.gateway.deps import app_state

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from precheck.gateway.settings import GatewaySettings

router = APIRouter(include_in_schema=False)

_NO_STORE = {"Cache-Control": "no-store"}


@router.get("/healthz")
def healthz() -> JSONResponse:
    """The process is alive."""
    return JSONResponse({"status": "alive"}, headers=_NO_STORE)


@functools.cache
def head_revision() -> str | None:
    """The newest migration this version of the gateway knows (read once per process)."""
    from precheck.gateway import db

    return db.head_revision()


def readiness(engine: Engine, settings: GatewaySettings, now: datetime
              ) -> tuple[bool, dict[str, Any]]:
    """Whether the process can serve, and what each check found."""
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    from precheck.gateway.db import current_revision, session_factory

    checks: dict[str, Any] = {}
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except SQLAlchemyError as exc:
        checks["database"] = f"unreachable ({type(getattr(exc, 'orig', exc)).__name__})"
        return False, checks
    try:
        revision = current_revision(engine)
    except SQLAlchemyError:
        revision = None
    head = head_revision()
    checks["migrations"] = "ok" if revision == head else f"at {revision}, expected {head}"
    try:
        waiting, oldest, failed = metrics.outbox_state(session_factory(engine), now)
    except SQLAlchemyError as exc:
        checks["mail"] = f"unreadable ({type(getattr(exc, 'orig', exc)).__name__})"
        return False, checks
    stuck = waiting > 0 and oldest > settings.mail_stuck_after.total_seconds()
    checks["mail"] = (f"stuck: {waiting} waiting, the oldest for {int(oldest)} s" if stuck
                      else "ok")
    checks["mail_waiting"] = waiting
    checks["mail_failed"] = failed
    ready = checks["migrations"] == "ok" and not stuck
    return ready, checks


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    """The process can serve: database, schema, mail sender."""
    state = app_state(request)
    ready, checks = readiness(state.engine, state.settings, state.clock())
    return JSONResponse({"status": "ready" if ready else "not ready", "checks": checks},
                        status_code=200 if ready else 503, headers=_NO_STORE)


@router.get("/metrics")
def metrics_page(request: Request) -> Response:
    """Prometheus's scrape."""
    state = app_state(request)
    body, content_type = metrics.exposition(state.sessions, state.clock)
    return Response(body, media_type=content_type, headers=_NO_STORE)

"""FastAPI dependencies every router of the gateway shares (api, pages, staff).

``create_app`` keeps one :class:`AppState` in ``app.state.gateway_state``; a route asks for what
it needs through the ``Annotated`` aliases::

    @router.post("/bookings")
    def book(gw: GatewayDep, session: SessionDep, now: NowDep, client: ClientDep) -> ...

Tests change the clock by passing ``clock=`` to ``create_app`` (never by patching).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from precheck.gateway.service import Gateway
from precheck.gateway.settings import GatewaySettings

STATE = "gateway_state"


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

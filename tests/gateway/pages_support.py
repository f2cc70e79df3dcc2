"""What the page tests share: a gateway on a real SQLite file, a settable clock, signed reports.

Reports come from conftest.make_report: signed for real, judged by the real gate, with INVENTED
outcomes (a booking test must not depend on this machine's own posture).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from precheck.gateway.db import session_factory
from precheck.gateway.deps import STATE
from precheck.gateway.models import OutboxMail
from precheck.gateway.offices import TOKYO
from precheck.gateway.service import Gateway
from precheck.gateway.settings import GatewaySettings, RateLimit
from tests.gateway.conftest import relaxed_offices_path

#: A weekday well inside the holiday library's years: Monday 2026-06-01, 09:00 in Tokyo.
MONDAY_MORNING = datetime(2026, 6, 1, 9, 0, tzinfo=TOKYO)


@dataclass
class Clock:
    """The time every handler sees (create_app's ``clock``); tests move it."""

    moment: datetime = MONDAY_MORNING

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


@dataclass
class Site:
    """A running gateway application for page tests, with its database and clock."""

    app: FastAPI
    client: TestClient
    clock: Clock
    engine: Engine
    gateway: Gateway
    mails: list[OutboxMail] = field(default_factory=list)

    def outbox(self) -> list[OutboxMail]:
        """Every mail written so far, oldest first."""
        with session_factory(self.engine)() as db:
            return list(db.execute(select(OutboxMail).order_by(OutboxMail.id)).scalars())

    def link(self, kind: str) -> str:
        """The path of the newest mailed link of ``kind`` ("confirm", "manage" or "cancel"), as
        the mail is sent (the outbox keeps the token sealed). The cancel page is the manage
        link's own token under /bookings/cancel/ (the manage page links there)."""
        return mailed_link(self.engine, self.app, kind)


def mailed_link(engine: Engine, app: FastAPI, kind: str) -> str:
    """The newest link of ``kind`` in the outbox's mails, rendered as the sender renders them."""
    from precheck.gateway import mail_sender

    wanted = "manage" if kind == "cancel" else kind
    settings = getattr(app.state, STATE).settings
    with session_factory(engine)() as db:
        rows = list(db.execute(select(OutboxMail).order_by(OutboxMail.id.desc())).scalars())
        for row in rows:
            if row.sealed_token is None:
                continue
            body = mail_sender.as_sent(db, row, settings, row.created_at).get_body(("plain",))
            text = body.get_content() if body is not None else ""
            found = re.search(rf"https?://[^/\s]+/bookings/{wanted}/([A-Za-z0-9_-]+)", text)
            if found:
                return f"/bookings/{kind}/{found[1]}"
    msg = f"no {kind} link in the outbox"
    raise AssertionError(msg)


def settings_for(database: Path, **changes: Any) -> GatewaySettings:
    """Settings of a test gateway: its own SQLite file, no workers, generous rate limits."""
    return GatewaySettings(
        database_url=f"sqlite:///{database}", workers=False,
        challenge_limit=RateLimit(1000, timedelta(minutes=1)),
        booking_limit=RateLimit(1000, timedelta(minutes=1)),
        public_url="http://testserver", udp_echo=False, observed_checks=(),
        offices_path=relaxed_offices_path()).replace(**changes)


def build_site(tmp_path: Path, **changes: Any) -> Iterator[Site]:
    """The whole gateway application (create_app) on a fresh database, with a test clock."""
    from precheck.gateway.app import create_app

    settings = settings_for(tmp_path / "gateway.sqlite3", **changes)
    clock = Clock()
    app = create_app(settings, clock=clock)
    state = getattr(app.state, STATE)
    with TestClient(app, base_url="http://testserver") as client:
        yield Site(app, client, clock, state.engine, state.gateway)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    yield from build_site(tmp_path)


def csrf_of(html: str) -> str:
    """The CSRF token a page's form carries."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no form with a CSRF token"
    return found[1]


def nonce_of(html: str) -> str:
    found = re.search(r'<code class="nonce" id="nonce">([^<]+)</code>', html)
    assert found, "the page shows no challenge code"
    return found[1]


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)

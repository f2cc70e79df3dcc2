"""Shared fixtures of the gateway's tests: real SQLite and PostgreSQL, signed reports, a clock.

**Databases.** ``engine`` runs a test once on a SQLite file and once on PostgreSQL
(``postgresql+psycopg://postgres@127.0.0.1:5432/test``, or ``PRECHECK_TEST_POSTGRES_URL``). Each
PostgreSQL test gets a schema of its own (``search_path`` in the URL), migrated like a real
gateway and dropped afterwards, so runs never see each other's rows. When PostgreSQL cannot be
reached the PostgreSQL half is skipped, except under ``CI=true``, where that fails.

**Reports.** ``make_report`` signs reports with the project's own code (reports.build,
reports.signing) and a test identity. The outcomes are INVENTED: every check of the built-in
catalog with the status asked for (pass by default), so a test decides exactly which rule a
report breaks; the live machine's outcomes would make the tests depend on this computer.
"""

from __future__ import annotations

import functools
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from precheck import plugins
from precheck import policy as policies
from precheck.gateway.offices import TOKYO, OfficeProfile, load_offices
from precheck.gateway.settings import GatewaySettings, RateLimit
from precheck.probes import OsInfo
from precheck.reports.build import build_report
from precheck.reports.signing import Identity, device_id, sign
from precheck.result import Message, Result, Status
from precheck.runner import CheckMeta, Outcome
from precheck.system import Platform

POSTGRES_URL = os.environ.get("PRECHECK_TEST_POSTGRES_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/test")
#: INVENTED: the platform of the test reports.
TEST_OS = OsInfo(Platform.LINUX, "debian", "Debian GNU/Linux", "12", None, None, "x86_64")
#: A Monday 09:00 in Tokyo, a week before the sessions most tests book (every office is open
#: on the days after it, none is in a holiday week).
MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=TOKYO)


def postgres_available(url: str = POSTGRES_URL) -> bool:
    """True when the PostgreSQL of the tests answers."""
    from precheck.gateway.db import answers

    return answers(url)


def require_postgres() -> None:
    """Skip (or, under CI=true, fail) a test that needs PostgreSQL when it is not reachable."""
    if postgres_available():
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_URL}; CI must provide it")
    pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_URL}")


class PostgresSchema:
    """A schema of its own in the test database, with a URL whose search_path points to it."""

    def __init__(self) -> None:
        self.name = "gw_test_" + secrets.token_hex(6)
        separator = "&" if "?" in POSTGRES_URL else "?"
        self.url = f"{POSTGRES_URL}{separator}options={quote(f'-csearch_path={self.name}')}"

    def create(self) -> None:
        self._run(f'CREATE SCHEMA "{self.name}"')

    def drop(self) -> None:
        self._run(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE')

    @staticmethod
    def _run(statement: str) -> None:
        from sqlalchemy import create_engine, text

        engine = create_engine(POSTGRES_URL)
        try:
            with engine.begin() as connection:
                connection.execute(text(statement))
        finally:
            engine.dispose()


def fresh_postgres() -> Iterator[str]:
    """The URL of a fresh, empty PostgreSQL schema, dropped when the generator closes."""
    require_postgres()
    schema = PostgresSchema()
    schema.create()
    try:
        yield schema.url
    finally:
        schema.drop()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """The URL of a fresh, empty PostgreSQL schema (dropped after the test)."""
    yield from fresh_postgres()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'gateway.sqlite3'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated-to-nothing database of each kind: the test runs once per kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'gateway.sqlite3'}"
        return
    yield from fresh_postgres()


@pytest.fixture
def engine(database_url: str) -> Iterator[Any]:
    """A migrated engine on each kind of database."""
    from precheck.gateway.db import make_engine, migrate

    engine = make_engine(database_url)
    migrate(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@functools.cache
def relaxed_offices_path() -> Path:
    """The shipped office profiles with the limits per person and per address raised, for
    the tests of every other rule (one test identity books many slots there); the tests of
    the limits use the shipped profiles (``offices_path=None``)."""
    from precheck.offices import DEFAULT_PATH

    text = DEFAULT_PATH.read_text("utf-8")
    for key in ("live_bookings_per_jobseeker_number", "live_bookings_per_email",
                "live_bookings_per_device", "bookings_per_address_per_day"):
        text, count = re.subn(rf"^{key} = \d+$", f"{key} = 100000", text, flags=re.MULTILINE)
        assert count == 1, key
    path = Path(tempfile.mkdtemp(prefix="precheck-offices-")) / "offices.toml"
    path.write_text(text, "utf-8")
    return path


@pytest.fixture
def offices() -> dict[str, OfficeProfile]:
    """The office profiles shipped with precheck, limits per person raised (see above)."""
    return load_offices(relaxed_offices_path())


#: The host names tests reach the app by (TestClient's, the settings', uvicorn's).
TEST_HOSTS = ("testserver", "gateway.test", "127.0.0.1", "localhost")


def gateway_settings(database_url: str, **changes: Any) -> GatewaySettings:
    """Settings for tests: generous rate limits and limits per person, and no comparison with
    the gateway's own measurements (the test reports carry none); the tests of those rules
    set their own."""
    base = GatewaySettings(database_url=database_url, public_url="https://gateway.test",
                           challenge_limit=RateLimit(1000, timedelta(minutes=1)),
                           booking_limit=RateLimit(1000, timedelta(minutes=1)),
                           workers=False, observed_checks=(), trusted_hosts=TEST_HOSTS,
                           offices_path=relaxed_offices_path())
    return base.replace(**changes)


@pytest.fixture
def settings(database_url: str) -> GatewaySettings:
    return gateway_settings(database_url)


@pytest.fixture
def gateway(settings: GatewaySettings, engine: Any, offices: dict[str, OfficeProfile]) -> Any:
    from precheck.gateway.service import Gateway

    return Gateway.open(settings, engine, offices)


@pytest.fixture
def session(engine: Any) -> Iterator[Any]:
    from precheck.gateway.db import session_factory

    with session_factory(engine)() as session:
        yield session


@pytest.fixture
def identity() -> Identity:
    """A signing identity in memory (never the developer's own key)."""
    return memory_identity()


def memory_identity() -> Identity:
    return Identity(Ed25519PrivateKey.generate(), secrets.token_bytes(32))


def catalog_metas() -> list[CheckMeta]:
    """The built-in checks' metadata, as a real run would report them."""
    return [CheckMeta.of(check) for check in plugins.load().checks]


def make_report(identity: Identity, challenge: str | None, *,
                created: datetime = MONDAY,
                statuses: Mapping[str, Status] | None = None,
                leave_out: tuple[str, ...] = (),
                source_kind: str = "live",
                policy: policies.Policy | None = None,
                evidence: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """A signed report: every built-in check passes unless ``statuses`` says otherwise;
    ``evidence`` gives checks their evidence (by check id)."""
    chosen = dict(statuses or {})
    found = dict(evidence or {})
    outcomes = []
    for meta in catalog_metas():
        if meta.id in leave_out:
            continue
        status = chosen.get(meta.id, Status.PASS)
        summary = Message.of("Test outcome: {status}", status=str(status))
        fix = (Message.of("Test fix for {check}", check=meta.id),) if status.blocks else ()
        outcomes.append(Outcome(meta, Result(meta.id, status, summary,
                                             evidence=dict(found.get(meta.id, {})), fix=fix,
                                             duration_s=0.01)))
    document = build_report(
        outcomes, policy=policy or policies.builtin(), os_info=TEST_OS,
        device_id=device_id(identity, "test-machine-id"), created=created,
        source_kind=source_kind,
        bundle_digest="sha256:" + "0" * 64 if source_kind == "bundle" else None,
        challenge=challenge)
    return sign(document, identity)


@pytest.fixture
def report_factory(identity: Identity) -> Callable[..., dict[str, Any]]:
    """``report_factory(nonce, **options)``: a signed report (see make_report)."""

    def make(challenge: str | None, **options: Any) -> dict[str, Any]:
        return make_report(identity, challenge, **options)

    return make


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


#: A job seeker's form, valid for every shipped office (INVENTED person).
FORM = {"name": "山田 太郎", "email": "taro@example.jp", "phone": "090-1234-5678",
        "jobseeker_number": "46010-123456"}


@pytest.fixture
def book(gateway: Any, session: Any, report_factory: Callable[..., dict[str, Any]]
         ) -> Callable[..., Any]:
    """``book(office_id, start, now, **form)``: a booking made the way a job seeker makes one
    (a challenge, a report carrying it, the form); returns service.BookingCreated."""
    from precheck.gateway.service import BookingForm

    def make(office_id: str, start: datetime, now: datetime, **fields: str) -> Any:
        issued = gateway.issue_challenge(session, office_id, now)
        report = report_factory(issued.nonce, created=now)
        form = BookingForm(start=start, **{**FORM, **fields})
        return gateway.create_booking(session, office_id, form, report, now)

    return make


CONSOLE_SCRIPT = Path(sys.executable).parent / "precheck"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class GatewayProcess:
    """``precheck gateway serve`` as a real process (uvicorn), on its own port.

    The environment carries the settings (``PRECHECK_GATEWAY_*``); its log goes to a file that
    a failing test prints.
    """

    def __init__(self, database_url: str, home: Path, **settings: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = home / f"gateway-{self.port}.log"
        self.environ = {**os.environ, "PRECHECK_HOME": str(home),
                        "PRECHECK_GATEWAY_UDP_ECHO": "false",
                        "PRECHECK_GATEWAY_OBSERVED_CHECKS": "none",
                        "PRECHECK_GATEWAY_OFFICES_PATH": str(relaxed_offices_path()),
                        **{f"PRECHECK_GATEWAY_{k.upper()}": v for k, v in settings.items()}}
        self.argv = [str(CONSOLE_SCRIPT), "gateway", "serve", "--host", "127.0.0.1",
                     "--port", str(self.port)]
        if database_url:
            self.argv += ["--database-url", database_url]
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> GatewayProcess:
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(self.argv, env=self.environ, stdout=log,
                                            stderr=subprocess.STDOUT)
        return self

    def wait_ready(self, timeout: float = 60.0) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                msg = f"the gateway exited ({self.process.returncode}):\n{self.output()}"
                raise AssertionError(msg)
            try:
                if httpx.get(self.url + "/api/v1/policy", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        msg = f"the gateway did not answer within {timeout} s:\n{self.output()}"
        raise AssertionError(msg)

    def output(self) -> str:
        return self.log.read_text("utf-8", errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)  # uvicorn shuts down cleanly on SIGINT
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

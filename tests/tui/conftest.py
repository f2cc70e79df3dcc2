"""What the app's tests share: replayed checkups, a clock the test moves, a check that waits,
and the real booking gateway served on this machine.

Nothing here touches a live device: checks replay diagnostic bundles from tests/fixtures/bundles
(each bundle's SOURCES file says what in it is real and what is invented), and the running times
come from a clock the test sets, so the screens are the same on every run.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest

from precheck import bundle as bundles
from precheck import plugins
from precheck import policy as policies
from precheck.api import Check, Context, Platform, Result
from precheck.bundle import Bundle
from precheck.plugins import Catalog
from precheck.result import N_
from precheck.tui.app import PrecheckApp
from precheck.tui.checkup import Checkup
from tests.tui.booking_app import CHECK

BUNDLES = Path(__file__).resolve().parent.parent / "fixtures" / "bundles"
#: The Windows 11 (Japanese) bundles: one machine's answers for every check they cover. The
#: device bundle's camera is denied (a failing required check); the others come from the posture
#: tests' sources (see the SOURCES files next to them).
WINDOWS = ("devices-windows11-camera-denied", "firewall-windows11-ja", "antivirus-windows11-ja",
           "os-support-windows11-23h2", "threats-windows-resolved")
#: A Linux machine whose devices all work.
LINUX_FINE = ("devices-linux-all-fine",)


def merged(names: tuple[str, ...]) -> Bundle:
    """One bundle holding the answers of several bundles of the same platform (first wins)."""
    read = [bundles.read(BUNDLES / name) for name in names]
    platforms = {b.platform for b in read}
    assert len(platforms) == 1, f"bundles of different platforms: {platforms}"
    records: dict[str, Any] = {}
    checks: list[str] = []
    for bundle in read:
        for name, record in bundle.records.items():
            records.setdefault(name, record)
        checks += [c for c in bundle.checks if c not in checks]
    first = read[0]
    return Bundle(first.platform, first.created, first.tool_version, first.policy,
                  tuple(checks), records)


def replayed(names: tuple[str, ...]) -> Checkup:
    """A checkup that replays ``names`` and runs only the checks those bundles cover."""
    bundle = merged(names)
    return Checkup(plugins.load().select(bundle.checks), policies.builtin(), bundle)


class Clock:
    """The app's clock for running times: it moves only when the test moves it."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Waiting(Check):
    """A check that runs until the test lets it finish: a check still running, on screen."""

    id = "test.waiting"
    article = "5(4)"
    required = True
    title = N_("Firewall")  # a title with a translation, so it shows in both languages
    platforms = frozenset(Platform)
    timeout_s = 60.0
    release: ClassVar[threading.Event] = threading.Event()
    started: ClassVar[threading.Event] = threading.Event()

    def run(self, ctx: Context) -> Result:
        Waiting.started.set()
        Waiting.release.wait(60)
        return self.passed(N_("On for all {n} profiles"), n=1)


@pytest.fixture
def waiting() -> Iterator[type[Waiting]]:
    """The waiting check, reset, and released at the end whatever the test did."""
    Waiting.release.clear()
    Waiting.started.clear()
    yield Waiting
    Waiting.release.set()


def with_waiting(checkup: Checkup) -> Checkup:
    """``checkup`` with the waiting check added to its catalog."""
    catalog = Catalog((*checkup.catalog.checks, Waiting), checkup.catalog.failures)
    return Checkup(catalog, checkup.policy, checkup.bundle)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def app_for(checkup: Checkup, clock: Clock, tmp_path: Path, **options: Any) -> PrecheckApp:
    """The app as a test runs it: replayed checks, the test's clock, saving into ``tmp_path``."""
    return PrecheckApp(checkup, clock=clock, save_folder=tmp_path, **options)


@dataclass(frozen=True)
class RealGateway:
    """The real gateway a test books through: its address, and its SQLite file to look into."""

    url: str
    database: Path


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[RealGateway]:
    """The gateway app on a fresh SQLite file, requiring only CHECK, served on a free port."""
    pytest.importorskip("fastapi")
    uvicorn = pytest.importorskip("uvicorn")
    from precheck.gateway.app import create_app
    from precheck.gateway.settings import GatewaySettings, RateLimit

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    database = tmp_path / "gateway.sqlite3"
    settings = GatewaySettings(
        database_url=f"sqlite:///{database}", workers=False, udp_echo=False,
        required_checks=(CHECK,), public_url=f"http://127.0.0.1:{port}",
        challenge_limit=RateLimit(100, timedelta(minutes=1)),
        booking_limit=RateLimit(100, timedelta(minutes=1)))
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name="gateway", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the gateway did not start")
        time.sleep(0.05)
    yield RealGateway(f"http://127.0.0.1:{port}", database)
    server.should_exit = True
    thread.join(timeout=20)

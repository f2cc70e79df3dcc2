"""Bookings per second through the gateway, with report verification, on SQLite and PostgreSQL.

Three measurements per database, each booking a different free slot with its own challenge and
its own signed report (every built-in check passing; the reports are made before the clock
starts, as job seekers make them on their own computers):

- ``service``: ``Gateway.create_booking`` called in a loop in this process (the gate, the
  database transaction, the outbox row), one booking at a time;
- ``http``: ``POST /api/v1/bookings`` to a real ``precheck gateway serve`` process (uvicorn, one
  worker) from ``--clients`` threads at once;
- ``gate``: the report checks alone (no database), and their parts: JSON Schema, the pydantic
  model, RFC 8785 canonical form, the Ed25519 signature.

Then the service loop once more under cProfile, whose top entries name the bottleneck. Prints
figures (latency p50/p99 in milliseconds); asserts no timing.

    .venv/bin/python benchmarks/gateway.py [--bookings 200] [--clients 4] [--no-postgres]

PostgreSQL: ``postgresql+psycopg://postgres@127.0.0.1:5432/test`` or
``PRECHECK_TEST_POSTGRES_URL``; each run uses a schema of its own and drops it.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

POSTGRES_URL = os.environ.get("PRECHECK_TEST_POSTGRES_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/test")
FORM = {"name": "山田 太郎", "email": "bench@example.jp", "phone": "090-1234-5678",
        "jobseeker_number": "46010-123456"}  # INVENTED


# -- reports --------------------------------------------------------------------------------------

def _identity() -> Any:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from reports.signing import Identity

    return Identity(Ed25519PrivateKey.generate(), secrets.token_bytes(32))


def signed_report(identity: Any, challenge: str, created: datetime) -> dict[str, Any]:
    """A report of every built-in check passing (INVENTED outcomes), signed as precheck signs."""
    from precheck import plugins
    from precheck import policy as policies
    from precheck.probes import OsInfo
    from precheck.result import Message, Result, Status
    from precheck.runner import CheckMeta, Outcome
    from precheck.system import Platform
    from reports.build import build_report
    from reports.signing import device_id, sign

    outcomes = [Outcome(meta, Result(meta.id, Status.PASS, Message.of("Benchmark outcome"),
                                     duration_s=0.01))
                for meta in (CheckMeta.of(c) for c in plugins.load().checks)]
    os_info = OsInfo(Platform.LINUX, "debian", "Debian GNU/Linux", "12", None, None, "x86_64")
    document = build_report(outcomes, policy=policies.builtin(), os_info=os_info,
                            device_id=device_id(identity, "bench"), created=created,
                            challenge=challenge)
    return sign(document, identity)


# -- databases ------------------------------------------------------------------------------------

@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{Path(folder) / 'gateway.sqlite3'}"


@contextmanager
def postgres_database() -> Iterator[str]:
    from sqlalchemy import create_engine, text

    name = "gw_bench_" + secrets.token_hex(4)
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{name}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{separator}options={quote(f'-csearch_path={name}')}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


def postgres_reachable() -> bool:
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError:
        return False
    finally:
        engine.dispose()
    return True


# -- measurements ---------------------------------------------------------------------------------

def figures(label: str, latencies: list[float], wall: float) -> str:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return (f"{label:<34} {len(ordered):>5} {len(ordered) / wall:>10.1f} "
            f"{statistics.median(ordered) * 1000:>8.1f} {p99 * 1000:>8.1f}")


HEADER = f"{'what':<34} {'n':>5} {'per s':>10} {'p50 ms':>8} {'p99 ms':>8}"


def free_slots(offices: Any, now: datetime, count: int) -> list[tuple[str, datetime]]:
    """``count`` bookable (office, start) pairs from ``now`` on, spread over the offices."""
    from precheck.gateway import rules

    found: list[tuple[str, datetime]] = []
    day = now.date()
    for _ in range(90):
        for office in offices.values():
            found += [(office.id, start) for start in
                      rules.bookable_slots(office, day, day, now)]
        if len(found) >= count:
            return found[:count]
        day += timedelta(days=1)
    msg = f"only {len(found)} free slots found for {count} bookings"
    raise SystemExit(msg)


def prepare(gateway: Any, sessions: Any, now: datetime, count: int
            ) -> list[tuple[str, Any, dict[str, Any]]]:
    """The bookings to make: office, form and signed report, each with its own challenge."""
    from precheck.gateway.service import BookingForm

    identity = _identity()
    work = []
    with sessions() as session:
        for index, (office_id, start) in enumerate(free_slots(gateway.offices, now, count)):
            nonce = gateway.issue_challenge(session, office_id, now).nonce
            form = BookingForm(start=start, **{**FORM, "email": f"b{index}@example.jp"})
            work.append((office_id, form, signed_report(identity, nonce, now)))
    return work


def service_run(url: str, count: int, *, profile: bool = False) -> tuple[str, str]:
    from precheck.gateway.db import make_engine, migrate, session_factory
    from precheck.gateway.service import Gateway
    from precheck.gateway.settings import GatewaySettings

    engine = make_engine(url)
    migrate(engine)
    sessions = session_factory(engine)
    gateway = Gateway.open(GatewaySettings(database_url=url), engine)
    now = datetime.now(UTC).replace(microsecond=0)
    work = prepare(gateway, sessions, now, count)
    latencies: list[float] = []
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    with sessions() as session:
        if profiler:
            profiler.enable()
        for office_id, form, report in work:
            begin = time.perf_counter()
            gateway.create_booking(session, office_id, form, report, now)
            latencies.append(time.perf_counter() - begin)
        if profiler:
            profiler.disable()
    wall = time.perf_counter() - started
    engine.dispose()
    text = ""
    if profiler:
        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).sort_stats("tottime").print_stats(18)
        text = stream.getvalue()
    return figures("service (one at a time)", latencies, wall), text


def http_run(url: str, count: int, clients: int) -> str:
    import httpx

    from precheck.gateway.offices import load_offices

    with tempfile.TemporaryDirectory() as home:
        port = _free_port()
        environ = {**os.environ, "PRECHECK_HOME": home, "PRECHECK_GATEWAY_UDP_ECHO": "false",
                   "PRECHECK_GATEWAY_CHALLENGE_LIMIT": "100000/60",
                   "PRECHECK_GATEWAY_BOOKING_LIMIT": "100000/60"}
        script = Path(sys.executable).parent / "precheck"
        log = Path(home) / "gateway.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [str(script), "gateway", "serve", "--port", str(port), "--database-url", url],
                env=environ, stdout=out, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait(base, process, log)
            now = datetime.now(UTC).replace(microsecond=0)
            identity = _identity()
            bodies = []
            with httpx.Client(base_url=base, timeout=30) as client:
                slots = free_slots(load_offices(), now, count)
                for index, (office_id, start) in enumerate(slots):
                    nonce = client.post("/api/v1/challenges",
                                        json={"office_id": office_id}).json()["nonce"]
                    bodies.append({"office_id": office_id, "start": start.isoformat(), **FORM,
                                   "email": f"h{index}@example.jp",
                                   "report": signed_report(identity, nonce, now)})
            latencies, failures = _post_all(base, bodies, clients)
        finally:
            process.terminate()
            process.wait(timeout=30)
    label = f"http POST ({clients} clients at once)"
    line = figures(label, latencies[0], latencies[1])
    return line + (f"   ({failures} not 201!)" if failures else "")


def _post_all(base: str, bodies: list[dict[str, Any]], clients: int
              ) -> tuple[tuple[list[float], float], int]:
    import httpx

    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    queue = list(reversed(bodies))

    def client_loop() -> None:
        nonlocal failures
        with httpx.Client(base_url=base, timeout=60) as client:
            while True:
                with lock:
                    if not queue:
                        return
                    body = queue.pop()
                begin = time.perf_counter()
                answer = client.post("/api/v1/bookings", json=body)
                spent = time.perf_counter() - begin
                with lock:
                    latencies.append(spent)
                    if answer.status_code != 201:
                        failures += 1
                        if failures <= 3:
                            print(f"  not booked: {answer.status_code} {answer.text[:300]}",
                                  file=sys.stderr)

    threads = [threading.Thread(target=client_loop) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return (latencies, time.perf_counter() - started), failures


def gate_run(count: int) -> list[str]:
    from precheck.gateway import gate
    from precheck.gateway.settings import GatewaySettings
    from reports.canonical import canonical_bytes
    from reports.model import Report
    from reports.schema import validate
    from reports.signing import signed_bytes, verify

    now = datetime.now(UTC).replace(microsecond=0)
    identity = _identity()
    reports = [signed_report(identity, f"nonce-{i}", now) for i in range(count)]
    policy = gate.gate_policy(GatewaySettings(database_url="sqlite://"))
    lines = []
    parts: list[tuple[str, Callable[[dict[str, Any]], object]]] = [
        ("gate.inspect (all report checks)", lambda r: gate.inspect(r, policy, now)),
        ("  reports.signing.verify", verify),
        ("    JSON Schema validation", validate),
        ("    pydantic model", Report.model_validate),
        ("    RFC 8785 canonical form", lambda r: canonical_bytes(
            {k: v for k, v in r.items() if k != "signature"})),
        ("    Ed25519 verify", lambda r: _ed25519(r, signed_bytes)),
        ("  digest of the report (JCS+SHA-256)", gate.digest_of),
    ]
    for label, work in parts:
        work(reports[0])  # warm caches (the schema validator is built once)
        latencies = []
        started = time.perf_counter()
        for report in reports:
            begin = time.perf_counter()
            work(report)
            latencies.append(time.perf_counter() - begin)
        lines.append(figures(label, latencies, time.perf_counter() - started))
    return lines


def _ed25519(report: dict[str, Any], signed_bytes: Callable[[Any], bytes]) -> None:
    import base64

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    signature = report["signature"]
    key = base64.urlsafe_b64decode(signature["public_key"] + "=")
    value = base64.urlsafe_b64decode(signature["value"] + "==")
    Ed25519PublicKey.from_public_bytes(key).verify(value, signed_bytes(report))


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the gateway exited:\n" + log.read_text("utf-8", "replace"))
        try:
            if httpx.get(base + "/api/v1/policy", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit("the gateway did not start:\n" + log.read_text("utf-8", "replace"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bookings", type=int, default=200)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    import platform

    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}, {platform.platform()}")
    databases: list[tuple[str, Callable[[], Any]]] = [("sqlite", sqlite_database)]
    if not args.no_postgres:
        if postgres_reachable():
            databases.append(("postgresql", postgres_database))
        else:
            print(f"PostgreSQL not reachable at {POSTGRES_URL}: SQLite only")
    profiles = {}
    for name, database in databases:
        print(f"\n== {name}\n{HEADER}")
        with database() as url:
            line, _ = service_run(url, args.bookings)
            print(line, flush=True)
        with database() as url:
            print(http_run(url, args.bookings, args.clients), flush=True)
        with database() as url:
            _, profiles[name] = service_run(url, args.bookings, profile=True)
    print(f"\n== the gate alone (no database)\n{HEADER}")
    for line in gate_run(args.bookings):
        print(line)
    for name, text in profiles.items():
        print(f"\n== where the service loop spends its time on {name} (cProfile, own time)")
        print("\n".join(text.strip().splitlines()[:30]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

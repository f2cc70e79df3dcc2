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

Each booking is a different person (email, 求職番号, device key) and carries a
``network.quality`` measurement the gateway filed before the clock starts (over HTTP by a real
upload to ``/measure``; in process as the rows ``/measure`` writes), so the gate's lookup of its
own measurement is part of every figure. The office limits per client address are raised (the
load comes from one address; docs/gateway.md).

Then the service loop once more under cProfile, whose top entries name the bottleneck. Prints
figures (latency p50/p99 in milliseconds) and, with ``--json``, one JSON object per figure
(``{"db", "mode", "n", "clients", "per_s", "p50_ms", "p99_ms"}``); asserts no timing.

    .venv/bin/python benchmarks/gateway.py [--bookings 200] [--clients 4] [--workers 1]
                                           [--no-postgres] [--json]

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

    from precheck.reports.signing import Identity

    return Identity(Ed25519PrivateKey.generate(), secrets.token_bytes(32))


def signed_report(identity: Any, challenge: str, created: datetime,
                  measurement: str | None = None) -> dict[str, Any]:
    """A report of every built-in check passing (INVENTED outcomes), signed as precheck signs;
    ``network.quality`` names ``measurement`` (1 Mbit/s each way, below what was filed)."""
    from precheck import plugins
    from precheck import policy as policies
    from precheck.probes import OsInfo
    from precheck.reports.build import build_report
    from precheck.reports.signing import device_id, sign
    from precheck.result import Message, Result, Status
    from precheck.runner import CheckMeta, Outcome
    from precheck.system import Platform

    evidence = {"target": "gateway", "measurement_id": measurement, "download_mbit": 1.0,
                "upload_mbit": 1.0} if measurement else {}
    outcomes = [Outcome(meta, Result(meta.id, Status.PASS, Message.of("Benchmark outcome"),
                                     evidence=evidence if meta.id == "network.quality" else {},
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
    from precheck.gateway.db import answers

    return answers(POSTGRES_URL)


@contextmanager
def load_test_offices() -> Iterator[Path]:
    """The shipped office profiles with the limits per person and per address raised: the
    benchmark's load comes from one address."""
    import re

    from precheck.gateway.offices import DEFAULT_PATH

    text = DEFAULT_PATH.read_text("utf-8")
    for key in ("live_bookings_per_jobseeker_number", "live_bookings_per_email",
                "live_bookings_per_device", "bookings_per_address_per_day"):
        text = re.sub(rf"^{key} = \d+$", f"{key} = 1000000", text, flags=re.MULTILINE)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "offices.toml"
        path.write_text(text, "utf-8")
        yield path


# -- measurements ---------------------------------------------------------------------------------

#: Every figure as JSON (--json): {"db", "mode", "n", "clients", "per_s", "p50_ms", "p99_ms"}.
RECORDS: list[dict[str, Any]] = []


def figures(label: str, latencies: list[float], wall: float, *, db: str | None = None,
            mode: str | None = None, clients: int = 1, workers: int | None = None) -> str:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    record: dict[str, Any] = {
        "db": db, "mode": mode, "n": len(ordered), "clients": clients,
        "per_s": round(len(ordered) / wall, 1),
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p99_ms": round(p99 * 1000, 2)}
    if workers is not None:
        record["workers"] = workers
    if mode is not None:
        record["what"] = label.strip()
        RECORDS.append(record)
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


def person(index: int) -> dict[str, str]:
    """A different (INVENTED) person per booking: the office's limits are per person."""
    return {**FORM, "email": f"b{index}@example.jp", "jobseeker_number": f"46010-{index:06d}"}


#: What the in-process run's client address is called (its challenges and measurements).
CLIENT = "192.0.2.10"


def file_measurement(gateway: Any, session: Any, ident: str, now: datetime) -> None:
    """The rows the /measure endpoints write for a 2 s upload and download at 40 Mbit/s."""
    from precheck.gateway.models import Measurement

    per_bucket = 250_000
    for direction in ("up", "down"):
        session.add(Measurement(ident=ident, direction=direction,
                                client=gateway.keyed("client:" + CLIENT), started_at=now,
                                bytes=per_bucket * 40, buckets=[per_bucket] * 40))


def prepare(gateway: Any, sessions: Any, now: datetime, count: int
            ) -> list[tuple[str, Any, dict[str, Any]]]:
    """The bookings to make: office, form and signed report, each with its own challenge and
    measurement."""
    from precheck.gateway.service import BookingForm

    work = []
    with sessions() as session:
        for index, (office_id, start) in enumerate(free_slots(gateway.offices, now, count)):
            nonce = gateway.issue_challenge(session, office_id, now, CLIENT).nonce
            ident = secrets.token_hex(16)
            file_measurement(gateway, session, ident, now)
            form = BookingForm(start=start, **person(index))
            work.append((office_id, form, signed_report(_identity(), nonce, now, ident)))
        session.commit()
    return work


def service_run(url: str, count: int, offices: Path, *, db: str, profile: bool = False
                ) -> tuple[str, str]:
    from precheck.gateway.db import make_engine, migrate, session_factory
    from precheck.gateway.service import Gateway
    from precheck.gateway.settings import GatewaySettings

    engine = make_engine(url)
    migrate(engine)
    sessions = session_factory(engine)
    gateway = Gateway.open(GatewaySettings(database_url=url, offices_path=offices), engine)
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
            gateway.create_booking(session, office_id, form, report, now, client=CLIENT)
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
    label = "service (one at a time)"
    return figures(label, latencies, wall, db=db, mode=None if profile else "process"), text


def http_run(url: str, count: int, clients: int, offices: Path, *, db: str,
             workers: int = 1) -> str:
    import httpx

    from precheck.gateway.offices import load_offices

    with tempfile.TemporaryDirectory() as home:
        port = _free_port()
        environ = {**os.environ, "PRECHECK_HOME": home, "PRECHECK_GATEWAY_UDP_ECHO": "false",
                   "PRECHECK_GATEWAY_CHALLENGE_LIMIT": "100000/60",
                   "PRECHECK_GATEWAY_BOOKING_LIMIT": "100000/60",
                   "PRECHECK_GATEWAY_OFFICES_PATH": str(offices)}
        script = Path(sys.executable).parent / "precheck"
        log = Path(home) / "gateway.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [str(script), "gateway", "serve", "--port", str(port), "--database-url", url,
                 "--workers", str(workers)],
                env=environ, stdout=out, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait(base, process, log)
            now = datetime.now(UTC).replace(microsecond=0)
            bodies = []
            with httpx.Client(base_url=base, timeout=30) as client:
                slots = free_slots(load_offices(offices), now, count)
                for index, (office_id, start) in enumerate(slots):
                    nonce = client.post("/api/v1/challenges",
                                        json={"office_id": office_id}).json()["nonce"]
                    ident = secrets.token_hex(16)
                    client.post(f"/measure/speedtest/upload.php?m={ident}",
                                content=b"content1=" + b"0" * 65536)
                    bodies.append({"office_id": office_id, "start": start.isoformat(),
                                   **person(index),
                                   "report": signed_report(_identity(), nonce, now, ident)})
            latencies, failures = _post_all(base, bodies, clients)
        finally:
            process.terminate()
            process.wait(timeout=30)
    label = f"http POST ({clients} clients, {workers} worker{'s' if workers > 1 else ''})"
    line = figures(label, latencies[0], latencies[1], db=db, mode="http", clients=clients,
                   workers=workers)
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
    from precheck.reports.canonical import canonical_bytes
    from precheck.reports.model import Report
    from precheck.reports.schema import validate
    from precheck.reports.signing import signed_bytes, verify

    now = datetime.now(UTC).replace(microsecond=0)
    reports = [signed_report(_identity(), f"nonce-{i}", now, secrets.token_hex(16))
               for i in range(count)]
    policy = gate.gate_policy(GatewaySettings(database_url="sqlite://"))
    lines = []
    parts: list[tuple[str, Callable[[dict[str, Any]], object]]] = [
        ("gate.inspect (all report checks)", lambda r: gate.inspect(r, policy, now)),
        ("  precheck.reports.signing.verify (refusals)", verify),
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
        lines.append(figures(label, latencies, time.perf_counter() - started,
                             mode="gate" if label.startswith("gate.") else None))
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
    parser.add_argument("--workers", type=int, default=1,
                        help="gateway processes of the HTTP run (PostgreSQL; SQLite runs 1)")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--json", action="store_true",
                        help="also print one JSON object per figure")
    args = parser.parse_args()
    import json
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
    with load_test_offices() as offices:
        for name, database in databases:
            print(f"\n== {name}\n{HEADER}")
            with database() as url:
                line, _ = service_run(url, args.bookings, offices, db=name)
                print(line, flush=True)
            worker_counts = sorted({1, args.workers}) if name == "postgresql" else [1]
            for workers in worker_counts:
                with database() as url:
                    print(http_run(url, args.bookings, args.clients, offices, db=name,
                                   workers=workers), flush=True)
            with database() as url:
                _, profiles[name] = service_run(url, args.bookings, offices, db=name,
                                                profile=True)
    print(f"\n== the gate alone (no database)\n{HEADER}")
    for line in gate_run(args.bookings):
        print(line)
    for name, text in profiles.items():
        print(f"\n== where the service loop spends its time on {name} (cProfile, own time)")
        print("\n".join(text.strip().splitlines()[:30]))
    if args.json:
        print()
        for record in RECORDS:
            print(json.dumps(record, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""``precheck gateway ...``: serve with no set-up, the operator's maintenance commands, and the
errors an operator gets instead of tracebacks."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from precheck.gateway.db import current_revision, head_revision, make_engine, session_factory
from precheck.gateway.models import NoShowStanding, OutboxMail
from precheck.status import ExitStatus
from tests.gateway.conftest import MONDAY, GatewayProcess
from tests.gateway.test_auth import gateway_cli
from tests.gateway.test_service import THURSDAY_1000


@pytest.mark.slow
def test_serve_works_with_no_set_up(tmp_path: Path) -> None:
    """No URL, no variables: a SQLite file in the data directory, migrated on start."""
    process = GatewayProcess("", tmp_path).start()
    try:
        process.wait_ready()
        offices = httpx.get(process.url + "/api/v1/offices", timeout=10).json()
        assert "namerikawa" in {office["id"] for office in offices}
        assert httpx.get(process.url + "/openapi.json", timeout=10).status_code == 200
        page = httpx.get(process.url + "/", timeout=10)
        assert page.status_code == 200
    finally:
        process.stop()
    database = tmp_path / "gateway.sqlite3"
    assert database.exists()
    engine = make_engine(f"sqlite:///{database}")
    try:
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()
    log = process.output()
    assert "precheck gateway on http://127.0.0.1" in log
    assert "Traceback" not in log


@pytest.mark.slow
def test_serve_runs_several_worker_processes_on_one_database(postgres_url: str,
                                                             tmp_path: Path) -> None:
    process = GatewayProcess(postgres_url, tmp_path)
    process.argv += ["--workers", "2"]
    process.start()
    try:
        process.wait_ready()
        statuses = []
        for _ in range(11):  # a new connection each time: the kernel spreads them over both
            with httpx.Client(timeout=10) as client:
                statuses.append(client.post(process.url + "/api/v1/challenges",
                                            json={"office_id": "kagoshima"}).status_code)
        # The limit (10 a minute) is kept in the database: both processes count together.
        assert statuses == [201] * 10 + [429]
    finally:
        process.stop()
    log = process.output()
    assert log.count("Started server process") == 2
    assert "Traceback" not in log


def test_help_and_usage_errors() -> None:
    status, out, _ = gateway_cli(["--help"])
    assert status == ExitStatus.OK
    assert "create-staff" in out
    status, _, err = gateway_cli(["launch"])
    assert status == ExitStatus.USAGE
    assert "invalid choice" in err


def test_an_unreachable_database_is_one_line_without_the_password(tmp_path: Path) -> None:
    url = "postgresql+psycopg://postgres:s3cret@127.0.0.1:1/test"
    status, _, err = gateway_cli(["migrate", "--database-url", url])
    assert status == ExitStatus.USAGE
    assert "cannot use the database" in err
    assert "s3cret" not in err
    assert err.count("\n") == 1
    status, _, err = gateway_cli(["migrate", "--database-url", "nonsense://"])
    assert status == ExitStatus.USAGE


def test_a_bad_setting_in_the_environment_names_the_variable() -> None:
    import io

    from precheck.cli import run_cli
    from precheck.status import Environment

    out, err = io.StringIO(), io.StringIO()
    status = run_cli(["gateway", "migrate"], Environment(
        stdout=out, stderr=err, environ={"PRECHECK_GATEWAY_BOOKING_LIMIT": "many"}))
    assert status == ExitStatus.USAGE
    assert "PRECHECK_GATEWAY_BOOKING_LIMIT='many'" in err.getvalue()
    assert "10/60" in err.getvalue()


def test_migrate_reports_the_revision(database_url: str) -> None:
    status, out, _ = gateway_cli(["migrate", "--database-url", database_url])
    assert status == ExitStatus.OK
    assert out == f"database at revision {head_revision()}\n"


def test_lift_block_sweep_and_outbox_from_the_command_line(
        gateway: Any, engine: Any, session: Any, book: Any, database_url: str) -> None:
    first = book("namerikawa", THURSDAY_1000, MONDAY)
    book("namerikawa", THURSDAY_1000 + timedelta(minutes=30), MONDAY)
    gateway.sweep(session, THURSDAY_1000 + timedelta(hours=1))
    assert gateway.booking_standing(session, first.booking).blocked
    status, out, _ = gateway_cli(["lift-block", "--office", "namerikawa", "--email",
                                  "taro@example.jp", "--database-url", database_url])
    assert status == ExitStatus.OK
    assert out == "1 block(s) lifted\n"
    status, out, _ = gateway_cli(["lift-block", "--office", "namerikawa", "--reference",
                                  first.booking.reference, "--database-url", database_url])
    assert out == "2 block(s) lifted\n"  # the 求職番号 and the device key were still blocked
    assert not gateway.booking_standing(session, first.booking).blocked
    assert session.execute(select(NoShowStanding.lifted_by)).scalars().all() == ["operator"] * 3
    session.rollback()  # a reader holds SQLite's write lock (BEGIN IMMEDIATE) until it ends
    status, _, err = gateway_cli(["lift-block", "--office", "namerikawa", "--reference",
                                  "ZZZZZ-ZZZZZ", "--database-url", database_url])
    assert status == ExitStatus.USAGE
    assert "There is no booking" in err
    status, out, _ = gateway_cli(["sweep", "--database-url", database_url])
    assert status == ExitStatus.OK
    assert "0 no-show(s) marked" in out  # they were marked already
    with session_factory(engine)() as own:
        own.execute(update(OutboxMail).values(failed_at=MONDAY))
        own.commit()
    status, out, _ = gateway_cli(["outbox", "--database-url", database_url])
    assert out == "outbox: 0 waiting, 0 sent, 2 failed\n"
    status, out, _ = gateway_cli(["outbox", "--retry-failed", "--database-url", database_url])
    assert out == "2 failed mail(s) queued again\noutbox: 2 waiting, 0 sent, 0 failed\n"


def test_precheck_version_imports_nothing_of_the_gateway() -> None:
    code = ("import sys; from precheck.cli import run_cli; run_cli(['--version']); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('fastapi', 'sqlalchemy', 'uvicorn', 'alembic') or m.startswith('precheck.gateway')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, timeout=60)
    assert result.stdout.splitlines()[-1] == "[]"

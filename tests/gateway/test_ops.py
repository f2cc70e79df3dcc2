"""Operations: /healthz and /readyz, Prometheus metrics (also summed over `--workers 2` in a real
`precheck gateway serve`), JSON logs, settings read from files, and `precheck gateway check`."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from alembic import command

from precheck.gateway.db import alembic_config
from precheck.gateway.settings import SettingsError, from_env
from precheck.result import Status as CheckStatus
from precheck.status import ExitStatus
from tests.gateway.conftest import GatewayProcess
from tests.gateway.pages_support import Site, build_site
from tests.gateway.test_auth import gateway_cli
from tests.gateway.test_staff import SLOT, book


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    yield from build_site(tmp_path)


def metric(text: str, name: str, labels: str = "") -> float:
    """The value of one sample in Prometheus's text format (0 when it is absent)."""
    pattern = re.escape(name) + (re.escape("{" + labels + "}") if labels else r"(\{\})?")
    found = re.search(rf"^{pattern} (?P<value>[0-9.e+-]+)$", text, re.MULTILINE)
    return float(found["value"]) if found else 0.0


# -- health ---------------------------------------------------------------------------------------

def test_healthz_and_readyz_on_a_working_gateway(site: Site) -> None:
    alive = site.client.get("/healthz")
    assert alive.status_code == 200
    assert alive.json() == {"status": "alive"}
    ready = site.client.get("/readyz")
    assert ready.status_code == 200
    checks = ready.json()["checks"]
    assert (checks["database"], checks["migrations"], checks["mail"]) == ("ok", "ok", "ok")


def test_readyz_says_when_the_mail_sender_is_stuck(site: Site) -> None:
    assert book(site, SLOT).status_code == 201  # a mail waits: no SMTP server in this test
    assert site.client.get("/readyz").status_code == 200
    site.clock.advance(minutes=16)
    stuck = site.client.get("/readyz")
    assert stuck.status_code == 503
    assert stuck.json()["checks"]["mail"].startswith("stuck: 1 waiting")


def test_readyz_says_when_the_schema_is_not_at_the_newest_migration(site: Site) -> None:
    with site.engine.begin() as connection:
        command.stamp(alembic_config(connection), "0001")
    answer = site.client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["checks"]["migrations"].startswith("at 0001, expected ")


# -- metrics --------------------------------------------------------------------------------------

def test_metrics_count_bookings_by_outcome_and_rule_and_read_the_outbox(site: Site) -> None:
    before = site.client.get("/metrics").text
    assert book(site, SLOT).status_code == 201
    assert book(site, SLOT).status_code == 409  # taken
    failed = book(site, SLOT.replace(hour=11), statuses={"security.firewall": CheckStatus.FAIL})
    assert failed.status_code == 422
    after = site.client.get("/metrics")
    assert after.headers["content-type"].startswith("text/plain")
    text = after.text
    name = "precheck_gateway_bookings_total"
    for labels, grown in (('outcome="booked",rule=""', 1),
                          ('outcome="taken",rule=""', 1),
                          ('outcome="gate_rejected",rule="check_failed"', 1)):
        assert metric(text, name, labels) - metric(before, name, labels) == grown, labels
    gate = "precheck_gateway_gate_seconds_count"
    assert metric(text, gate) - metric(before, gate) == 3
    assert metric(text, "precheck_gateway_outbox_waiting") == 1
    assert metric(text, "precheck_gateway_outbox_failed") == 0


@pytest.mark.slow
def test_two_workers_report_the_sum_of_their_counts_in_json_logs(tmp_path: Path) -> None:
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    process = GatewayProcess(f"sqlite:///{tmp_path / 'gw.sqlite3'}", tmp_path,
                             challenge_limit="2/600", log_format="json")
    process.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    process.argv += ["--workers", "2"]
    process.start()
    try:
        process.wait_ready()
        refused = 0
        for _ in range(12):  # new connections: either worker may answer
            answer = httpx.post(process.url + "/api/v1/challenges",
                                json={"office_id": "namerikawa"}, timeout=10)
            refused += answer.status_code == 429
        assert refused == 10
        totals = {metric(httpx.get(process.url + "/metrics", timeout=10).text,
                         "precheck_gateway_rate_limited_total", 'scope="challenge"')
                  for _ in range(8)}
        assert totals == {10.0}, "every scrape, whichever worker, sums both workers"
        assert list(metrics_dir.glob("counter_*.db"))
    finally:
        process.stop()
    lines = [line for line in process.output().splitlines() if line.strip()]
    assert lines
    for line in lines:
        entry = json.loads(line)  # one format for the gateway's lines and uvicorn's
        assert set(entry) >= {"time", "level", "logger", "message"}
    loggers = {json.loads(line)["logger"] for line in lines}
    assert "precheck.gateway" in loggers
    assert any(name.startswith("uvicorn") for name in loggers)


# -- settings from files -------------------------------------------------------------------------

def test_a_secret_is_read_from_the_file_its_file_variable_names(tmp_path: Path) -> None:
    secret = tmp_path / "smtp-password"
    secret.write_text("s3cret-pass\n", encoding="utf-8")
    settings = from_env({"PRECHECK_GATEWAY_DATABASE_URL": "sqlite:///x",
                         "PRECHECK_GATEWAY_SMTP_PASSWORD_FILE": str(secret)})
    assert settings.smtp_password == "s3cret-pass"
    with pytest.raises(SettingsError, match="both set"):
        from_env({"PRECHECK_GATEWAY_SMTP_PASSWORD": "a",
                  "PRECHECK_GATEWAY_SMTP_PASSWORD_FILE": str(secret)})
    with pytest.raises(SettingsError, match="cannot be read"):
        from_env({"PRECHECK_GATEWAY_SMTP_PASSWORD_FILE": str(tmp_path / "missing")})
    with pytest.raises(SettingsError, match="text or json"):
        from_env({"PRECHECK_GATEWAY_LOG_FORMAT": "xml", "PRECHECK_GATEWAY_DATABASE_URL": "x"})


# -- precheck gateway check ----------------------------------------------------------------------

def test_check_passes_a_good_configuration_and_changes_nothing(tmp_path: Path) -> None:
    database = tmp_path / "gw.sqlite3"
    status, out, _ = gateway_cli(["check", "--no-smtp", "--database-url",
                                  f"sqlite:///{database}", "--public-url",
                                  "https://yoyaku.example.jp"])
    assert status == ExitStatus.OK, out
    assert "does not exist yet" in out
    assert "0 error(s)" in out
    assert not database.exists()


def test_check_names_what_would_fail(tmp_path: Path, database_url: str) -> None:
    broken = tmp_path / "offices.toml"
    broken.write_text("[[office]]\nid = 'x'\n", encoding="utf-8")
    status, out, _ = gateway_cli(["check", "--database-url", database_url, "--offices",
                                  str(broken), "--public-url", "ftp://x"])
    assert status == ExitStatus.USAGE
    assert re.search(r"^error: office profiles: .*offices\.toml", out, re.MULTILINE)
    assert "error: PUBLIC_URL 'ftp://x' is not an http(s) address" in out
    assert "warning: SMTP_HOST is not set" in out


def test_check_refuses_a_database_of_a_newer_gateway(database_url: str) -> None:
    from sqlalchemy import text

    from precheck.gateway.db import make_engine, migrate

    engine = make_engine(database_url)
    try:
        migrate(engine)
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = '9999z'"))
    finally:
        engine.dispose()
    status, out, _ = gateway_cli(["check", "--no-smtp", "--database-url", database_url])
    assert status == ExitStatus.USAGE
    assert "revision 9999z, which this version does not know" in out


def test_check_reaches_a_real_mail_server(tmp_path: Path) -> None:
    from aiosmtpd.controller import Controller

    from tests.gateway.test_mail import Mailbox, free_port

    controller = Controller(Mailbox(), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        status, out, _ = gateway_cli(["check", "--database-url",
                                      f"sqlite:///{tmp_path / 'gw.sqlite3'}"],
                                     environ={"PRECHECK_GATEWAY_SMTP_HOST": "127.0.0.1",
                                              "PRECHECK_GATEWAY_SMTP_PORT":
                                                  str(controller.port)})
    finally:
        controller.stop()
    assert f"ok: mail server 127.0.0.1:{controller.port} answers" in out
    status, out, _ = gateway_cli(["check", "--database-url",
                                  f"sqlite:///{tmp_path / 'gw.sqlite3'}"],
                                 environ={"PRECHECK_GATEWAY_SMTP_HOST": "127.0.0.1",
                                          "PRECHECK_GATEWAY_SMTP_PORT": str(controller.port)})
    assert status == ExitStatus.USAGE
    assert "error: mail server 127.0.0.1" in out

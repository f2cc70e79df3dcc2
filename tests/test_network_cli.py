"""`precheck run` and `precheck collect` learn the gateway from --gateway or
PRECHECK_GATEWAY_URL, record it in the bundle, and measure against it."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from precheck.cli import run_cli
from precheck.gateway.udp_echo import start_udp_echo
from precheck.status import Environment, ExitStatus
from tests.network_support import LOCAL, measure_app, served_app


@pytest.fixture(scope="module")
def gateway() -> Iterator[str]:
    with start_udp_echo(LOCAL, 0) as echo, served_app(measure_app(echo)) as url:
        yield url


def environment(**variables: str) -> Environment:
    return Environment(stdout=io.StringIO(), stderr=io.StringIO(), environ=variables)


def recorded(bundle: Path) -> dict[str, object]:
    """Probe name -> answer, long text answers read from their member files."""
    with zipfile.ZipFile(bundle) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        return {p["name"]: archive.read(p["value_file"]).decode() if "value_file" in p
                else p.get("value") for p in manifest["probes"]}


def test_collect_measures_against_the_gateway_option(gateway: str, tmp_path: Path) -> None:
    env = environment()
    status = run_cli(["--lang", "en", "collect", "--only", "network.quality", "--gateway",
                      gateway + "/", "-o", str(tmp_path / "b.zip")], env)
    assert status is ExitStatus.OK, env.stderr.getvalue()  # type: ignore[attr-defined]
    probes = recorded(tmp_path / "b.zip")
    assert probes["config:gateway_url"] == gateway  # without the trailing slash
    quality = probes["network:quality"]
    assert isinstance(quality, dict)
    assert quality["target"] == "gateway"
    assert quality["error"] is None
    assert quality["udp"]["measured"] is True


def test_run_reads_the_variable_when_no_option_is_given(gateway: str) -> None:
    env = environment(PRECHECK_GATEWAY_URL=gateway)
    status = run_cli(["--lang", "en", "run", "--json", "--only", "network.quality"], env)
    report = json.loads(env.stdout.getvalue())  # type: ignore[attr-defined]
    check = next(c for c in report["checks"] if c["id"] == "network.quality")
    assert check["evidence"]["target"] == "gateway"
    assert check["status"] == "pass"
    assert status is ExitStatus.OK


def test_a_gateway_that_is_not_a_web_address_is_a_usage_error() -> None:
    env = environment()
    status = run_cli(["--lang", "en", "run", "--only", "network.quality", "--gateway",
                      "ftp://files.example"], env)
    assert status is ExitStatus.USAGE
    assert "must start with http:// or https://" in env.stderr.getvalue()  # type: ignore[attr-defined]


def test_the_japanese_message_for_a_bad_gateway() -> None:
    env = environment()
    run_cli(["--lang", "ja", "run", "--gateway", "gateway.example"], env)
    assert "http:// または https://" in env.stderr.getvalue()  # type: ignore[attr-defined]

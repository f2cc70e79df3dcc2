"""The deployment examples under deploy/ are checked by parsing them: the systemd unit by
systemd's own verifier (with its program path pointed at this install) and by the gateway's own
option parser and settings; the nginx file by crossplane, nginx's configuration parser."""

from __future__ import annotations

import dataclasses
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from precheck.gateway.settings import ENV_PREFIX, FILE_SUFFIX, GatewaySettings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
UNIT = DEPLOY / "precheck-gateway.service"
NGINX = DEPLOY / "nginx.conf"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "gateway.md"


def unit_entries(text: str) -> dict[str, list[tuple[str, str]]]:
    """A unit file's sections and their (key, value) lines, in order (keys may repeat)."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
            continue
        key, sep, value = line.partition("=")
        assert sep, f"not a key=value line: {raw!r}"
        assert current is not None, f"a line outside a section: {raw!r}"
        current.append((key.strip(), value.strip()))
    return sections


def values(entries: list[tuple[str, str]], key: str) -> list[str]:
    return [v for k, v in entries if k == key]


def test_the_systemd_unit_runs_the_gateway_with_known_settings() -> None:
    from precheck.gateway.cli import _parser

    sections = unit_entries(UNIT.read_text(encoding="utf-8"))
    assert set(sections) == {"Unit", "Service", "Install"}
    service = sections["Service"]
    for key in ("ExecStart", "ExecStartPre"):
        [line] = values(service, key)
        argv = shlex.split(line)
        assert argv[0].endswith("/precheck")
        assert argv[1] == "gateway"
        _parser().parse_args(argv[2:])  # raises on an option the gateway does not take
    known = {ENV_PREFIX + f.name.upper() for f in dataclasses.fields(GatewaySettings)}
    for assignment in values(service, "Environment"):
        name = assignment.partition("=")[0]
        if name.startswith(ENV_PREFIX):
            assert name.removesuffix(FILE_SUFFIX) in known, name
    assert values(service, "KillSignal") == ["SIGINT"]  # uvicorn's clean shutdown
    assert values(sections["Install"], "WantedBy") == ["multi-user.target"]


def test_systemd_itself_accepts_the_unit(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        if os.environ.get("CI") == "true":
            pytest.fail("systemd-analyze is missing: .ci/run must install systemd")
        pytest.skip("needs systemd-analyze (Debian's systemd package)")
    program = Path(sys.executable).parent / "precheck"
    copy = tmp_path / UNIT.name
    copy.write_text(UNIT.read_text(encoding="utf-8").replace(
        "/opt/precheck/venv/bin/precheck", str(program)), encoding="utf-8")
    result = subprocess.run([analyze, "verify", str(copy)], capture_output=True, text=True,
                            timeout=60, check=False)
    complaints = [line for line in (result.stdout + result.stderr).splitlines()
                  if copy.name in line]
    assert result.returncode == 0, result.stderr
    assert complaints == [], "systemd ignores or rejects lines of the unit"


def test_the_nginx_example_parses_and_forwards_what_the_gateway_needs() -> None:
    crossplane = pytest.importorskip("crossplane", reason="the test extra installs crossplane")
    parsed = crossplane.parse(str(NGINX), comments=False)
    assert parsed["status"] == "ok", parsed["errors"]
    [config] = parsed["config"]
    directives: list[tuple[str, tuple[str, ...]]] = []

    def walk(block: list[dict[str, object]]) -> None:
        for item in block:
            args = tuple(str(a) for a in item.get("args", []))  # type: ignore[attr-defined]
            directives.append((str(item["directive"]), args))
            walk(item.get("block", []))  # type: ignore[arg-type]

    walk(config["parsed"])
    assert ("listen", ("443", "ssl")) in directives
    assert any(name == "ssl_certificate" for name, _ in directives)
    headers = {args[0]: args[1] for name, args in directives if name == "proxy_set_header"}
    assert headers["X-Forwarded-For"] == "$remote_addr"
    assert headers["X-Forwarded-Proto"] == "$scheme"
    assert headers["Host"] == "$host"
    assert ("server", ("127.0.0.1:8000",)) in directives
    assert ("access_log", ("off",)) in directives  # link tokens are in paths
    assert ("listen", ("203.0.113.10:8001", "udp")) in directives  # the UDP echo


def test_the_docs_point_to_the_examples() -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert "deploy/precheck-gateway.service" in text
    assert "deploy/nginx.conf" in text

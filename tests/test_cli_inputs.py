"""The command line and hostile inputs (issue 13): every malformed report exits 2 with one line,
never 3 and never a hang; a closed output pipe ends quietly; ``collect -o`` never scatters files
into a folder that holds others."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from precheck import bundle as bundles
from precheck.cli import run_cli
from precheck.errors import InputError
from precheck.status import Environment, ExitStatus
from precheck.system import Platform, Record

pytestmark = pytest.mark.timeout(120)  # a hang is a failure, not a stuck run

CONSOLE_SCRIPT = Path(sys.executable).parent / ("precheck.exe" if os.name == "nt" else "precheck")
SPINE = ("--only", "power.battery", "--only", "system.resources")


def cli(*argv: str) -> tuple[ExitStatus, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = run_cli(list(argv), Environment(out, err, {
        "PRECHECK_HOME": os.environ["PRECHECK_HOME"]}))
    return status, out.getvalue(), err.getvalue()


MALFORMED_REPORTS: dict[str, tuple[bytes, str]] = {
    "deep-json": (b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nests more than 64"),
    "deep-json-that-json-reads": (b'{"a": ' + b"[" * 200 + b"]" * 200 + b"}",
                                  "nests more than 64"),
    "lone-surrogate": (b'{"report_version": "\\ud800"}', "surrogate"),
    "duplicate-key": (b'{"a": 1, "a": 2}', "appears twice"),
}


@pytest.mark.parametrize("command", ["show", "verify"])
@pytest.mark.parametrize("name", MALFORMED_REPORTS)
def test_a_malformed_report_exits_2_in_one_line(name: str, command: str, tmp_path: Path) -> None:
    content, complaint = MALFORMED_REPORTS[name]
    path = tmp_path / "report.json"
    path.write_bytes(content)
    status, out, err = cli("report", command, str(path), "--lang", "en")
    assert status is ExitStatus.USAGE, err
    assert complaint in err
    assert err.count("\n") == 1
    assert out == ""


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are a POSIX thing")
@pytest.mark.parametrize("command", ["show", "verify"])
def test_a_fifo_given_as_a_report_is_refused_without_waiting(command: str,
                                                             tmp_path: Path) -> None:
    fifo = tmp_path / "report.json"
    os.mkfifo(fifo)
    status, _, err = cli("report", command, str(fifo), "--lang", "en")
    assert status is ExitStatus.USAGE
    assert "is a pipe (FIFO), not a regular file" in err
    status, _, err = cli("report", command, "/dev/zero", "--lang", "en")
    assert status is ExitStatus.USAGE
    assert "is a device, not a regular file" in err


@pytest.mark.slow
def test_report_show_into_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    """``precheck report show FILE | head -1``: head has gone before precheck writes."""
    report = tmp_path / "report.json"
    assert cli("run", "--report", str(report), *SPINE)[0] is ExitStatus.OK
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone: every write meets EPIPE
    try:
        done = subprocess.run([str(CONSOLE_SCRIPT), "report", "show", str(report)],
                              stdout=write_end, stderr=subprocess.PIPE, check=False,
                              timeout=60, env={**os.environ, "PYTHONWARNINGS": "default"})
    finally:
        os.close(write_end)
    assert done.stderr.decode() == ""  # no BrokenPipeError, no "Exception ignored"
    assert done.returncode == int(ExitStatus.OUTPUT_CLOSED) == 141


# -- collect -o --------------------------------------------------------------------------------

def test_collect_into_a_folder_with_files_writes_one_zip_there(tmp_path: Path) -> None:
    desktop = tmp_path / "Desktop"
    desktop.mkdir()
    (desktop / "letter.txt").write_text("mine", encoding="utf-8")
    status, out, _ = cli("collect", "-o", str(desktop), "--lang", "en", *SPINE)
    assert status is ExitStatus.OK
    (bundle,) = (p for p in desktop.iterdir() if p.name != "letter.txt")
    assert bundle.name.startswith("precheck-bundle-")
    assert bundle.suffix == ".zip"
    assert zipfile.is_zipfile(bundle)
    assert str(bundle) in out
    assert sorted(p.name for p in desktop.iterdir()) == sorted(["letter.txt", bundle.name])


def test_a_folder_bundle_is_written_only_into_an_empty_folder(tmp_path: Path) -> None:
    folder = tmp_path / "full"
    folder.mkdir()
    (folder / "letter.txt").write_text("mine", encoding="utf-8")
    record = Record("platform:machine", value="x86_64")
    with pytest.raises(InputError, match="is not empty"):
        bundles.write(folder, Platform.LINUX, [record], checks=[], policy={})
    assert [p.name for p in folder.iterdir()] == ["letter.txt"]
    empty = tmp_path / "empty"
    empty.mkdir()
    bundles.write(empty, Platform.LINUX, [record], checks=[], policy={})
    assert (empty / "manifest.json").is_file()


# -- what a bundle holds -----------------------------------------------------------------------

def test_a_collected_bundle_holds_no_machine_id_nor_ip_address(tmp_path: Path) -> None:
    from precheck.probes.network import _read_route

    path = tmp_path / "bundle.zip"
    status, out, _ = cli("collect", "-o", str(path), "--lang", "en")
    assert status is ExitStatus.OK
    with zipfile.ZipFile(path) as archive:
        everything = b"".join(archive.read(name) for name in archive.namelist())
        manifest = json.loads(archive.read("manifest.json"))
    machine_id = Path("/etc/machine-id").read_text(encoding="utf-8").strip()
    assert machine_id
    assert machine_id.encode() not in everything
    route = _read_route()
    assert isinstance(route, dict)
    assert str(route["address"]).encode() not in everything
    names = {probe["name"] for probe in manifest["probes"]}
    assert not names & bundles.IDENTIFIER_PROBES
    # The device's pseudonym instead: the same one a report of this computer carries.
    status, report, _ = cli("run", "--json", *SPINE)
    assert manifest["device_id"] == json.loads(report)["device_id"]
    replayed = json.loads(cli("run", "--bundle", str(path), "--json", *SPINE)[1])
    assert replayed["device_id"] == manifest["device_id"]
    assert "machine ID or IP address" in out
    assert "every installed program" in out


@pytest.mark.parametrize(("platform", "answers", "asks"), [
    (Platform.LINUX, {}, "file:/etc/machine-id"),
    (Platform.LINUX, {"file:/etc/machine-id": None}, "file:/var/lib/dbus/machine-id"),
    (Platform.WINDOWS, {}, "reg:HKLM\\SOFTWARE\\Microsoft\\Cryptography"),
    (Platform.MACOS, {}, "cmd:ioreg -rd1 -c IOPlatformExpertDevice"),
])
def test_the_withheld_probes_are_exactly_what_the_machine_id_reads(
        platform: Platform, answers: dict[str, None], asks: str) -> None:
    from precheck import probes
    from precheck.errors import ProbeMissing
    from precheck.system import ReplayBackend, System

    records = {name: Record(name, value=value) for name, value in answers.items()}
    with pytest.raises(ProbeMissing) as caught:
        probes.machine_id(System(ReplayBackend(platform, records)))
    assert caught.value.probe == asks
    assert asks in bundles.IDENTIFIER_PROBES


@pytest.mark.parametrize(("address", "kept"), [
    ("192.168.1.23", None), ("203.0.113.7", None), ("2001:db8::1234", None),
    ("172.20.10.2", "172.20.10.2"),  # an iPhone hotspot's: the only address a check reads
])
def test_the_route_address_is_kept_only_when_a_check_needs_it(address: str,
                                                              kept: str | None) -> None:
    written = bundles.private(Record("net:route", value={"interface": "wlan0",
                                                         "address": address}))
    assert written is not None
    assert written.value == {"interface": "wlan0", "address": kept}


def test_listening_addresses_are_withheld_but_ports_kept() -> None:
    from precheck.probes.firewall import parse_listening

    raw: list[dict[str, object]] = [{"address": "0.0.0.0", "port": 22},
                                    {"address": "192.168.1.23", "port": 8080},
                                    {"address": "127.0.0.1", "port": 631}]
    written = bundles.private(Record("psutil:tcp_listening", value=raw))
    assert written is not None
    assert "192.168.1.23" not in json.dumps(written.value)
    assert ([x.port for x in parse_listening(written.value)]
            == [x.port for x in parse_listening(raw)])


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are a POSIX thing")
def test_a_fifo_given_as_a_policy_is_refused_without_waiting(tmp_path: Path) -> None:
    fifo = tmp_path / "policy.toml"
    os.mkfifo(fifo)
    status, _, err = cli("run", "--policy", str(fifo), "--lang", "en", *SPINE)
    assert status is ExitStatus.USAGE
    assert "is a pipe (FIFO), not a regular file" in err

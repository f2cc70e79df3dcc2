"""The command line: outputs, languages and exit codes.

Most tests call ``run_cli`` in-process with an injected environment; the ``slow`` ones run the
installed ``precheck`` console script as a user would.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import precheck
from precheck import __version__, plugins
from precheck.api import Platform
from precheck.cli import run_cli
from precheck.status import Environment, ExitStatus
from precheck.testing import BundleMaker
from tests.plugin_dist import OWN_DISTRIBUTION, vendor_distribution

CONSOLE_SCRIPT = Path(sys.executable).parent / ("precheck.exe" if os.name == "nt" else "precheck")
#: The two advisory spine checks: their verdict is "pass" on any machine, so exit status 0.
SPINE = ("--only", "power.battery", "--only", "system.resources")


def cli(*argv: str, environ: dict[str, str] | None = None) -> tuple[ExitStatus, str, str]:
    out, err = io.StringIO(), io.StringIO()
    env_vars = {"PRECHECK_HOME": os.environ["PRECHECK_HOME"], **(environ or {})}
    status = run_cli(list(argv), Environment(out, err, env_vars))
    return status, out.getvalue(), err.getvalue()


def test_version() -> None:
    assert cli("--version") == (ExitStatus.OK, f"precheck {__version__}\n", "")


def test_run_json_prints_the_signed_report() -> None:
    status, out, err = cli("run", "--json", *SPINE)
    assert status is ExitStatus.OK, err
    report = json.loads(out)
    assert {c["id"] for c in report["checks"]} == {"power.battery", "system.resources"}
    assert all({"id", "status"} <= c.keys() for c in report["checks"])
    assert report["signature"]["alg"] == "Ed25519"
    assert report["verdict"] == "pass"


def test_the_exit_status_follows_the_verdict_of_all_checks(make_bundle: BundleMaker) -> None:
    """Every check judges a Windows bundle with no answers (INVENTED: nothing recorded but the
    clock; every check applies on Windows): each required check cannot tell, which blocks, so
    the exit status is 1 and the blocking list is exactly the catalog's required checks. The
    expectation comes from the catalog, not from the report under test."""
    catalog = plugins.load()
    required = sorted(c.id for c in catalog.checks if c.required)
    assert required  # else this test could not fail
    empty = make_bundle({}, checks=catalog.ids, platform=Platform.WINDOWS)
    status, out, _ = cli("run", "--json", "--bundle", str(empty))
    report = json.loads(out)
    assert [c["id"] for c in report["checks"]] == list(catalog.ids)
    assert status is ExitStatus.CHECK_FAILED
    assert (report["verdict"], sorted(report["blocking"])) == ("fail", required)
    assert {c["status"] for c in report["checks"] if c["id"] in required} == {"error"}


def test_the_exit_status_is_0_when_no_required_check_blocks(make_bundle: BundleMaker) -> None:
    advisory = [c.id for c in plugins.load().checks if not c.required]
    status, out, _ = cli("run", "--json", "--bundle", str(make_bundle({}, checks=advisory)))
    report = json.loads(out)
    assert (status, report["verdict"], report["blocking"]) == (ExitStatus.OK, "pass", [])
    assert {c["status"] for c in report["checks"]} <= {"error", "skip"}  # it could not tell...
    assert all(not c["required"] for c in report["checks"])  # ...but nothing it ran blocks


def test_only_selects_checks() -> None:
    status, out, _ = cli("run", "--json", "--only", "power.battery")
    assert status is ExitStatus.OK
    assert [c["id"] for c in json.loads(out)["checks"]] == ["power.battery"]


def test_an_unknown_check_id_is_a_usage_error() -> None:
    status, out, err = cli("run", "--only", "security.nothing", "--lang", "en")
    assert status is ExitStatus.USAGE
    assert "security.nothing" in err
    assert "power.battery" in err  # says what exists
    assert out == ""


@pytest.mark.parametrize(
    ("argv", "environ", "expected"),
    [
        (("run",), {}, "バッテリーと充電"),  # Japanese by default
        (("run", "--lang", "en"), {}, "Battery and charger"),
        (("--lang", "en", "run"), {}, "Battery and charger"),
        (("run",), {"LANG": "en_US.UTF-8"}, "Battery and charger"),
        (("run",), {"LANG": "ja_JP.UTF-8"}, "バッテリーと充電"),
        (("run",), {"PRECHECK_LANG": "en", "LANG": "ja_JP.UTF-8"}, "Battery and charger"),
        (("run", "--lang", "ja"), {"LANG": "en_US.UTF-8"}, "バッテリーと充電"),
    ],
)
def test_language_choice(argv: tuple[str, ...], environ: dict[str, str], expected: str) -> None:
    status, out, _ = cli(*argv, "--only", "power.battery", environ=environ)
    assert status is ExitStatus.OK
    assert expected in out


def test_list_json_is_the_catalog() -> None:
    status, out, _ = cli("list", "--json", "--lang", "en")
    assert status is ExitStatus.OK
    rows = {row["id"]: row for row in json.loads(out)}
    assert rows["power.battery"] == {
        "id": "power.battery", "article": "flyer", "required": False,
        "title": "Battery and charger", "platforms": ["linux", "macos", "windows"],
        "timeout_s": 5.0, "needs": [],
        "provider": {"package": OWN_DISTRIBUTION, "version": precheck.__version__},
    }
    assert rows["system.resources"]["article"] == "2(2)"
    assert rows["device.speaker"]["needs"] == ["listener", "speaker"]


def test_list_in_japanese() -> None:
    status, out, _ = cli("list")
    assert status is ExitStatus.OK
    assert "パソコンの処理能力とメモリー" in out


def test_report_write_show_verify(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    status, out, _ = cli("run", "--report", str(path), "--lang", "en", *SPINE)
    assert status is ExitStatus.OK
    assert str(path) in out
    assert cli("report", "verify", str(path))[0] is ExitStatus.OK
    status, out, _ = cli("report", "show", str(path), "--lang", "en")
    assert status is ExitStatus.OK
    assert "Battery and charger" in out
    assert "Signature: valid" in out
    page = tmp_path / "report.html"
    assert cli("report", "show", str(path), "--html", str(page))[0] is ExitStatus.OK
    assert page.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")


def test_verify_detects_tampering_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    cli("run", "--report", str(path), *SPINE)
    document = json.loads(path.read_text(encoding="utf-8"))
    first = document["checks"][0]
    first["status"] = "pass" if first["status"] != "pass" else "warn"
    path.write_text(json.dumps(document), encoding="utf-8")
    status, out, _ = cli("report", "verify", str(path), "--lang", "en")
    assert status is ExitStatus.CHECK_FAILED
    assert out.startswith("NOT VALID: ")
    assert out.count("\n") == 1


def test_verify_requires_the_expected_key(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    cli("run", "--report", str(path), *SPINE)
    key_id = json.loads(path.read_text(encoding="utf-8"))["signature"]["key_id"]
    assert cli("report", "verify", str(path), "--key-id", key_id)[0] is ExitStatus.OK
    assert cli("report", "verify", str(path), "--key-id", "k1-" + "0" * 32)[0] is (
        ExitStatus.CHECK_FAILED)


@pytest.mark.parametrize(
    ("content", "complaint"),
    [(b"", "JSON"), (b"{broken", "JSON"), (b"\xff\xfe\x00", "UTF-8"), (b"[1]", "object")],
)
def test_verify_malformed_files_is_an_input_error(tmp_path: Path, content: bytes,
                                                   complaint: str) -> None:
    path = tmp_path / "report.json"
    path.write_bytes(content)
    status, out, err = cli("report", "verify", str(path), "--lang", "en")
    assert status is ExitStatus.USAGE
    assert complaint in err
    assert err.count("\n") == 1
    assert "Traceback" not in err + out


def test_a_missing_report_is_an_input_error(tmp_path: Path) -> None:
    status, _, err = cli("report", "show", str(tmp_path / "absent.json"), "--lang", "en")
    assert status is ExitStatus.USAGE
    assert "absent.json" in err


def test_a_schema_invalid_report_is_shown_as_an_error(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"report_version": 1}), encoding="utf-8")
    assert cli("report", "verify", str(path))[0] is ExitStatus.CHECK_FAILED
    assert cli("report", "show", str(path))[0] is ExitStatus.USAGE


def test_collect_and_replay_through_the_cli(tmp_path: Path) -> None:
    path = tmp_path / "bundle.zip"
    status, out, _ = cli("collect", "-o", str(path), "--lang", "en", *SPINE)
    assert status is ExitStatus.OK
    assert "only if you want to" in out
    status, out, _ = cli("run", "--bundle", str(path), "--json", *SPINE)
    assert status is ExitStatus.OK
    report = json.loads(out)
    assert report["source"]["kind"] == "bundle"
    assert report["source"]["bundle_digest"].startswith("sha256:")


def test_run_bundle_judges_the_checks_the_bundle_was_collected_for(tmp_path: Path) -> None:
    path = tmp_path / "battery.zip"
    assert cli("collect", "-o", str(path), "--only", "power.battery")[0] is ExitStatus.OK
    status, out, err = cli("run", "--bundle", str(path), "--json")  # no --only
    assert (status, err) == (ExitStatus.OK, "")
    assert [c["id"] for c in json.loads(out)["checks"]] == ["power.battery"]


def test_a_bundle_check_not_installed_here_is_named(make_bundle: BundleMaker) -> None:
    path = make_bundle({}, checks=["power.battery", "vendor.gone"])  # INVENTED: no answers
    status, out, err = cli("run", "--bundle", str(path), "--json", "--lang", "en")
    assert status is ExitStatus.OK  # power.battery is advisory: "could not tell" does not block
    assert [c["id"] for c in json.loads(out)["checks"]] == ["power.battery"]
    assert "not installed here: vendor.gone" in err


def test_a_bad_bundle_or_policy_is_an_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.zip"
    bad.write_text("not a zip")
    assert cli("run", "--bundle", str(bad))[0] is ExitStatus.USAGE
    policy = tmp_path / "policy.toml"
    policy.write_text("[meta]\nversion = 'x'\n")
    status, _, err = cli("run", "--policy", str(policy), "--lang", "en")
    assert status is ExitStatus.USAGE
    assert "policy" in err


@pytest.mark.parametrize("argv", [("run", "--frobnicate"), ("report",), ("nonsense",)])
def test_usage_errors(argv: tuple[str, ...]) -> None:
    status, _, err = cli(*argv)
    assert status is ExitStatus.USAGE
    assert err.startswith("precheck")


def test_help_exits_zero_and_is_translated(capsys: pytest.CaptureFixture[str]) -> None:
    # argparse prints help on sys.stdout itself, not on the injected stream.
    assert cli("--help")[0] is ExitStatus.OK
    assert "ハローワークのオンライン職業相談" in capsys.readouterr().out
    assert cli("run", "--help", "--lang", "en")[0] is ExitStatus.OK
    assert "print the signed report as JSON" in capsys.readouterr().out


# -- the installed console script, as a user runs it ------------------------------------------

def run_script(*argv: str, extra_path: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ}
    if extra_path is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(extra_path),
                                                          env.get("PYTHONPATH", "")]))
    return subprocess.run([str(CONSOLE_SCRIPT), *argv], capture_output=True, text=True,
                          env=env, timeout=120, check=False)


@pytest.mark.slow
def test_console_script_version_and_bare_run() -> None:
    done = run_script("--version")
    assert (done.returncode, done.stdout) == (0, f"precheck {__version__}\n")
    done = run_script()  # no arguments: the full check in Japanese
    assert done.returncode in (0, 1), done.stderr  # 1: a required check fails on this machine
    assert "バッテリーと充電" in done.stdout
    assert ("予約できます" in done.stdout) == (done.returncode == 0)
    assert "Traceback" not in done.stdout + done.stderr


@pytest.mark.slow
def test_console_script_exit_1_when_a_required_check_cannot_run(tmp_path: Path) -> None:
    site = vendor_distribution(tmp_path / "site")
    done = run_script("run", "--lang", "en", "--only", "vendor.broken", "--only",
                      "power.battery", extra_path=site)
    assert done.returncode == 1
    assert "vendor.broken" in done.stderr  # the broken plugin is named...
    assert "Traceback" not in done.stderr + done.stdout
    assert "Battery and charger" in done.stdout  # ...and the other checks still ran


@pytest.mark.slow
def test_console_script_json_is_utf8_when_piped() -> None:
    done = subprocess.run([str(CONSOLE_SCRIPT), "run", "--json", *SPINE], capture_output=True,
                          timeout=120, check=False)
    assert done.returncode == 0
    report = json.loads(done.stdout.decode("utf-8"))
    assert report["checks"][0]["title"]["text"]["ja"] == "バッテリーと充電"


@pytest.mark.parametrize("argv", [
    ("gateway", "--help"),
    ("--lang", "en", "gateway", "--help"),
    ("-v", "--lang=ja", "gateway", "--help"),
])
def test_gateway_is_dispatched_after_global_options(argv: tuple[str, ...]) -> None:
    status, out, _ = cli(*argv)
    assert status is ExitStatus.OK
    assert "create-staff" in out  # the gateway's own parser answered, not the job seeker's


def test_gateway_is_listed_in_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, _ = cli("--lang", "ja", "--help")  # argparse prints its help to sys.stdout
    assert status is ExitStatus.OK
    assert "予約受付サーバー" in capsys.readouterr().out

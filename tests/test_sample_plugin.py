"""The sample check plugin in examples/precheck-diskspace, installed as a plugin author installs
one (its own metadata and entry points, its own code, its own catalogs): it passes its own tests,
and precheck lists it, runs it, reports it with its provider and policy section, replays it from a
bundle, orders it in the app, and the gateway requires it or not by its policy alone."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from precheck import plugins
from precheck import policy as policies
from precheck.api import N_, Check, Context, Need, Platform, Result
from precheck.cli import run_cli
from precheck.status import Environment, ExitStatus
from precheck.testing import records as records_of
from tests.plugin_dist import OWN_DISTRIBUTION, SAMPLE_PLUGIN, source_distribution

PLUGIN_ID = "diskspace.free"


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    paths = source_distribution(tmp_path / "site")
    for path in reversed(paths):
        monkeypatch.syspath_prepend(str(path))
    return paths


def cli(*argv: str) -> tuple[ExitStatus, str, str]:
    out, err = io.StringIO(), io.StringIO()
    environ = {"PRECHECK_HOME": os.environ["PRECHECK_HOME"]}
    status = run_cli(list(argv), Environment(out, err, environ))
    return status, out.getvalue(), err.getvalue()


@pytest.mark.slow
def test_the_sample_plugin_passes_its_own_tests(installed: list[Path]) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(p) for p in installed)}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                          cwd=SAMPLE_PLUGIN, env=env, capture_output=True, text=True,
                          check=False, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert " passed" in done.stdout.splitlines()[-1]


@pytest.mark.usefixtures("installed")
def test_it_is_listed_with_its_package_and_version() -> None:
    status, out, err = cli("list", "--json", "--lang", "ja")
    assert (status, err) == (ExitStatus.OK, "")
    row = next(r for r in json.loads(out) if r["id"] == PLUGIN_ID)
    assert row["provider"] == {"package": "precheck-diskspace", "version": "1.0.0"}
    assert row["article"] == "vendor:disk-space"
    assert row["title"] == "ディスクの空き容量"  # from the plugin's own catalog
    assert row["required"] is False


@pytest.mark.usefixtures("installed")
def test_the_text_list_names_the_package_once_a_plugin_is_installed() -> None:
    status, out, _ = cli("list", "--lang", "en")
    assert status is ExitStatus.OK
    assert "precheck-diskspace==" in out  # (its version may fold onto the next line)
    assert "diskspace.free" in out  # ids are never cut short


def test_the_text_list_has_no_package_names_without_plugins(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Only precheck's own entry points, whatever else this environment has installed.
    own = [ep for ep in plugins.find() if ep.dist is not None and ep.dist.name == OWN_DISTRIBUTION]
    monkeypatch.setattr(plugins, "find", lambda group=None: own)
    status, out, _ = cli("list", "--lang", "en")
    assert status is ExitStatus.OK
    assert "precheck==" not in out  # no package names while every check is precheck's own
    assert "software.running" in out


@pytest.mark.usefixtures("installed")
def test_its_report_entry_names_the_provider_and_the_policy_section_it_used() -> None:
    from precheck.reports.signing import verify

    status, out, _ = cli("run", "--json", "--only", PLUGIN_ID)
    assert status is ExitStatus.OK
    document = json.loads(out)
    entry, = document["checks"]
    assert entry["provider"] == {"package": "precheck-diskspace", "version": "1.0.0"}
    assert entry["status"] in ("pass", "warn")  # this machine's disk: either is an answer
    assert document["policy"]["plugins"] == {PLUGIN_ID: {"min_free_gb": 5, "min_free_percent": 5}}
    builtin = policies.builtin()
    assert document["policy"]["digest"] == policies.combined_digest(
        builtin.digest, document["policy"]["plugins"])
    assert verify(document).report.checks[0].provider is not None


@pytest.mark.usefixtures("installed")
def test_a_bundle_collected_for_it_replays_it_alone(tmp_path: Path) -> None:
    bundle = tmp_path / "disk.zip"
    assert cli("collect", "--only", PLUGIN_ID, "-o", str(bundle))[0] is ExitStatus.OK
    status, out, err = cli("run", "--json", "--bundle", str(bundle))
    assert (status, err) == (ExitStatus.OK, "")
    live = json.loads(out)
    assert [c["id"] for c in live["checks"]] == [PLUGIN_ID]
    assert live["checks"][0]["status"] in ("pass", "warn")
    assert live["source"]["kind"] == "bundle"


@pytest.mark.usefixtures("installed")
def test_the_app_runs_it_with_the_checks_that_need_no_device() -> None:
    from precheck.api import Need
    from precheck.tui.checkup import DEVICE_NEEDS, needing

    catalog = plugins.load()
    waiting = needing(catalog.checks, DEVICE_NEEDS)
    assert PLUGIN_ID in catalog.ids
    assert PLUGIN_ID not in waiting
    assert waiting == {"device.camera", "device.microphone", "device.speaker",
                       "environment.noise"}
    assert needing(catalog.checks, {Need.NETWORK}) == {
        "network.connectivity", "network.quality", "network.wifi"}


def _inspect(report: dict[str, object], required: tuple[str, ...] = ()) -> list[str]:
    from precheck.gateway import gate
    from precheck.gateway.settings import GatewaySettings

    settings = GatewaySettings(database_url="sqlite://", required_checks=required)
    created = datetime.strptime(str(report["created"]), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    inspection = gate.inspect(report, gate.gate_policy(settings), created + timedelta(seconds=5))
    return [reason.rule for reason in inspection.reasons]


@pytest.mark.usefixtures("installed")
def test_the_gateway_requires_it_by_its_policy_alone() -> None:
    from precheck.gateway import gate

    # Installed on the server, the plugin changes nothing: the policy names the required checks.
    assert PLUGIN_ID not in gate.builtin_required_checks()
    assert gate.builtin_required_checks() == frozenset(
        policies.builtin().section("gateway")["required_checks"])
    status, out, _ = cli("run", "--json", "--only", PLUGIN_ID, "--challenge", "nonce-1")
    assert status is ExitStatus.OK
    report = json.loads(out)
    # Its policy section keeps the pinned core digest valid; the built-in required checks are
    # missing from this one-check report, and only the ones the policy names.
    refused = _inspect(report)
    assert gate.POLICY_DIGEST not in refused
    assert refused == [gate.CHECK_MISSING] * len(gate.builtin_required_checks())
    # Named by the gateway's policy, it is required; without it the report is refused.
    assert _inspect(report, (PLUGIN_ID,)) == []
    assert _inspect(report, (PLUGIN_ID, "security.firewall")) == [gate.CHECK_MISSING]


@pytest.mark.usefixtures("installed")
def test_a_changed_plugin_section_is_caught_by_the_digest() -> None:
    from precheck.gateway import gate
    from precheck.reports.signing import Identity, sign

    _, out, _ = cli("run", "--json", "--only", PLUGIN_ID, "--challenge", "nonce-1")
    report = json.loads(out)
    del report["signature"]
    report["policy"]["plugins"][PLUGIN_ID]["min_free_gb"] = 0  # loosened after the run
    resigned = sign(report, Identity.load_or_create())
    assert gate.POLICY_DIGEST in _inspect(resigned, (PLUGIN_ID,))


class CameraLight(Check):
    """INVENTED plugin check that needs the camera: the app must make it wait with the camera
    checks, by its ``needs`` alone (its id is no built-in's)."""

    id = "vendor.camera_light"
    article = "vendor:lighting"
    required = False
    title = N_("Camera")  # a title with a translation, so it shows in both languages
    needs = frozenset({Need.CAMERA})

    def run(self, ctx: Context) -> Result:
        return self.passed(N_("Camera"))


@pytest.mark.asyncio
@pytest.mark.usefixtures("installed")
async def test_the_app_runs_it_at_once_and_a_camera_plugin_with_the_device_checks(
        tmp_path: Path) -> None:
    from precheck.plugins import Catalog
    from precheck.runner import Outcome
    from precheck.tui.app import PrecheckApp
    from precheck.tui.checkup import Checkup
    from precheck.tui.messages import CheckFinished
    from precheck.tui.screens.results import ResultsScreen
    from precheck.tui.screens.speaker import SpeakerQuestion
    from tests.tui.conftest import LINUX_FINE, Clock, merged
    from tests.tui.test_flow import first_batch_done, wait_for

    devices = merged(LINUX_FINE)
    records = {**devices.records, **records_of({
        "diskspace:usage /": {"total": 100 * 1024**3, "free": 40 * 1024**3}})}  # INVENTED
    bundle = replace(devices, records=records)
    installed_catalog = plugins.load().select([PLUGIN_ID, "device.speaker"])
    catalog = Catalog((*installed_catalog.checks, CameraLight), (), installed_catalog.providers)
    checkup = Checkup(catalog, policies.load(None, catalog.checks), bundle)
    seen: list[object] = []
    app = PrecheckApp(checkup, clock=Clock(), save_folder=tmp_path)
    async with app.run_test(size=(80, 24), message_hook=seen.append) as pilot:
        screen, rows = await first_batch_done(pilot, app, seen)
        assert rows[PLUGIN_ID].state == "pass"  # needs nothing: ran at once
        assert rows["vendor.camera_light"].state == "waiting"  # needs the camera: waits
        assert screen.step == "speaker"
        await pilot.press("enter")  # play the tone
        await wait_for(pilot, lambda: isinstance(app.screen, SpeakerQuestion))
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen))
    finished = [m.outcome for m in seen if isinstance(m, CheckFinished)]
    order = [o.meta.id for o in finished]
    assert order.index(PLUGIN_ID) < order.index("vendor.camera_light")
    document = checkup.report()
    entry = next(c for c in document["checks"] if c["id"] == PLUGIN_ID)
    assert entry["provider"] == {"package": "precheck-diskspace", "version": "1.0.0"}
    assert entry["title"]["text"]["ja"] == "ディスクの空き容量"
    assert all(isinstance(o, Outcome) for o in finished)


def test_a_failing_plugin_check_blocks_booking_only_when_the_policy_names_it() -> None:
    """A plugin marking itself required makes the job seeker's own verdict "not ready", but the
    gateway refuses for it only when its policy names it; an entry no package provides (the
    app's declarations) still counts by the report's own word."""
    from precheck.gateway import gate
    from precheck.plugins import Provider
    from precheck.probes import OsInfo
    from precheck.reports.build import build_report
    from precheck.reports.signing import Identity, device_id, sign
    from precheck.result import Message, Status
    from precheck.runner import CheckMeta, Outcome

    plugin = CheckMeta("vendor.strict", "vendor:strict", True, Message.of("Strict"),
                       provider=Provider("precheck-vendor-strict", "2.0"))
    declaration = CheckMeta("declaration.private_room", "12(3)", True, Message.of("Room"))
    builtin = sorted(gate.builtin_required_checks())
    passing = [Outcome(CheckMeta(i, "5(1)", True, Message.of(i)),  # INVENTED: all pass
                       Result(i, Status.PASS, Message.of("ok"))) for i in builtin]

    def report(*failing: CheckMeta) -> dict[str, object]:
        outcomes = passing + [Outcome(m, Result(m.id, Status.FAIL, Message.of("no")))
                              for m in failing]
        identity = Identity.load_or_create()
        document = build_report(
            outcomes, policy=policies.builtin(), device_id=device_id(identity, None),
            os_info=OsInfo(Platform.WINDOWS, "windows", "Windows 11", "23H2"),
            created=datetime.now(UTC), challenge="nonce-1")
        return sign(document, identity)

    failed_plugin = report(plugin)
    assert failed_plugin["verdict"] == "fail"  # the job seeker is told
    assert _inspect(failed_plugin, tuple(builtin)) == []  # the gateway does not require it
    assert _inspect(failed_plugin, (*builtin, "vendor.strict")) == [gate.CHECK_FAILED]
    assert _inspect(report(declaration), tuple(builtin)) == [gate.CHECK_FAILED]

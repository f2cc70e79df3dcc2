"""The checkup the app drives: runs and re-runs, declarations, the report and the bundle."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from precheck import bundle as bundles
from precheck import declarations, plugins
from precheck import policy as policies
from precheck.result import Status
from precheck.tui.checkup import Checkup, NotLive
from tests.tui.conftest import LINUX_FINE, replayed

LIVE_CHECKS = ("system.resources", "software.file_sharing")  # quick, and need no device


def run(checkup: Checkup, ids: tuple[str, ...] | None = None) -> None:
    """One run as the running screen makes it: a runner over the run's checks, then finish."""
    evaluation = checkup.begin(ids)
    runner = checkup.runner(evaluation, evaluation.catalog.ids)
    checkup.finish(evaluation, list(runner.iter_results()))


def live() -> Checkup:
    return Checkup(plugins.load().select(LIVE_CHECKS), policies.builtin())


def test_declarations_block_until_confirmed_and_say_they_are_not_measured() -> None:
    checkup = replayed(LINUX_FINE)
    run(checkup)
    report = checkup.report()
    entries = {c["id"]: c for c in report["checks"]}
    assert report["verdict"] == "fail"
    assert set(report["blocking"]) == {d.id for d in declarations.DECLARATIONS}
    assert entries["declaration.no_recording"]["fix"]  # says what to do before confirming
    for declaration in declarations.DECLARATIONS:
        checkup.declare(declaration.id, True)
    report = checkup.report()
    entries = {c["id"]: c for c in report["checks"]}
    assert report["verdict"] == "pass"
    assert entries["declaration.private_room"]["summary"]["text"]["en"].startswith(
        "You declared (not measured):")
    assert entries["declaration.private_room"]["evidence"]["measured"] is False
    with pytest.raises(KeyError):
        checkup.declare("declaration.unknown", True)


def test_no_report_before_any_run() -> None:
    with pytest.raises(Exception, match="no check has run yet"):
        replayed(LINUX_FINE).report()


def test_a_rerun_replaces_only_its_checks_and_the_report_keeps_the_oldest_time() -> None:
    checkup = live()
    run(checkup)
    first = checkup.report()["created"]
    first_outcomes = {o.meta.id: o for o in checkup.outcomes()}
    time.sleep(1.1)  # the report's time is kept to the second
    run(checkup, ("system.resources",))
    outcomes = {o.meta.id: o for o in checkup.outcomes()}
    assert outcomes["software.file_sharing"] is first_outcomes["software.file_sharing"]
    assert outcomes["system.resources"] is not first_outcomes["system.resources"]
    assert [o.meta.id for o in checkup.outcomes()] == list(checkup.catalog.ids)
    assert checkup.report()["created"] == first  # a re-run never makes older results look new


def test_the_bundle_holds_every_runs_answers_and_replays_to_the_same_results(
        tmp_path: Path) -> None:
    checkup = live()
    run(checkup)
    run(checkup, ("system.resources",))
    written = checkup.save_bundle(tmp_path / "b.zip")
    replay = bundles.read(written)
    assert set(replay.checks) == set(LIVE_CHECKS)
    again = Checkup(checkup.catalog, checkup.policy, replay)
    run(again)
    assert {o.meta.id: o.result.status for o in again.outcomes()} == {
        o.meta.id: o.result.status for o in checkup.outcomes()}
    assert all(o.result.status is not Status.ERROR for o in again.outcomes())


def test_a_replayed_run_is_not_written_as_a_bundle(tmp_path: Path) -> None:
    checkup = replayed(LINUX_FINE)
    run(checkup)
    with pytest.raises(NotLive):
        checkup.save_bundle(tmp_path / "b.zip")
    assert not (tmp_path / "b.zip").exists()


def test_a_live_run_records_the_gateway_the_network_checks_measure_against(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from precheck.probes import network

    checkup = Checkup(plugins.load().select(["system.resources"]), policies.builtin(),
                      gateway_url="http://127.0.0.1:8765")
    assert network.gateway_url(checkup.begin().system) == "http://127.0.0.1:8765"
    # no gateway in the app: none for the network checks either, whatever the environment says
    monkeypatch.setenv(network.GATEWAY_ENV, "http://elsewhere.example")
    assert network.gateway_url(live().begin().system) is None

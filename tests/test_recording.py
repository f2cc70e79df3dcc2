"""software.recording: recorders running now, matched exactly on real process lists.

Fixtures and their sources: tests/fixtures/windows/recording/SOURCES.md and
tests/fixtures/bundles/SOURCES-recording.md.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from precheck import bundle as bundles
from precheck import plugins
from precheck import policy as policies
from precheck.api import Context
from precheck.checks.software import Recording
from precheck.probes import software
from precheck.result import Status
from precheck.runner import _run_one
from precheck.session import evaluate
from precheck.system import LiveBackend, Platform, System

FIXTURES = Path(__file__).resolve().parent / "fixtures"
WINDOWS = FIXTURES / "windows" / "recording"
PROCESSES = software.PROCESS_NAMES


def tasklist_csv(text: str) -> list[str]:
    """Image names from ``tasklist /fo csv`` rows."""
    return [row[0] for row in csv.reader(io.StringIO(text)) if row]


def tasklist_table(text: str) -> list[str]:
    """Image names from ``tasklist``'s table (the name column ends where PID's digits begin)."""
    lines = text.splitlines()
    width = len(lines[1].split(" ")[0])  # the "=====" under "Image Name"
    return [line[:width].strip() for line in lines[2:] if line.strip()]


def get_process(text: str) -> list[str]:
    """``Get-Process`` ProcessName column, with the ``.exe`` that psutil shows."""
    return [line.split()[0] + ".exe" for line in text.splitlines()[2:] if line.strip()]


def windows_lists() -> dict[str, list[str]]:
    return {
        "net64plus128": tasklist_csv((WINDOWS / "tasklist-csv-win10-net64plus128.txt")
                                     .read_text("utf-8")),
        "powertoys39791": tasklist_table((WINDOWS / "tasklist-win11-powertoys39791.txt")
                                         .read_text("utf-8")),
        "powertoys40274": get_process((WINDOWS / "get-process-win11-powertoys40274.txt")
                                      .read_text("utf-8")),
    }


def run(replay: Callable[..., Context], names: list[str],
        platform: Platform = Platform.WINDOWS) -> tuple[Status, dict[str, object]]:
    result = Recording().run(replay({PROCESSES: sorted(set(names))}, platform))
    return result.status, dict(result.summary.args)


def test_the_fixture_parsers_read_the_real_lists() -> None:
    lists = windows_lists()
    assert "MicrosoftEdge.exe" in lists["net64plus128"]
    assert lists["powertoys39791"][:2] == ["System Idle Process", "System"]
    assert "AMDRSServ.exe" in lists["powertoys40274"]


@pytest.mark.parametrize("source", ["net64plus128", "powertoys39791", "powertoys40274"])
def test_real_windows_process_lists_without_a_recorder_pass(
        replay: Callable[..., Context], source: str) -> None:
    status, args = run(replay, windows_lists()[source])
    assert status is Status.PASS
    assert args["count"] == len(set(windows_lists()[source]))


@pytest.mark.parametrize(("process", "product"), [
    ("obs64.exe", "OBS Studio"), ("OBS64.EXE", "OBS Studio"), ("obs32.exe", "OBS Studio"),
    ("bdcam.exe", "Bandicam"), ("ShareX.exe", "ShareX"), ("CamtasiaStudio.exe", "Camtasia"),
    ("Audacity.exe", "Audacity"), ("Streamlabs OBS.exe", "Streamlabs Desktop"),
])
def test_a_recorder_among_a_real_windows_list_warns_naming_the_product_only(
        replay: Callable[..., Context], process: str, product: str) -> None:
    # The real list of net64plus#128 with the recorder's image name ADDED.
    names = [*windows_lists()["net64plus128"], process]
    result = Recording().run(replay({PROCESSES: names}, Platform.WINDOWS))
    assert result.status is Status.WARN
    assert result.summary.args["products"] == (product,)
    assert "12(2)" in result.summary.msgid
    text = json.dumps([result.summary.to_json(), dict(result.evidence),
                       [f.to_json() for f in result.fix]], default=list)
    for ordinary in ("chrome", "MicrosoftEdge", "Calculator", process):
        assert ordinary not in text  # the product, never the process list or the image name
    assert result.fix[0].msgid.startswith("Quit {products}")


@pytest.mark.parametrize("process", [
    # Always running parts of Windows and of graphics drivers: no warning.
    "GameBar.exe", "GameBarFTServer.exe", "NVIDIA Share.exe", "nvcontainer.exe",
    "AMDRSServ.exe", "AMDRSSrcExt.exe",
    # Cannot be told (a player), screenshots only, or too generic a name.
    "QuickTime Player", "screencaptureui", "Snagit32.exe", "Lightshot.exe", "ffmpeg.exe",
    "ffmpeg", "recorder.exe", "ScreenRecorder.exe", "Action.exe",
    # Look-alikes of listed names.
    "obs-websocket.exe", "observer.exe", "obsidian.exe", "Obsidian", "sharex-updater.exe",
    "pulseaudio", "pipewire", "zoom.us", "Zoom.exe", "Teams.exe",
])
def test_programs_that_must_not_warn(replay: Callable[..., Context], process: str) -> None:
    status, _ = run(replay, ["explorer.exe", process])
    assert status is Status.PASS


@pytest.mark.parametrize(("platform", "process", "product"), [
    (Platform.MACOS, "OBS", "OBS Studio"),
    (Platform.MACOS, "ScreenFlow", "ScreenFlow"),
    (Platform.MACOS, "Audacity", "Audacity"),
    (Platform.LINUX, "obs", "OBS Studio"),
    (Platform.LINUX, "simplescreenrecorder", "SimpleScreenRecorder"),
    (Platform.LINUX, "simplescreenrec", "SimpleScreenRecorder"),  # truncated by the kernel
    (Platform.LINUX, "vokoscreenNG", "vokoscreen"),
    (Platform.LINUX, "kazam", "Kazam"),
    (Platform.LINUX, "gpu-screen-reco", "GPU Screen Recorder"),
])
def test_macos_and_linux_recorders(replay: Callable[..., Context], platform: Platform,
                                   process: str, product: str) -> None:
    status, args = run(replay, ["launchd", "bash", process], platform)
    assert status is Status.WARN
    assert args["products"] == (product,)


def test_unreadable_process_list_is_an_error_not_a_pass(
        replay: Callable[..., Context]) -> None:
    ctx = replay({}, Platform.WINDOWS, errors={PROCESSES: ("denied", "access denied")})
    result = Recording().run(ctx)
    assert result.status is Status.ERROR
    assert result.evidence["reason"] == "denied"
    assert result.fix


def test_empty_process_list_is_an_error(replay: Callable[..., Context]) -> None:
    assert run(replay, [])[0] is Status.ERROR


def test_a_bundle_without_the_process_list_is_reported_by_the_runner(
        replay: Callable[..., Context]) -> None:
    result = _run_one(Recording, replay({}, Platform.WINDOWS))
    assert result.status is Status.ERROR
    assert "has no recording for this check" in result.summary.msgid


def test_the_process_list_is_read_for_real_on_this_machine() -> None:
    ctx = Context(System(LiveBackend()), policies.builtin())
    result = Recording().run(ctx)
    assert result.status is Status.PASS, result  # no recorder runs on the build machine
    assert isinstance(result.summary.args["count"], int)
    assert result.summary.args["count"] > 1


@pytest.mark.parametrize(("name", "status", "products"), [
    ("recording-windows10-obs", Status.WARN, ("OBS Studio",)),
    ("recording-macos-clean", Status.PASS, None),
    ("recording-linux-ssr", Status.WARN, ("SimpleScreenRecorder",)),
])
def test_bundles_replay_to_known_verdicts(name: str, status: Status,
                                          products: tuple[str, ...] | None) -> None:
    read = bundles.read(FIXTURES / "bundles" / name)
    catalog = plugins.load().select(["software.recording"])
    (outcome,) = evaluate(catalog, policies.builtin(), read).run()
    assert outcome.result.status is status, outcome.result
    if products:
        assert outcome.result.summary.args["products"] == products

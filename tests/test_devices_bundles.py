"""Device checks through whole bundles, and the device probes' parsers on recorded fixtures.

Bundles: tests/fixtures/bundles/devices-*/ (sources and what is INVENTED in each value:
tests/fixtures/bundles/SOURCES-devices.md). Fixtures: tests/fixtures/{linux,windows}/devices/
(SOURCES.md in each). The Windows privacy-switch combinations are INVENTED in the documented
shape: no captured export of those keys exists in the public material searched.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from precheck import bundle as bundles
from precheck import plugins
from precheck import policy as policies
from precheck.api import Context
from precheck.checks.devices import Camera, Microphone, Speaker
from precheck.checks.environment import Noise
from precheck.probes import devices
from precheck.probes.devices import CameraState, _linux, _windows, capture, parse_microphone
from precheck.result import Status
from precheck.session import evaluate
from precheck.system import Platform
from tests import devices_media

FIXTURES = Path(__file__).parent / "fixtures"
DEVICE_CHECKS = ("device.camera", "device.microphone", "device.speaker", "environment.noise")


def replay_bundle(name: str) -> dict[str, Any]:
    read = bundles.read(FIXTURES / "bundles" / name)
    catalog = plugins.load().select(DEVICE_CHECKS)
    assert catalog.ids == tuple(sorted(DEVICE_CHECKS))
    return {o.meta.id: o.result for o in evaluate(catalog, policies.builtin(), read).run()}


@pytest.mark.parametrize(("name", "expected", "camera_phrase"), [
    ("devices-windows11-camera-denied",
     {"device.camera": Status.FAIL, "device.microphone": Status.PASS,
      "device.speaker": Status.PASS, "environment.noise": Status.PASS}, "privacy settings"),
    ("devices-macos-covered-camera",
     {"device.camera": Status.FAIL, "device.microphone": Status.PASS,
      "device.speaker": Status.WARN, "environment.noise": Status.PASS}, "black or covered"),
    ("devices-linux-all-fine",
     {"device.camera": Status.PASS, "device.microphone": Status.PASS,
      "device.speaker": Status.PASS, "environment.noise": Status.PASS}, "camera works"),
])
def test_bundle_replays_to_known_verdicts(name: str, expected: dict[str, Status],
                                          camera_phrase: str) -> None:
    results = replay_bundle(name)
    assert {cid: r.status for cid, r in results.items()} == expected, results
    assert camera_phrase in results["device.camera"].summary.msgid
    for result in results.values():
        if result.status is not Status.PASS:
            assert result.fix


def test_the_windows_bundle_names_the_camera_switch_not_the_lens() -> None:
    camera = replay_bundle("devices-windows11-camera-denied")["device.camera"]
    # what the check read (the consent keys) and nothing about the camera itself
    assert {k: v for k, v in camera.evidence.items() if not k.startswith("probes_")} == {
        "consent": False}
    assert all(name.startswith("reg:") for name in camera.evidence["probes_read"])
    assert any("Let desktop apps access your camera" in step.msgid for step in camera.fix)


def test_bundles_hold_no_device_names_and_no_media() -> None:
    for name in ("devices-windows11-camera-denied", "devices-macos-covered-camera",
                 "devices-linux-all-fine"):
        text = (FIXTURES / "bundles" / name / "manifest.json").read_text(encoding="utf-8")
        assert len(text) < 20_000  # numbers per frame, not frames
        manifest = json.loads(text)
        for probe in manifest["probes"]:
            assert "name" not in json.dumps(probe.get("value"))


# -- Linux fixtures ------------------------------------------------------------------------------

@pytest.mark.parametrize(("fixture", "count"), [
    ("video-nodes-dell-xps13-9370.json", 2),
    ("video-nodes-clight-usb-and-laptop.json", 2),
    ("video-nodes-none.json", 0),
])
def test_video_nodes_from_real_listings(fixture: str, count: int) -> None:
    nodes = json.loads((FIXTURES / "linux" / "devices" / fixture).read_text(encoding="utf-8"))
    assert _linux.parse_video_nodes(nodes) == count


def test_a_real_recording_answer_passes(replay: Callable[..., Context]) -> None:
    folder = FIXTURES / "linux" / "devices"
    recorded = json.loads((folder / "record-null-sink-speech.json").read_text(encoding="utf-8"))
    tone = json.loads((folder / "play-tone-null-sink.json").read_text(encoding="utf-8"))
    mic = parse_microphone(recorded)
    assert mic.present
    assert mic.hostapi == "ALSA"
    ctx = replay({devices.MICROPHONE_PROBE: recorded, devices.TONE_PROBE: tone,
                  devices.HEARD_PROBE: None})
    assert Microphone().run(ctx).status is Status.PASS
    assert Noise().run(ctx).status is Status.PASS
    assert Speaker().run(ctx).status is Status.WARN  # nobody answered


# -- Windows fixtures ----------------------------------------------------------------------------

CONSENT = sorted((FIXTURES / "windows" / "devices").glob("consent-*.json"))


@pytest.mark.parametrize("path", CONSENT, ids=[p.stem for p in CONSENT])
def test_privacy_switches(path: Path, replay: Callable[..., Context]) -> None:
    fixture = json.loads(path.read_text(encoding="utf-8"))
    ctx = replay(fixture["answers"], Platform.WINDOWS)
    assert _windows.consent(ctx.system, fixture["capability"]) is fixture["consent"]
    if fixture["capability"] == "webcam" and fixture["consent"] is False:
        # denied: the camera is reported so without being opened (no opencv probe recorded)
        assert devices.camera(ctx.system).state is CameraState.DENIED


# -- the measured values in the bundles can be measured again ---------------------------------

@pytest.mark.parametrize(("bundle", "probe", "lavfi"), [
    ("devices-linux-all-fine", "opencv:camera:V4L2:0", "testsrc2=size=1280x720:rate=30"),
    ("devices-macos-covered-camera", "opencv:camera:AVFOUNDATION:0",
     "color=c=0x3a2e28:size=1280x720:rate=30"),
])
def test_camera_answers_are_the_measurement_of_their_video(tmp_path: Path, bundle: str,
                                                           probe: str, lavfi: str) -> None:
    devices_media.need("ffmpeg")
    import cv2

    video = tmp_path / "video.mp4"
    devices_media.run("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", lavfi, "-t", "3",
                      "-pix_fmt", "yuv420p", str(video))
    # A generous time budget: the frame count, not a busy machine's decoding speed, ends it
    # (the recorded bundles hit CAMERA_FRAMES within CAMERA_READ_S on the machines that made them).
    again = capture.capture_frames(str(video), cv2.CAP_FFMPEG, frames=devices.CAMERA_FRAMES,
                                   seconds=max(60.0, devices.CAMERA_READ_S))
    manifest = json.loads((FIXTURES / "bundles" / bundle / "manifest.json").read_text("utf-8"))
    recorded = next(p["value"] for p in manifest["probes"] if p["name"] == probe)
    assert isinstance(again, dict)
    assert (again["width"], again["height"]) == (recorded["width"], recorded["height"])
    assert len(again["frames"]) == len(recorded["frames"])
    for column in (0, 1):  # brightness, contrast
        measured = statistics.median(f[column] for f in again["frames"])
        kept = statistics.median(f[column] for f in recorded["frames"])
        assert measured == pytest.approx(kept, abs=1.0)


def test_the_bundles_are_judged_by_the_classes_these_tests_import() -> None:
    """The installed entry points load the very classes the unit tests exercise."""
    loaded = plugins.load().select(DEVICE_CHECKS).checks
    assert set(loaded) == {Camera, Microphone, Speaker, Noise}

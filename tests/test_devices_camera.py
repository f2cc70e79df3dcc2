"""device.camera on real video: ffmpeg-made files read through cv2.VideoCapture as a device is.

Each file is opened by the probe's own capture function (the same reads, warm-up, statistics and
release as for a camera); its answer is replayed into the check. The live test opens this
machine's camera for real: there is none here, so it must fail ("No camera found") or error.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from precheck.api import Context
from precheck.checks.devices import Camera
from precheck.errors import ProbeError
from precheck.probes import devices
from precheck.probes.devices import CameraState, _linux, _windows, capture, parse_camera
from precheck.result import Status
from precheck.system import LiveBackend, Platform, System
from tests import devices_media

videos = devices_media.videos
NODES = _linux.VIDEO_NODES_PROBE
PROBE = devices.camera_probe_name("V4L2", 0)


def read_video(path: Path) -> dict[str, object]:
    import cv2

    answer = capture.capture_frames(str(path), cv2.CAP_FFMPEG, frames=devices.CAMERA_FRAMES,
                                    seconds=devices.CAMERA_READ_S)
    assert isinstance(answer, dict)
    return answer


@pytest.mark.parametrize(
    ("video", "status", "phrase"),
    [
        ("pattern", Status.PASS, "works"),
        ("black", Status.FAIL, "black or covered"),
        ("covered", Status.FAIL, "black or covered"),
        ("frozen", Status.FAIL, "frozen"),
        ("dark", Status.WARN, "very dark"),
        ("small", Status.FAIL, "too small"),
        ("slow", Status.FAIL, "too slow"),
    ],
)
def test_real_video_decides_the_verdict(videos: dict[str, Path],
                                        replay: Callable[..., Context], video: str,
                                        status: Status, phrase: str) -> None:
    answer = read_video(videos[video])
    ctx = replay({NODES: ["/dev/video0", "/dev/video1"], PROBE: answer})
    result = Camera().run(ctx)
    assert result.status is status, dict(result.evidence)
    assert phrase in result.summary.msgid
    if status is not Status.PASS:
        assert result.fix
    assert result.evidence["frames"] == devices.CAMERA_FRAMES


def test_the_answer_holds_statistics_never_pictures(videos: dict[str, Path]) -> None:
    import json

    answer = read_video(videos["pattern"])
    assert len(json.dumps(answer)) < 5000  # 30 frames of four numbers, not 30 images
    frames = answer["frames"]
    assert isinstance(frames, list)
    assert all(len(f) == 4 for f in frames)
    assert answer["width"] == 640
    assert answer["fps_reported"] == 15


@pytest.mark.parametrize(
    ("answers", "platform", "state", "phrase"),
    [
        ({NODES: []}, Platform.LINUX, CameraState.NOT_FOUND, "No camera found"),
        ({NODES: ["/dev/video0"], PROBE: {"opened": False}}, Platform.LINUX,
         CameraState.NOT_OPENED, "could not be opened"),
        ({NODES: ["/dev/video0"], PROBE: {"opened": True, "api": "V4L2", "width": 0,
                                          "height": 0, "fps_reported": 30.0, "fps_measured": 0,
                                          "read_failures": 40, "frames": []}},
         Platform.LINUX, CameraState.BUSY, "another program"),
    ],
)
def test_states_before_any_frame(replay: Callable[..., Context], answers: dict[str, object],
                                 platform: Platform, state: CameraState, phrase: str) -> None:
    ctx = replay(answers, platform)
    assert devices.camera(ctx.system).state is state
    result = Camera().run(ctx)
    assert result.status is Status.FAIL
    assert phrase in result.summary.msgid


def test_windows_privacy_switch_is_denied_without_opening(
        replay: Callable[..., Context]) -> None:
    # The ConsentStore values are documented as "Allow"/"Deny"; INVENTED answers in that shape.
    key = _windows.CONSENT_KEY.format(capability="webcam")
    ctx = replay({f"reg:HKLM\\{key}": {"Value": "Deny"}, f"reg:HKCU\\{key}": None,
                  f"reg:HKCU\\{key}\\NonPackaged": None}, Platform.WINDOWS)
    result = Camera().run(ctx)  # no opencv probe was recorded: it must not be asked
    assert result.status is Status.FAIL
    assert "privacy" in result.summary.msgid


@pytest.mark.parametrize(("values", "consent"), [
    ({"Value": "Allow"}, True), ({"Value": "Deny"}, False), ({"Value": "Prompt"}, None),
    ({}, None), (None, None)])
def test_parse_consent(values: dict[str, object] | None, consent: bool | None) -> None:
    assert _windows.parse_consent(values) is consent  # type: ignore[arg-type]


def test_parse_video_nodes() -> None:
    assert _linux.parse_video_nodes([]) == 0
    assert _linux.parse_video_nodes(["/dev/video0", "/dev/video1"]) == 1
    assert _linux.parse_video_nodes(["/dev/video0", "/dev/video1", "/dev/video2"]) == 2


def test_malformed_capture_is_an_error() -> None:
    with pytest.raises(ProbeError):
        parse_camera({"frames": []})
    with pytest.raises(ProbeError):
        parse_camera({"opened": True, "frames": [["x", 1, None, None]]})


def test_live_camera_on_this_machine_is_never_a_pass(replay: Callable[..., Context]) -> None:
    ctx = Context(System(LiveBackend()), replay({}).policy)
    started = time.monotonic()
    result = Camera().run(ctx)
    assert result.status in (Status.FAIL, Status.ERROR)
    if not Path("/dev/video0").exists():
        assert result.summary.msgid == "No camera found"
        assert result.fix
    assert time.monotonic() - started < Camera.timeout_s


def test_preview_delivers_small_frames_without_blocking(videos: dict[str, Path]) -> None:
    import cv2

    with capture.CameraPreview(str(videos["pattern"]), cv2.CAP_FFMPEG, width=160) as preview:
        deadline = time.monotonic() + 5
        while preview.frames < 10 and time.monotonic() < deadline:
            started = time.monotonic()
            frame = preview.latest()
            # A copy under a lock takes microseconds; a read of the device would wait for the next
            # frame. The bound is generous so a loaded machine cannot fail it by scheduling alone.
            assert time.monotonic() - started < 0.1
            time.sleep(0.05)
    assert frame is not None
    assert frame.shape == (120, 160)
    assert preview.frames >= 10


def test_preview_of_a_missing_camera_says_so() -> None:
    import cv2

    with capture.CameraPreview("/nonexistent/camera.mp4", cv2.CAP_FFMPEG) as preview:
        time.sleep(0.5)
    assert preview.failed == "not_opened"
    assert preview.latest() is None

"""The live preview and level meter: real frames from a video file through OpenCV, real sound
through a PulseAudio null sink, and devices that hang or are missing."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from precheck.errors import ProbeError
from precheck.tui.feeds import CameraSource, FeedState, LiveFeeds
from tests import devices_media

videos = devices_media.videos
sounds = devices_media.sounds
null_sink = devices_media.null_sink


def until(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


class HangingMeter:
    """A meter whose device does not open until the test says so (a hung driver)."""

    def __init__(self) -> None:
        self.opened = threading.Event()
        self.released = threading.Event()
        self.go = threading.Event()

    def __enter__(self) -> HangingMeter:
        self.go.wait(30)
        self.opened.set()
        return self

    def __exit__(self, *exc: object) -> None:
        self.released.set()

    def level(self) -> float | None:
        return -20.0


def test_the_preview_shows_frames_and_close_releases_the_camera(
        videos: dict[str, Path]) -> None:
    pytest.importorskip("cv2")
    feeds = LiveFeeds(CameraSource(str(videos["pattern"]), "FFMPEG"), microphone=False)
    assert feeds.camera_state.value == "starting"  # not yet started: nothing to wait for
    feeds.start()
    assert until(lambda: feeds.camera_state is FeedState.LIVE)
    frame = feeds.frame()
    assert frame is not None
    assert frame.dtype.name == "uint8"
    assert frame.shape[1] == 160  # the preview's width: small, never the camera's picture
    feeds.close()
    assert feeds.closed
    assert feeds.frame() is None
    assert feeds.camera_state is FeedState.STOPPED
    assert not any(t.name == "camera preview" and t.is_alive() for t in threading.enumerate())


def test_a_camera_that_cannot_be_opened_says_so(tmp_path: Path) -> None:
    pytest.importorskip("cv2")
    feeds = LiveFeeds(CameraSource(str(tmp_path / "no-such-video.mp4"), "FFMPEG"),
                      microphone=False)
    feeds.start()
    assert until(lambda: feeds.camera_state is FeedState.FAILED)
    feeds.close()
    assert feeds.closed


def test_the_meter_follows_the_sound_and_close_releases_the_microphone(
        null_sink: str, sounds: dict[str, Path]) -> None:
    pytest.importorskip("sounddevice")
    player = subprocess.Popen(["paplay", "--device", null_sink, str(sounds["noise"])])
    feeds = LiveFeeds(None, microphone=True, open_s=10.0)
    try:
        feeds.start()
        assert until(lambda: feeds.meter_state is FeedState.LIVE)
        # the first stream on a fresh null sink starts late: wait for the first level
        assert until(lambda: (feeds.level() or -200.0) > -40.0)
    finally:
        feeds.close()
        player.terminate()
        player.wait(timeout=20)
    assert feeds.closed
    assert feeds.level() is None
    assert feeds.meter_state is FeedState.STOPPED


def test_a_microphone_that_never_opens_does_not_hold_anything() -> None:
    meter = HangingMeter()
    feeds = LiveFeeds(None, microphone=True, open_s=1.0, meter_factory=lambda: meter)
    started = time.monotonic()
    feeds.start()
    # start never waits for the device: waiting would last open_s (1 s); the bound is generous
    assert time.monotonic() - started < 0.5
    assert until(lambda: feeds.meter_state is FeedState.NO_ANSWER, 5.0)
    closing = time.monotonic()
    feeds.close()  # returns at once although the driver still hangs (it hangs up to 30 s)
    assert time.monotonic() - closing < 5.0
    meter.go.set()  # the driver answers late: the meter is released at once
    assert meter.released.wait(5)
    assert feeds.level() is None


def test_a_missing_microphone_is_not_found() -> None:
    def missing() -> HangingMeter:
        raise ProbeError("sounddevice:meter", "not_found", "no microphone is connected")

    feeds = LiveFeeds(None, microphone=True, meter_factory=missing)
    feeds.start()
    assert until(lambda: feeds.meter_state is FeedState.NOT_FOUND)


def test_the_devices_are_released_after_the_longest_preview(videos: dict[str, Path]) -> None:
    pytest.importorskip("cv2")
    meter = HangingMeter()
    meter.go.set()
    feeds = LiveFeeds(CameraSource(str(videos["pattern"]), "FFMPEG"), microphone=True,
                      max_s=0.5, meter_factory=lambda: meter)
    feeds.start()
    assert until(lambda: feeds.camera_state is FeedState.LIVE)
    assert until(lambda: feeds.closed, 8.0)  # nobody called close(): the time ran out
    assert meter.released.is_set()
    assert feeds.camera_state is FeedState.STOPPED
    assert feeds.meter_state is FeedState.STOPPED

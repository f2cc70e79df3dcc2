"""The app with live devices: a video file as the camera, a PulseAudio null sink as microphone and
speaker. The preview is drawn, the level moves, the tone really plays and the answer reaches the
speaker check, and quitting in the middle releases the camera and the microphone."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from precheck import plugins
from precheck import policy as policies
from precheck.result import Status
from precheck.tui.app import PrecheckApp
from precheck.tui.checkup import Checkup
from precheck.tui.feeds import CameraSource, FeedState, LiveFeeds
from precheck.tui.screens.results import ResultsScreen
from precheck.tui.screens.running import RunningScreen
from precheck.tui.screens.speaker import SpeakerQuestion
from precheck.tui.widgets.camera_view import UPPER_HALF, CameraView
from precheck.tui.widgets.level_meter import LevelMeter
from tests import devices_media
from tests.tui.conftest import LINUX_FINE, Clock, app_for, replayed
from tests.tui.test_flow import started, wait_for

videos = devices_media.videos
sounds = devices_media.sounds
null_sink = devices_media.null_sink

SIZE = (80, 24)


def camera_app(video: Path, clock: Clock, tmp_path: Path, *, microphone: bool, open_s: float
               ) -> tuple[PrecheckApp, list[LiveFeeds]]:
    """The app on the replayed fine machine with ``video`` as its camera, and the list of the
    live feeds it opens (one per device step)."""
    made: list[LiveFeeds] = []

    def feeds(check_ids: Collection[str]) -> LiveFeeds:
        made.append(LiveFeeds(CameraSource(str(video), "FFMPEG"), microphone=microphone,
                              open_s=open_s))
        return made[-1]

    return app_for(replayed(LINUX_FINE), clock, tmp_path, feeds=feeds), made


def speaker_app(clock: Clock, tmp_path: Path) -> tuple[PrecheckApp, Checkup]:
    """The app with only the speaker check, on the real devices, and its checkup."""
    checkup = Checkup(plugins.load().select(["device.speaker"]), policies.builtin())
    return app_for(checkup, clock, tmp_path), checkup


async def the_tone_asked(pilot: Pilot[Any], app: PrecheckApp) -> None:
    """Start the checks, play the tone (for real) and wait for the question: heard it?"""
    await started(pilot, app)
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, SpeakerQuestion), seconds=15)


async def at_the_look_step(pilot: Pilot[Any], app: PrecheckApp) -> RunningScreen:
    """Start the checks and wait for the running screen's preview step."""
    screen = await started(pilot, app)
    assert screen.step == "look"
    return screen


@pytest.fixture
def noise(null_sink: str, sounds: dict[str, Path]) -> Iterator[None]:
    """Pink noise playing into the null sink, so the virtual microphone hears something."""
    player = subprocess.Popen(["paplay", "--device", null_sink, str(sounds["noise"])])
    yield
    player.terminate()
    player.wait(timeout=20)


@pytest.mark.asyncio
@pytest.mark.usefixtures("noise")
async def test_the_preview_and_the_level_are_live_and_quitting_releases_both(
        videos: dict[str, Path], clock: Clock, tmp_path: Path) -> None:
    pytest.importorskip("cv2")
    pytest.importorskip("sounddevice")
    app, made = camera_app(videos["pattern"], clock, tmp_path, microphone=True, open_s=10.0)
    async with app.run_test(size=SIZE) as pilot:
        screen = await at_the_look_step(pilot, app)
        live = made[0]
        await wait_for(pilot, lambda: live.camera_state is FeedState.LIVE)
        await wait_for(pilot, lambda: (live.level() or -200) > -40, seconds=15)
        await pilot.pause(0.3)
        camera = screen.query_one(CameraView)
        drawn = str(camera.render())
        assert drawn.count(UPPER_HALF) > 100  # the picture, in half blocks
        meter = screen.query_one(LevelMeter)
        assert meter.level is not None
        assert " dB" in str(meter.render())
        await pilot.press("ctrl+q")
    assert live.closed
    assert not any(t.name == "camera preview" and t.is_alive() for t in threading.enumerate())


@pytest.mark.asyncio
@pytest.mark.usefixtures("noise")
async def test_next_releases_the_devices_before_the_device_checks(
        videos: dict[str, Path], clock: Clock, tmp_path: Path) -> None:
    pytest.importorskip("cv2")
    app, made = camera_app(videos["pattern"], clock, tmp_path, microphone=True, open_s=10.0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunningScreen))
        await wait_for(pilot, lambda: made[0].camera_state is FeedState.LIVE)
        await pilot.press("enter")  # next
        await wait_for(pilot, lambda: made[0].closed)
        assert app.screen.step == "speaker"  # type: ignore[attr-defined]
        assert not app.open_feeds


@pytest.mark.asyncio
async def test_the_tone_plays_and_the_answer_is_what_the_speaker_check_judges(
        null_sink: str, clock: Clock, tmp_path: Path) -> None:
    pytest.importorskip("sounddevice")
    app, checkup = speaker_app(clock, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await the_tone_asked(pilot, app)  # the tone plays into the null sink
        await pilot.press("n")  # nobody listens to a null sink
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen), seconds=30)
    (outcome,) = checkup.outcomes()
    assert dict(outcome.result.evidence) == {
        "output": True, "played": True, "heard": False,
        "probes_read": ("sounddevice:play_tone", "user:speaker_heard"), "probes_unread": ()}
    assert outcome.result.status is Status.FAIL


@pytest.mark.asyncio
async def test_the_meter_moves_with_the_sound_while_the_room_is_recorded(
        null_sink: str, sounds: dict[str, Path], clock: Clock, tmp_path: Path) -> None:
    pytest.importorskip("sounddevice")
    checkup = Checkup(plugins.load().select(["device.microphone", "environment.noise"]),
                      policies.builtin())
    app = app_for(checkup, clock, tmp_path)
    # speech over a noisy room: the level goes up and down while the microphone records
    player = subprocess.Popen(["paplay", "--device", null_sink, str(sounds["noisy_speech"])])
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("enter")
            await wait_for(pilot, lambda: getattr(app.screen, "step", None) == "recording")
            screen = app.screen
            await pilot.press("enter")  # record and check
            meter = screen.query_one(LevelMeter)
            shown: list[float] = []
            for _ in range(300):  # about 30 s
                await pilot.pause(0.1)
                if isinstance(app.screen, ResultsScreen):
                    break
                if meter.display and meter.level is not None:
                    shown.append(meter.level)
                    assert " dB" in str(meter.render())
            else:
                pytest.fail("the checks never ended")
    finally:
        player.terminate()
        player.wait(timeout=20)
    assert len(shown) >= 5  # about ten a second for three seconds
    assert max(shown) - min(shown) > 1.0  # the meter moved with the sound
    assert all(o.result.status is not Status.ERROR for o in checkup.outcomes())

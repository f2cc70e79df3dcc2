"""The device steps as a pre-call test: the tone can be played again before answering."""

from __future__ import annotations

from pathlib import Path

import pytest

from precheck.tui.screens.results import ResultsScreen
from precheck.tui.screens.running import RunningScreen
from precheck.tui.screens.speaker import SpeakerQuestion
from tests import devices_media
from tests.tui.conftest import LINUX_FINE, Clock, app_for, replayed
from tests.tui.test_flow import SIZE, text_of, wait_for
from tests.tui.test_live_devices import at_the_look_step, camera_app, speaker_app, the_tone_asked

null_sink = devices_media.null_sink


@pytest.mark.asyncio
async def test_the_tone_can_be_played_again_before_answering(clock: Clock,
                                                             tmp_path: Path) -> None:
    checkup = replayed(LINUX_FINE)
    app = app_for(checkup, clock, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunningScreen)
                       and app.screen.step == "speaker")
        await pilot.press("enter")  # play the tone
        await wait_for(pilot, lambda: isinstance(app.screen, SpeakerQuestion))
        assert "もう一度鳴らす" in str(app.screen.query_one("#again").label)  # type: ignore[attr-defined]
        first = app.screen
        await pilot.press("a")  # once more
        await wait_for(pilot, lambda: isinstance(app.screen, SpeakerQuestion)
                       and app.screen is not first)
        await pilot.press("y")
        await wait_for(pilot, lambda: getattr(app.screen, "step", None) == "recording")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen))
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ResultsScreen)
        assert screen.items["device.speaker"].view.summary == "テスト音が聞こえました"


@pytest.mark.asyncio
async def test_playing_again_really_plays_and_the_first_playing_is_what_counts(
        null_sink: str, clock: Clock, tmp_path: Path) -> None:
    """Live, into a PulseAudio null sink: the tone plays twice; the check reads the first."""
    pytest.importorskip("sounddevice")
    from precheck.result import Status

    app, checkup = speaker_app(clock, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await the_tone_asked(pilot, app)
        first = app.screen
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, SpeakerQuestion)
                       and app.screen is not first, seconds=15)
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen), seconds=30)
    (outcome,) = checkup.outcomes()
    assert dict(outcome.result.evidence) == {
        "output": True, "played": True, "heard": True,
        "probes_read": ("sounddevice:play_tone", "user:speaker_heard"), "probes_unread": ()}
    assert outcome.result.status is Status.PASS


@pytest.mark.asyncio
async def test_the_room_recording_counts_down(clock: Clock, tmp_path: Path) -> None:
    from precheck.tui.text import Words

    app = app_for(replayed(LINUX_FINE), clock, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunningScreen)
                       and app.screen.step == "speaker")
        screen = app.screen
        assert isinstance(screen, RunningScreen)
        screen.recording_since = clock.now  # as when the microphone check starts
        words = Words("ja")
        assert screen._countdown(words) == "あと 3 秒"
        clock.now += 1.2
        assert screen._countdown(words) == "あと 2 秒"
        clock.now += 2.0
        assert screen._countdown(words) == "録音しました。測っています…"


@pytest.mark.asyncio
async def test_a_camera_that_will_not_open_shows_its_fix_in_the_preview_step(
        clock: Clock, tmp_path: Path) -> None:
    """A camera that cannot be opened (here: a video file that does not exist, through the real
    OpenCV preview): the fix is shown where the job seeker sees the empty preview."""
    pytest.importorskip("cv2")
    from precheck.tui.feeds import FeedState

    app, made = camera_app(tmp_path / "no-such-camera.mp4", clock, tmp_path, microphone=False,
                           open_s=5.0)
    async with app.run_test(size=SIZE) as pilot:
        await at_the_look_step(pilot, app)
        await wait_for(pilot, lambda: made[0].camera_state in (
            FeedState.FAILED, FeedState.NOT_FOUND, FeedState.NO_ANSWER), seconds=15)
        await wait_for(pilot, lambda: "カメラが映りません" in text_of(app, "#step-text"))
        assert "プライバシーとセキュリティ" in text_of(app, "#step-text")
        await pilot.press("ctrl+q")

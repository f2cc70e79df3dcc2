"""The running screen's panel of steps with the job seeker: look at the camera and microphone,
hear the test tone, and be told before the microphone records the room.

The steps come before the device checks run: the preview must have released the camera, the
answer must be recorded before the speaker check reads it, and nobody should be surprised by a
recording. :class:`DeviceSteps` is the running screen's base; the screen says when the checks
run (:meth:`DeviceSteps.checks_running`) and starts the device checks after the last step
(:meth:`DeviceSteps.start_devices`).
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Button, Static

from precheck.api import Need
from precheck.errors import ProbeError
from precheck.reports.render.wrap import Prose
from precheck.result import N_
from precheck.tui import background
from precheck.tui.checkup import needs_of
from precheck.tui.feeds import FeedState
from precheck.tui.messages import ToneFinished
from precheck.tui.screens import AppScreen, relabel
from precheck.tui.widgets.camera_view import CameraView
from precheck.tui.widgets.level_meter import LevelMeter

if TYPE_CHECKING:
    from precheck.session import Evaluation
    from precheck.tui.feeds import LiveFeeds
    from precheck.tui.text import Words

AUTOMATIC = N_("The other items are checked automatically. This takes up to a minute.")

LOOK_TITLE = N_("Camera and microphone")
LOOK_TEXT = N_("Check that you can see yourself, and that the bar moves when you speak. Then "
               "press Next.")
NEXT = N_("Next")
SPEAKER_TITLE = N_("Speaker or headphones")
SPEAKER_TEXT = N_("Press Play tone: a beep sounds for one second. Turn the volume up first.")
PLAY = N_("Play tone")
PLAYING = N_("Playing the tone...")
NO_TONE = N_("The tone could not be played. The results will say how to fix this.")
RECORD_TITLE = N_("The room's noise")
RECORD_TEXT = N_("Next, the microphone records the room for 3 seconds (nothing is saved). Be in "
                 "the room where you will have the consultation, with the door and windows "
                 "closed. When it starts, say \"Hello\".")
RECORD = N_("Record and check")
RECORDING = N_("Recording. Please say \"Hello\" now...")
SECONDS_LEFT = N_("{seconds} s left")
RECORDED = N_("Recorded. Measuring...")
DEVICES_RUNNING = N_("Checking the camera, microphone and speaker...")
NOTHING_TO_DO = N_("Nothing to do here: the checks run by themselves.")

#: Shown where the preview fails, so the fix is where the problem is seen.
CAMERA_FIX = N_("The camera does not show. Close other programs that may use it (a video app, "
                "a browser tab), check that it is connected, and allow camera access (Windows: "
                "Settings > Privacy & security > Camera; Mac: System Settings > Privacy & "
                "Security > Camera). Then press Next: the results say what was found.")
MIC_FIX = N_("The microphone does not answer. Check that it is connected and not muted, and "
             "allow microphone access (Windows: Settings > Privacy & security > Microphone; "
             "Mac: System Settings > Privacy & Security > Microphone).")
_FAILING = frozenset({FeedState.NOT_FOUND, FeedState.FAILED, FeedState.NO_ANSWER})
CAMERA_LABEL = N_("Camera")
MIC_LABEL = N_("Mic")
FEED_NOTES = {
    FeedState.STARTING: N_("Starting..."),
    FeedState.NOT_FOUND: N_("None found"),
    FeedState.FAILED: N_("Could not be opened"),
    FeedState.NO_ANSWER: N_("Does not answer"),
    FeedState.STOPPED: N_("Stopped"),
    FeedState.OFF: "",
    FeedState.LIVE: "",
}


class DeviceSteps(AppScreen):
    """The steps that need the job seeker, before the device checks run."""

    def __init__(self) -> None:
        super().__init__()
        self.evaluation: Evaluation | None = None
        self.steps: list[str] = []
        self.step: str | None = None
        self.feeds: LiveFeeds | None = None
        self.busy = False  # the tone is playing
        self.note = ""  # a message id shown above the step: what went wrong in the last one
        self.recording = False  # the job seeker was told the microphone records now
        self.recording_since: float | None = None  # the app's clock when it began
        self.feed_fixes: tuple[str, ...] = ()  # what to do about a preview that fails
        self.device_ids: frozenset[str] = frozenset()  # the checks the steps are for

    def compose_panel(self) -> ComposeResult:
        """The panel: the step's title, the preview and level, its words and its button."""
        with Vertical(id="device-panel"):
            yield Static(id="step-title", classes="section-title")
            yield CameraView(id="camera")
            yield LevelMeter(id="meter")
            yield Static(id="step-text")
            yield Button(id="step-button", variant="primary")

    def checks_running(self) -> bool:
        """True while any checks run (or wait for the steps)."""
        raise NotImplementedError

    def devices_checking(self) -> bool:
        """True while the device checks run, after the steps."""
        raise NotImplementedError

    def start_devices(self) -> None:
        """Run the device checks, if they wait: the steps are over."""
        raise NotImplementedError

    def steps_for(self, device_ids: set[str]) -> list[str]:
        steps = []
        assert self.evaluation is not None  # noqa: S101 - set on mount
        needs = needs_of(self.evaluation.catalog.select(device_ids).checks)
        self.device_ids = frozenset(device_ids)
        if needs & {Need.CAMERA, Need.MICROPHONE} and self.precheck.feeds_factory:
            feeds = self.precheck.feeds_factory(device_ids)
            if feeds is not None:
                self.feeds = feeds
                steps.append("look")
        if needs & {Need.SPEAKER, Need.LISTENER}:
            steps.append("speaker")
        if Need.MICROPHONE in needs:
            steps.append("recording")
        return steps

    def _show_step(self, words: Words) -> None:
        step = self.step
        title, text = "", words(AUTOMATIC if self.checks_running() else NOTHING_TO_DO)
        if step == "look":
            title, text, label = words(LOOK_TITLE), words(LOOK_TEXT), words(NEXT)
        elif step == "speaker":
            title, label = words(SPEAKER_TITLE), words(PLAY)
            text = words(PLAYING if self.busy else SPEAKER_TEXT)
        elif step == "recording":
            title, text, label = words(RECORD_TITLE), words(RECORD_TEXT), words(RECORD)
        elif self.devices_checking():
            title = words(RECORD_TITLE if self.recording else LOOK_TITLE)
            text = words(RECORDING if self.recording else DEVICES_RUNNING)
            if self.recording and self.recording_since is not None:
                text = f"{text}\n{self._countdown(words)}"
        self.query_one("#step-title", Static).update(title)
        if self.note and step is not None:
            text = f"{words(self.note)}\n\n{text}"
        if step == "look" and self.feed_fixes:
            text = "\n\n".join([text, *(words(fix) for fix in self.feed_fixes)])
        self.query_one("#step-text", Static).update(Prose(text))
        button = self.query_one("#step-button", Button)
        button.display = step is not None and not self.busy
        if step is not None:
            relabel(button, label)
        live = step == "look"
        self.query_one("#camera", CameraView).display = live and self._has_camera()
        meter = self.query_one("#meter", LevelMeter)
        meter.display = live and self._has_microphone()
        if step is None and self.recording:
            self._show_recording_level(meter, words)

    def _show_recording_level(self, meter: LevelMeter, words: Words) -> None:
        """The room recording's level as it goes: the job seeker sees the microphone hear them
        (nothing shows on a replay, or before the recording starts and after it ends)."""
        from precheck.probes.devices.capture import RECORDING_LEVEL

        level = RECORDING_LEVEL.dbfs
        meter.display = level is not None
        if level is not None:
            meter.show(words(MIC_LABEL), level)

    def _has_camera(self) -> bool:
        return self.feeds is not None and self.feeds.camera_source is not None

    def _has_microphone(self) -> bool:
        return self.feeds is not None and self.feeds.microphone

    # -- the steps with the job seeker ------------------------------------------------------------

    def _next_step(self) -> None:
        self.step = self.steps.pop(0) if self.steps else None
        if self.step == "look" and self.feeds is not None:
            self.precheck.open_feeds.add(self.feeds)
            self.feeds.start()
        if self.step is None:
            self.start_devices()
        self._show_step(self.precheck.words)
        button = self.query_one("#step-button", Button)
        if button.display:
            button.focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id != "step-button" or self.busy:
            return
        if self.step == "look":
            self._close_feeds()
            self._next_step()
        elif self.step == "speaker":
            self.busy = True
            self._show_step(self.precheck.words)
            self.play_tone()
        elif self.step == "recording":
            self.recording = True  # the countdown starts with the recording check itself
            self.set_interval(0.1, self._tick_countdown, name="countdown")
            self._next_step()

    def action_choose_devices(self) -> None:
        """V: choose the camera, microphone and speaker before the device checks use them."""
        from precheck.tui.screens.device_choice import DeviceChoice

        if self.step is not None and not self.busy:
            self.app.push_screen(DeviceChoice(), self._devices_chosen)

    def _devices_chosen(self, changed: bool | None) -> None:
        """A new choice: the preview shows the chosen camera and microphone from now on."""
        if not changed or self.step != "look" or self.precheck.feeds_factory is None:
            return
        self._close_feeds()
        self.feeds = self.precheck.feeds_factory(self.device_ids)
        if self.feeds is not None:
            self.precheck.open_feeds.add(self.feeds)
            self.feeds.start()
        self.feed_fixes = ()
        self._show_step(self.precheck.words)

    def _countdown(self, words: Words) -> str:
        """How long the room recording still takes, in whole seconds (the microphone check
        records RECORD_S seconds once it starts)."""
        import math

        from precheck.probes.devices import RECORD_S

        if self.recording_since is None:
            return ""
        left = math.ceil(RECORD_S - (self.precheck.clock() - self.recording_since))
        return words(SECONDS_LEFT, seconds=left) if left > 0 else words(RECORDED)

    def _tick_countdown(self) -> None:
        if self.recording:
            self._show_step(self.precheck.words)

    def _close_feeds(self) -> None:
        feeds, self.feeds = self.feeds, None
        if feeds is not None:
            self.precheck.open_feeds.discard(feeds)
            background.in_daemon(feeds.close, "release the camera and microphone")

    @work(thread=True, group="tone", exit_on_error=False)
    def play_tone(self, again: bool = False) -> None:
        """Play the test tone (recorded for the speaker check); ``again``: once more on this
        computer, not recorded (the first playing is what the check reads)."""
        from precheck.probes.devices import play_test_tone, play_tone_again

        assert self.evaluation is not None  # noqa: S101 - set on mount
        system = self.evaluation.system
        live = again and self.precheck.checkup.live
        try:
            present, played = background.wait_in_worker(
                play_tone_again if live else (lambda: play_test_tone(system)), "test tone")
        except background.Cancelled:
            return
        except ProbeError as exc:
            self.post_message(ToneFinished(present=False, played=False, problem=str(exc)))
            return
        self.post_message(ToneFinished(present, played))

    def on_tone_finished(self, message: ToneFinished) -> None:
        from precheck.tui.screens.speaker import SpeakerQuestion

        self.busy = False
        if not message.played:
            self.note = NO_TONE  # shown above the next step's words
            self._next_step()
            return
        self.app.push_screen(SpeakerQuestion(), self._heard)

    def _heard(self, heard: bool | str | None) -> None:
        from precheck.probes.devices import confirm_speaker
        from precheck.tui.screens.speaker import PLAY_AGAIN

        if heard == PLAY_AGAIN:
            self.busy = True
            self.play_tone(again=True)  # then the same question again
            return
        if isinstance(heard, bool) and self.evaluation is not None:
            # A replayed bundle may hold no answer (ProbeMissing): the check says so itself.
            with contextlib.suppress(ProbeError):
                confirm_speaker(self.evaluation.system, heard)  # recorded: no device work
        self._next_step()

    def show_feeds(self, words: Words) -> None:
        """Redraw the preview and the level, and the fixes when either fails."""
        feeds = self.feeds
        if feeds is None or self.step != "look":
            return
        state = feeds.camera_state
        fixes = tuple(fix for fix, failing in ((CAMERA_FIX, state in _FAILING),
                                               (MIC_FIX, feeds.meter_state in _FAILING))
                      if failing)
        if fixes != self.feed_fixes:
            self.feed_fixes = fixes
            self._show_step(words)
        self.query_one("#camera", CameraView).show_frame(
            feeds.frame() if state is FeedState.LIVE else None,
            f"{words(CAMERA_LABEL)}: {words(FEED_NOTES[state])}" if FEED_NOTES[state] else "")
        meter_state = feeds.meter_state
        self.query_one("#meter", LevelMeter).show(
            words(MIC_LABEL), feeds.level() if meter_state is FeedState.LIVE else None,
            words(FEED_NOTES[meter_state]) if FEED_NOTES[meter_state] else "")

"""The running screen: every check's live status, and the steps that need the job seeker.

Checks that need no person start at once, in a thread worker. Meanwhile the job seeker looks at
the live camera preview and microphone level, hears the test tone and answers whether it was
heard, and is told before the microphone records the room. Only then do the device checks run:
the preview must have released the camera, the answer must be recorded before the speaker check
reads it, and nobody should be surprised by a recording.
"""

from __future__ import annotations

import contextlib
import queue
from collections.abc import Collection
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, ProgressBar, Static
from textual.worker import get_current_worker

from precheck.api import Need
from precheck.errors import ProbeError
from precheck.result import N_
from precheck.runner import CheckMeta, Outcome, Runner
from precheck.tui import background
from precheck.tui.checkup import DEVICE_NEEDS, needing, needs_of
from precheck.tui.feeds import FeedState
from precheck.tui.messages import CheckFinished, ChecksFinished, CheckStarted, ToneFinished
from precheck.tui.screens import AppScreen, relabel
from precheck.tui.widgets.camera_view import CameraView
from precheck.tui.widgets.check_row import CheckRow
from precheck.tui.widgets.keybar import Key, KeyBar
from precheck.tui.widgets.level_meter import LevelMeter
from precheck.tui.wrap import Prose

if TYPE_CHECKING:
    from precheck.session import Evaluation
    from precheck.tui.feeds import LiveFeeds
    from precheck.tui.text import Words

TITLE = N_("Checking this computer")
TITLE_AGAIN = N_("Checking again")
PROGRESS = N_("{done} of {total} done")
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

KEYS = (Key("Esc", N_("Cancel"), "screen.cancel"), Key("F1", N_("Help"), "app.help"),
        Key("F2", N_("English / 日本語"), "app.toggle_language"),
        Key("Ctrl+Q", N_("Quit"), "app.quit"))

#: How often running times, the preview and the level are redrawn (seconds).
TICK_S = 0.1


class RunningScreen(AppScreen):
    """Runs all checks, or the ones to check again (``ids``), and shows each as it goes."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", show=False)]

    def __init__(self, ids: Collection[str] | None = None) -> None:
        super().__init__()
        self.ids = None if ids is None else frozenset(ids)
        self.evaluation: Evaluation | None = None
        self.rows: dict[str, CheckRow] = {}
        self.outcomes: dict[str, Outcome] = {}
        self.batches: set[str] = set()
        self.runners: list[Runner] = []
        self.steps: list[str] = []
        self.step: str | None = None
        self.feeds: LiveFeeds | None = None
        self.busy = False  # the tone is playing
        self.note = ""  # a message id shown above the step: what went wrong in the last one
        self.recording = False  # the job seeker was told the microphone records now
        self.recording_since: float | None = None  # the app's clock when it began
        self.feed_fixes: tuple[str, ...] = ()  # what to do about a preview that fails
        self.device_batch_started = False
        self.done = False

    def compose(self) -> ComposeResult:
        yield Static(id="title", classes="screen-title")
        with Horizontal(id="run-body"):
            yield VerticalScroll(id="check-list")
            with Vertical(id="device-panel"):
                yield Static(id="step-title", classes="section-title")
                yield CameraView(id="camera")
                yield LevelMeter(id="meter")
                yield Static(id="step-text")
                yield Button(id="step-button", variant="primary")
        with Horizontal(id="progress-line"):
            yield ProgressBar(id="progress", show_eta=False)
            yield Static(id="progress-text")
        yield KeyBar(KEYS)

    def on_mount(self) -> None:
        checkup = self.precheck.checkup
        evaluation = self.evaluation = checkup.begin(self.ids)
        catalog = evaluation.catalog
        metas = [CheckMeta.of(c) for c in catalog.checks]
        metas += [CheckMeta.broken(f) for f in catalog.failures]
        order = {cid: i for i, cid in enumerate(catalog.ids)}
        check_list = self.query_one("#check-list", VerticalScroll)
        for meta in sorted(metas, key=lambda m: order[m.id]):
            row = self.rows[meta.id] = CheckRow(meta)
            check_list.mount(row)
        self.query_one("#progress", ProgressBar).update(total=len(self.rows), progress=0)
        ids = set(catalog.ids)
        device_ids = ids & needing(catalog.checks, DEVICE_NEEDS)
        if ids - device_ids:
            self.start_batch("main", ids - device_ids)
        if device_ids:
            self.batches.add("devices")  # waits for the steps; counted as pending already
            self.steps = self._steps_for(device_ids)
        self.set_interval(TICK_S, self._tick)
        self._next_step()
        if not self.batches:  # nothing to run (no check installed): straight to the results
            self.call_after_refresh(self._finish_if_done)

    def _steps_for(self, device_ids: set[str]) -> list[str]:
        steps = []
        assert self.evaluation is not None  # noqa: S101 - set on mount
        needs = needs_of(self.evaluation.catalog.select(device_ids).checks)
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

    # -- words ------------------------------------------------------------------------------------

    def translate(self, words: Words) -> None:
        self.query_one("#title", Static).update(words(TITLE if self.ids is None else TITLE_AGAIN))
        for row in self.rows.values():
            row.show(words, self.precheck.clock())
        self._show_step(words)
        self._show_progress(words)
        self.query_one(KeyBar).show(words)

    def _show_progress(self, words: Words) -> None:
        done = len(self.outcomes)
        self.query_one("#progress-text", Static).update(
            words(PROGRESS, done=done, total=len(self.rows)))

    def _show_step(self, words: Words) -> None:
        step = self.step
        title, text = "", words(AUTOMATIC if self.batches else NOTHING_TO_DO)
        if step == "look":
            title, text, label = words(LOOK_TITLE), words(LOOK_TEXT), words(NEXT)
        elif step == "speaker":
            title, label = words(SPEAKER_TITLE), words(PLAY)
            text = words(PLAYING if self.busy else SPEAKER_TEXT)
        elif step == "recording":
            title, text, label = words(RECORD_TITLE), words(RECORD_TEXT), words(RECORD)
        elif self.device_batch_started and "devices" in self.batches:
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
        self.query_one("#meter", LevelMeter).display = live and self._has_microphone()

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
        if self.step is None and "devices" in self.batches and not self.device_batch_started:
            self._start_devices()
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
            self.set_interval(0.25, self._tick_countdown, name="countdown")
            self._next_step()

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
        worker = get_current_worker()
        live = again and self.precheck.checkup.live
        future = background.in_daemon(
            play_tone_again if live else (lambda: play_test_tone(system)),
            "test tone")
        try:
            present, played = background.wait(future, lambda: worker.is_cancelled)
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

    # -- running checks ---------------------------------------------------------------------------

    def _start_devices(self) -> None:
        assert self.evaluation is not None  # noqa: S101 - set on mount
        self.device_batch_started = True
        self._close_feeds()
        self.start_batch("devices", needing(self.evaluation.catalog.checks, DEVICE_NEEDS))

    def start_batch(self, name: str, ids: Collection[str]) -> None:
        assert self.evaluation is not None  # noqa: S101 - set on mount
        self.batches.add(name)
        events: queue.SimpleQueue[tuple[str, object]] = queue.SimpleQueue()
        runner = self.precheck.checkup.runner(
            self.evaluation, ids, on_start=lambda check_id: events.put(("start", check_id)))
        self.runners.append(runner)
        self.run_batch(name, runner, events)

    @work(thread=True, group="checks", exit_on_error=False)
    def run_batch(self, name: str, runner: Runner,
                  events: queue.SimpleQueue[tuple[str, object]]) -> None:
        """Feed one runner's progress to the screen; return at once when cancelled."""
        evaluation = self.evaluation
        assert evaluation is not None  # noqa: S101 - set on mount
        worker = get_current_worker()

        def produce() -> None:
            for outcome in runner.iter_results():
                events.put(("done", outcome))
            # Asked now, in the background, so that making the report later needs no probe.
            evaluation.os_info()
            evaluation.machine_id()

        future = background.in_daemon(produce, f"checks: {name}")
        while True:
            if worker.is_cancelled:
                runner.cancel()
                return
            try:
                kind, item = events.get(timeout=background.POLL_S)
            except queue.Empty:
                if future.done() and events.empty():
                    break
                continue
            if kind == "start":
                self.post_message(CheckStarted(str(item)))
            else:
                assert isinstance(item, Outcome)  # noqa: S101 - the queue's contract
                self.post_message(CheckFinished(item))
        future.result()  # a bug in the runner surfaces here, as the worker's error
        self.post_message(ChecksFinished(name))

    def on_check_started(self, message: CheckStarted) -> None:
        if (self.recording and self.recording_since is None
                and self.evaluation is not None and message.check_id in needing(
                    self.evaluation.catalog.checks, {Need.MICROPHONE})):
            self.recording_since = self.precheck.clock()  # the microphone records from now
        row = self.rows.get(message.check_id)
        if row is not None:
            row.start(self.precheck.clock())
            row.show(self.precheck.words, self.precheck.clock())

    def on_check_finished(self, message: CheckFinished) -> None:
        outcome = message.outcome
        self.outcomes[outcome.meta.id] = outcome
        row = self.rows.get(outcome.meta.id)
        if row is not None:
            row.finish(str(outcome.result.status), self.precheck.clock(),
                       outcome.result.duration_s)
            row.show(self.precheck.words, self.precheck.clock())
        self.query_one("#progress", ProgressBar).update(progress=len(self.outcomes))
        self._show_progress(self.precheck.words)

    def on_checks_finished(self, message: ChecksFinished) -> None:
        self.batches.discard(message.batch)
        if message.batch == "devices":
            self.recording = False
        self._show_step(self.precheck.words)
        self._finish_if_done()

    def _finish_if_done(self) -> None:
        if self.batches or self.done:
            return
        self.done = True
        assert self.evaluation is not None  # noqa: S101 - set on mount
        self.precheck.checkup.finish(self.evaluation, self.outcomes.values())
        from precheck.tui.screens.results import ResultsScreen

        self.app.switch_screen(ResultsScreen())

    # -- redrawing --------------------------------------------------------------------------------

    def _tick(self) -> None:
        words, now = self.precheck.words, self.precheck.clock()
        for row in self.rows.values():
            if row.state in ("running", "waiting"):
                row.show(words, now)
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

    # -- leaving ----------------------------------------------------------------------------------

    async def action_cancel(self) -> None:
        """Stop the run: no report is made from a half-finished run."""
        self._stop()
        await self.precheck.release_devices()
        if self.precheck.checkup.has_results:
            from precheck.tui.screens.results import ResultsScreen

            self.app.switch_screen(ResultsScreen())
        else:
            self.app.pop_screen()

    def _stop(self) -> None:
        self.done = True
        for runner in self.runners:
            runner.cancel()
        self.workers.cancel_node(self)
        self._close_feeds()

    def on_unmount(self) -> None:
        self._stop()

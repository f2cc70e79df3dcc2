"""The running screen: every check's live status, and the steps that need the job seeker.

Checks that need no person start at once, in a thread worker. Meanwhile the job seeker looks at
the live camera preview and microphone level, hears the test tone and answers whether it was
heard, and is told before the microphone records the room. Only then do the device checks run:
the preview must have released the camera, the answer must be recorded before the speaker check
reads it, and nobody should be surprised by a recording.
"""

from __future__ import annotations

import queue
from collections.abc import Collection
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import ProgressBar, Static
from textual.worker import get_current_worker

from precheck.api import Need
from precheck.result import N_
from precheck.runner import CheckMeta, Outcome, Runner
from precheck.tui import background
from precheck.tui.checkup import DEVICE_NEEDS, needing
from precheck.tui.messages import CheckFinished, ChecksFinished, CheckStarted
from precheck.tui.screens.device_steps import DeviceSteps
from precheck.tui.widgets.check_row import CheckRow
from precheck.tui.widgets.keybar import Key, KeyBar

if TYPE_CHECKING:
    from precheck.tui.text import Words

TITLE = N_("Checking this computer")
TITLE_AGAIN = N_("Checking again")
PROGRESS = N_("{done} of {total} done")
KEYS = (Key("Esc", N_("Cancel"), "screen.cancel"), Key("V", N_("Devices"), "screen.choose_devices"),
        Key("F1", N_("Help"), "app.help"),
        Key("F2", N_("English / 日本語"), "app.toggle_language"),
        Key("Ctrl+Q", N_("Quit"), "app.quit"))

#: How often running times, the preview and the level are redrawn (seconds).
TICK_S = 0.1


class RunningScreen(DeviceSteps):
    """Runs all checks, or the ones to check again (``ids``), and shows each as it goes."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", show=False),
                                              Binding("v", "choose_devices", show=False)]

    def __init__(self, ids: Collection[str] | None = None) -> None:
        super().__init__()
        self.ids = None if ids is None else frozenset(ids)
        self.rows: dict[str, CheckRow] = {}
        self.outcomes: dict[str, Outcome] = {}
        self.batches: set[str] = set()
        self.runners: list[Runner] = []
        self.device_batch_started = False
        self.done = False

    def compose(self) -> ComposeResult:
        yield Static(id="title", classes="screen-title")
        with Horizontal(id="run-body"):
            yield VerticalScroll(id="check-list")
            yield from self.compose_panel()
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
            self.steps = self.steps_for(device_ids)
        self.set_interval(TICK_S, self._tick)
        self._next_step()
        if not self.batches:  # nothing to run (no check installed): straight to the results
            self.call_after_refresh(self._finish_if_done)

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

    # -- running checks ---------------------------------------------------------------------------

    def checks_running(self) -> bool:
        return bool(self.batches)

    def devices_checking(self) -> bool:
        return self.device_batch_started and "devices" in self.batches

    def start_devices(self) -> None:
        if "devices" not in self.batches or self.device_batch_started:
            return
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
        self.show_feeds(words)

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

"""Choosing the camera, microphone and speaker for this run (V on the running screen).

Each list comes from :mod:`precheck.probes.devices.inventory`, the system's default first chosen;
a list that found nothing says why. The choice is what the device checks of this run use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Select, Static

from precheck.reports.render.wrap import Prose
from precheck.result import N_
from precheck.tui.screens import AppModal, relabel

if TYPE_CHECKING:
    from precheck.probes.devices.inventory import Found
    from precheck.tui.text import Words

TITLE = N_("Choose the camera, microphone and speaker")
KINDS = {"camera": N_("Camera"), "microphone": N_("Microphone"),
         "speaker": N_("Speaker or headphones")}
DEFAULT = N_("{name} (default)")
UNNAMED = N_("Camera {number}")
LOADING = N_("Looking for devices...")
USE = N_("Use these")
RECORD = N_("Record and play back")
RECORDING = N_("Recording for {seconds} seconds: say something...")
PLAYING = N_("Playing back what was recorded...")
PLAYED = N_("Did you hear yourself? If not, choose another microphone or speaker.")
CANCEL = N_("Cancel")


@dataclass
class PlaybackStep(Message):
    """The record-and-play-back test moved on: a message id to show (and the problem, if any)."""

    note: str
    done: bool = False


@dataclass
class DevicesListed(Message):
    """The computer's devices of each kind were listed."""

    found: dict[str, Found]


class DeviceChoice(AppModal[bool]):
    """Three lists; dismisses with True once a choice is made (False: nothing changed)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", show=False)]
    #: A row per kind (its name beside its list), so the three lists and the buttons fit 20 lines.
    DEFAULT_CSS = """
    DeviceChoice .device-row { height: auto; }
    DeviceChoice .device-row .field-label { width: 14; margin-top: 1; }
    DeviceChoice .device-row Select { width: 1fr; }
    DeviceChoice .device-reason { width: 1fr; margin-top: 1; }
    DeviceChoice .dialog-title { margin: 1 0 0 0; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.found: dict[str, Found] = {}
        self.playback = ""  # a message id: where the record-and-play-back test is
        self.busy = False

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog wide"):
            yield Static(id="choice-title", classes="dialog-title")
            for kind in KINDS:
                with Horizontal(classes="device-row"):
                    yield Static(id=f"{kind}-label", classes="field-label")
                    yield Select[int]([], id=kind, allow_blank=True, prompt="-")
                    yield Static(id=f"{kind}-reason", classes="note device-reason")
            yield Static(id="playback", classes="note")
            with Horizontal(classes="actions"):
                yield Button(id="use", variant="primary")
                yield Button(id="record")
                yield Button(id="cancel")

    def on_mount(self) -> None:
        self.list_devices()

    @work(thread=True, exclusive=True, group="devices", exit_on_error=False)
    def list_devices(self) -> None:
        from precheck.probes.devices import inventory

        self.post_message(DevicesListed({"camera": inventory.cameras(),
                                         "microphone": inventory.microphones(),
                                         "speaker": inventory.speakers()}))

    def on_devices_listed(self, message: DevicesListed) -> None:
        self.found = message.found
        self.translate(self.precheck.words)
        self.query_one("#camera", Select).focus()

    def translate(self, words: Words) -> None:
        self.query_one("#choice-title", Static).update(words(TITLE))
        for kind, label in KINDS.items():
            self.query_one(f"#{kind}-label", Static).update(words(label))
            self._show_kind(kind, words)
        relabel(self.query_one("#use", Button), words(USE))
        relabel(self.query_one("#cancel", Button), f"{words(CANCEL)} (Esc)")
        relabel(self.query_one("#record", Button), words(RECORD))
        self._show_playback(words)

    def _show_playback(self, words: Words) -> None:
        from precheck.probes.devices.inventory import PLAYBACK_S

        line = self.query_one("#playback", Static)
        line.display = bool(self.playback)
        line.update(Prose(words(self.playback, seconds=f"{PLAYBACK_S:g}")))
        self.query_one("#record", Button).disabled = self.busy

    def _show_kind(self, kind: str, words: Words) -> None:
        found = self.found.get(kind)
        select = self.query_one(f"#{kind}", Select)
        reason = self.query_one(f"#{kind}-reason", Static)
        reason.update(Prose(words(LOADING) if found is None else words(found.reason or "")))
        reason.display = found is None or found.reason is not None
        select.display = not reason.display  # the reason stands where the list would be
        if found is None:
            return
        current = select.value
        options = []
        for device in found.devices:
            name = device.name or words(UNNAMED, number=device.index + 1)
            options.append((words(DEFAULT, name=name) if device.default else name, device.index))
        with self.prevent(Select.Changed):
            select.set_options(options)
            chosen = current if isinstance(current, int) else next(
                (d.index for d in found.devices if d.default), None)
            if chosen is not None:
                select.value = chosen

    def chosen(self, kind: str) -> int | None:
        """The chosen device's index; None for the system's default (or nothing to choose)."""
        found = self.found.get(kind)
        value = self.query_one(f"#{kind}", Select).value
        if found is None or not isinstance(value, int):
            return None
        default = next((d.index for d in found.devices if d.default), None)
        return None if value == default and kind != "camera" else value

    def _choose(self) -> None:
        from precheck.probes.devices import inventory

        inventory.choose(camera=self.chosen("camera"), microphone=self.chosen("microphone"),
                         speaker=self.chosen("speaker"))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "use":
            self._choose()
            self.dismiss(True)
        elif event.button.id == "record":
            self._choose()  # the test uses the devices chosen in the lists
            self.busy = True
            self.record_and_play_back()
        else:
            self.action_cancel()

    @work(thread=True, exclusive=True, group="playback", exit_on_error=False)
    def record_and_play_back(self) -> None:
        from precheck.probes.devices import inventory
        from precheck.tui import background

        def playing() -> None:
            self.post_message(PlaybackStep(PLAYING))

        self.post_message(PlaybackStep(RECORDING))
        try:
            problem = background.wait_in_worker(
                lambda: inventory.record_and_play_back(between=playing), "play back")
        except background.Cancelled:
            return
        self.post_message(PlaybackStep(problem or PLAYED, done=True))

    def on_playback_step(self, message: PlaybackStep) -> None:
        self.playback = message.note
        self.busy = not message.done
        self._show_playback(self.precheck.words)

    def action_cancel(self) -> None:
        self.dismiss(False)

"""Where to save the signed report or the diagnostic bundle."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Static

from precheck.reports.render.wrap import Prose
from precheck.result import N_
from precheck.tui.screens import AppModal, relabel
from precheck.tui.text import Words

REPORT_TITLE = N_("Save the signed report")
REPORT_TEXT = N_("The report holds the results only (see the first screen). You can send it to "
                 "Hello Work or show it when you book.")
BUNDLE_TITLE = N_("Save a diagnostic bundle for Hello Work staff")
BUNDLE_TEXT = N_("The bundle holds this computer's answers as it gave them: the operating system "
                 "and its security settings, every installed program and the running ones, the "
                 "network with the Wi-Fi name and hardware (MAC) addresses, and measured figures "
                 "of the camera and microphone (no pictures or sound). Folder paths in it can "
                 "include your user name. It holds no machine ID and no IP address. Send it only "
                 "to Hello Work staff, and only if you want to.")
WHERE = N_("Save as (you can change the place and the name):")
SAVE = N_("Save")
CANCEL = N_("Cancel")
EMPTY = N_("Type where to save the file.")
NO_FOLDER = N_("The folder {folder} does not exist.")


class SaveScreen(AppModal[Path | None]):
    """Asks for the file; dismisses with its path, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", show=False)]

    def __init__(self, what: str) -> None:
        super().__init__()
        self.what = what  # "report" or "bundle"

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog wide"):
            yield Static(id="save-title", classes="dialog-title")
            yield Static(id="save-text")
            yield Static(id="save-where")
            yield Input(str(self._default()), id="path")
            yield Static(id="save-problem", classes="problem")
            with Horizontal(classes="actions"):
                yield Button(id="save", variant="primary")
                yield Button(id="cancel")

    def _default(self) -> Path:
        stamp = datetime.now().astimezone().strftime("%Y%m%d-%H%M%S")
        name = (f"precheck-report-{stamp}.json" if self.what == "report"
                else f"precheck-bundle-{stamp}.zip")
        return self.precheck.save_folder / name

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    def translate(self, words: Words) -> None:
        report = self.what == "report"
        self.query_one("#save-title", Static).update(
            words(REPORT_TITLE if report else BUNDLE_TITLE))
        self.query_one("#save-text", Static).update(
            Prose(words(REPORT_TEXT if report else BUNDLE_TEXT)))
        self.query_one("#save-where", Static).update(words(WHERE))
        relabel(self.query_one("#save", Button), words(SAVE))
        relabel(self.query_one("#cancel", Button), f"{words(CANCEL)} (Esc)")

    def on_input_submitted(self) -> None:
        self._save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self._save()
        else:
            self.action_cancel()

    def _save(self) -> None:
        words = self.precheck.words
        text = self.query_one("#path", Input).value.strip().strip('"')
        problem = self.query_one("#save-problem", Static)
        if not text:
            problem.update(words(EMPTY))
            return
        path = Path(text).expanduser()
        if not path.is_absolute():  # a bare name goes where the proposed one was, not to the
            path = self.precheck.save_folder / path  # folder the app happened to start in
        path = path.resolve()  # the message names the whole place it was saved
        if not path.parent.is_dir():
            problem.update(Prose(words(NO_FOLDER, folder=str(path.parent))))
            return
        self.dismiss(path)

    def action_cancel(self) -> None:
        self.dismiss(None)

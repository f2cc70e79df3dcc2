"""Checking in on the day of the consultation, with a fresh signed report."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Select, Static

from precheck.reports.render.wrap import Prose
from precheck.result import N_
from precheck.tui import background, gateway_words
from precheck.tui.messages import CheckedIn, OfficesLoaded
from precheck.tui.screens import AppModal, LoadsOffices, ask_gateway, relabel
from precheck.tui.widgets.office_select import OfficeSelect

if TYPE_CHECKING:
    from precheck.gateway_client import CheckIn
    from precheck.tui.text import Words

TITLE = N_("Check in for today's consultation")
TEXT = N_("Type the reference from your booking email. Your fresh report is sent with it.")
OFFICE = N_("Office")
REFERENCE = N_("Reference")
SUBMIT = N_("Check in")
CLOSE = N_("Close")
EMPTY = N_("Type the reference first.")
NO_OFFICE = N_("Choose the office first.")
SENDING = N_("Checking in...")
DONE = N_("You are checked in ({time}). The consultation starts at the booked time.")


class CheckInScreen(LoadsOffices, AppModal[None]):
    """Sends the reference and the fresh report; shows what the gateway answered."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", show=False)]

    def __init__(self) -> None:
        super().__init__()
        self.result: CheckIn | None = None
        self.note = ""
        self.busy = False

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog wide"):
            yield Static(id="check-in-title", classes="dialog-title")
            yield Static(id="check-in-text")
            yield Static(id="office-label", classes="field-label")
            yield OfficeSelect([], id="office", allow_blank=True)
            yield Static(id="reference-label", classes="field-label")
            yield Input(id="reference")
            yield Static(id="check-in-status", classes="note")
            with Horizontal(classes="actions"):
                yield Button(id="submit", variant="success")
                yield Button(id="close")

    def on_mount(self) -> None:
        self.query_one("#reference", Input).focus()
        self.load_offices()

    def on_offices_loaded(self, message: OfficesLoaded) -> None:
        self.take_offices(message)
        self.translate(self.precheck.words)

    def on_select_changed(self, event: Select.Changed) -> None:
        office = next((o for o in self.offices if o.id == event.value), None)
        if office is not None:
            self.precheck.checkup.office = office

    def translate(self, words: Words) -> None:
        self.query_one("#check-in-title", Static).update(words(TITLE))
        self.query_one("#check-in-text", Static).update(Prose(words(TEXT)))
        self.query_one("#office-label", Static).update(words(OFFICE))
        self.query_one("#reference-label", Static).update(words(REFERENCE))
        self.show_offices(self.query_one("#office", Select), words.language)
        relabel(self.query_one("#submit", Button), words(SUBMIT))
        relabel(self.query_one("#close", Button), f"{words(CLOSE)} (Esc)")
        self._show_status(words)

    def _show_status(self, words: Words) -> None:
        status = self.query_one("#check-in-status", Static)
        if self.result is not None:
            status.update(words(DONE, time=gateway_words.slot_time(self.result.checked_in_at,
                                                                   words)))
        elif self.problem is not None:
            status.update(Prose(gateway_words.describe(self.problem, words)))
        else:
            status.update(words(self.note) if self.note else "")

    def on_input_submitted(self) -> None:
        self.submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "submit":
            self.submit()
        else:
            self.action_close()

    def submit(self) -> None:
        words = self.precheck.words
        if self.busy:
            return
        reference = self.query_one("#reference", Input).value.strip()
        office = self.precheck.checkup.office
        self.result, self.problem = None, None
        if not reference:
            self.note = EMPTY
        elif office is None:
            self.note = NO_OFFICE
        else:
            self.note, self.busy = SENDING, True
            self.check_in(office.id, reference)
        self._show_status(words)

    @work(thread=True, exclusive=True, group="check-in", exit_on_error=False)
    def check_in(self, office_id: str, reference: str) -> None:
        client = self.precheck.gateway
        assert client is not None  # noqa: S101 - this screen opens only with a gateway
        checkup = self.precheck.checkup

        def send() -> CheckIn:
            checkup.run_on_the_day()  # what runs now (software.running), not at the first run
            challenge = client.challenge(office_id)
            return client.check_in(reference, checkup.report(challenge.nonce))

        try:
            self.post_message(CheckedIn(*ask_gateway(send, "check-in")))
        except background.Cancelled:
            return

    def on_checked_in(self, message: CheckedIn) -> None:
        self.busy, self.note = False, ""
        self.result, self.problem = message.check_in, message.problem
        self._show_status(self.precheck.words)

    def action_close(self) -> None:
        self.dismiss(None)

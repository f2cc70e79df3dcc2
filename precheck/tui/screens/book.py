"""Booking a consultation through the gateway, with the fresh signed report.

The gateway decides everything (free slots, the office's rules, whether the report is accepted);
this screen only asks, fills in and shows its answer. The report carries a single-use challenge
fetched just before it is signed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Input, OptionList, Select, Static
from textual.widgets.option_list import Option

from precheck.gateway_client import BookingForm, GatewayError, Slot
from precheck.reports.render.wrap import Prose
from precheck.result import N_
from precheck.tui import background, gateway_words
from precheck.tui.messages import Booked, OfficesLoaded
from precheck.tui.screens import AppScreen, LoadsOffices, ask_gateway, relabel
from precheck.tui.widgets.office_select import OfficeSelect

if TYPE_CHECKING:
    from precheck.gateway_client import Booking
    from precheck.tui.offices import OfficeChoice
    from precheck.tui.text import Words

TITLE = N_("Book an online consultation")
OFFICE = N_("Office")
SLOTS = N_("Free times (Japan time), the next two weeks:")
LOADING = N_("Loading...")
NO_SLOTS = N_("No free time in the next two weeks. Please call the office.")
FIELDS = {
    "name": N_("Name"),
    "email": N_("Email address"),
    "phone": N_("Phone number"),
    "jobseeker_number": N_("Jobseeker number (on your Hello Work card, e.g. 12345-1234567)"),
    "note": N_("Anything the office should know (optional)"),
}
REQUIRED_MARK = N_("(required)")
SUBMIT = N_("Book")
BACK = N_("Back")
MISSING = N_("Please fill in: {fields}")
NO_SLOT = N_("Choose a time first.")
SENDING = N_("Sending the booking with your report...")
PENDING_BY = N_("Booked: reference {reference}, {start}. We sent you an email: open its link by "
                "{deadline}, or the booking lapses.")
PENDING = N_("Booked: reference {reference}, {start}. We sent you an email: open its link within "
             "the time it says, or the booking lapses.")
CONFIRMED = N_("Booked: reference {reference}, {start}. Keep this reference for the day: you "
               "check in with it.")
DAYS_AHEAD = 14
#: Asked when an office does not say which fields it needs: what the gateway's API takes.
DEFAULT_FIELDS = ("name", "email", "phone", "jobseeker_number", "note")
CONTRACT_REQUIRED = ("name", "email")


@dataclass
class SlotsLoaded(Message):
    """The gateway's free slots for an office arrived, or could not be had."""

    office_id: str
    slots: list[Slot]
    problem: GatewayError | None = None


class BookScreen(LoadsOffices, AppScreen):
    """Choose the office and a free time, fill in what the office asks, and book."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "back", show=False)]

    def __init__(self) -> None:
        super().__init__()
        self.slots: list[Slot] = []
        self.slots_problem: GatewayError | None = None
        self.booking: Booking | None = None
        self.busy = False

    def compose(self) -> ComposeResult:
        yield Static(id="title", classes="screen-title")
        with VerticalScroll(id="book-body"):
            yield Static(id="office-label", classes="field-label")
            yield OfficeSelect([], id="office", allow_blank=True)
            yield Static(id="slots-label", classes="field-label")
            yield OptionList(id="slots")
            for field in DEFAULT_FIELDS:
                yield Static(id=f"label-{field}", classes="field-label")
                yield Input(id=f"field-{field}")
            yield Static(id="book-status", classes="note")
        with Horizontal(classes="actions"):
            yield Button(id="submit", variant="success")
            yield Button(id="back")

    def on_mount(self) -> None:
        self.load_offices()

    # -- loading ------------------------------------------------------------------------------

    def on_offices_loaded(self, message: OfficesLoaded) -> None:
        chosen = self.take_offices(message)
        if chosen is not None:
            self._choose(chosen)
        else:
            self.translate(self.precheck.words)

    def on_select_changed(self, event: Select.Changed) -> None:
        office = next((o for o in self.offices if o.id == event.value), None)
        if office is not None:
            self._choose(office)

    def _choose(self, office: OfficeChoice) -> None:
        """The office is chosen: its free times are asked for."""
        self.precheck.checkup.office = office
        self.slots, self.slots_problem = [], None
        self.load_slots(office.id)
        self.translate(self.precheck.words)

    @work(thread=True, exclusive=True, group="slots", exit_on_error=False)
    def load_slots(self, office_id: str) -> None:
        from datetime import datetime

        from precheck.reports.render import JAPAN

        client = self.precheck.gateway
        assert client is not None  # noqa: S101 - this screen opens only with a gateway
        first = datetime.now(JAPAN).date()
        try:
            slots, problem = ask_gateway(
                lambda: client.slots(office_id, first, first + timedelta(days=DAYS_AHEAD)),
                "slots")
        except background.Cancelled:
            return
        self.post_message(SlotsLoaded(office_id, [s for s in slots or () if s.free], problem))

    def on_slots_loaded(self, message: SlotsLoaded) -> None:
        office = self.precheck.checkup.office
        if office is None or office.id != message.office_id:
            return  # an answer for an office no longer chosen
        self.slots, self.slots_problem = message.slots, message.problem
        self._show_slots(self.precheck.words)

    # -- words ----------------------------------------------------------------------------------

    def _fields(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The fields to ask (in the API's order) and the required ones."""
        office = self.precheck.checkup.office
        if office is None or not (office.required_fields or office.optional_fields):
            return DEFAULT_FIELDS, CONTRACT_REQUIRED
        wanted = set(office.required_fields) | set(office.optional_fields) | set(
            CONTRACT_REQUIRED)
        required = tuple(set(office.required_fields) | set(CONTRACT_REQUIRED))
        return tuple(f for f in DEFAULT_FIELDS if f in wanted), required

    def translate(self, words: Words) -> None:
        self.query_one("#title", Static).update(words(TITLE))
        self.query_one("#office-label", Static).update(words(OFFICE))
        self.show_offices(self.query_one("#office", Select), words.language)
        self.query_one("#slots-label", Static).update(words(SLOTS))
        asked, required = self._fields()
        for field in DEFAULT_FIELDS:
            label = words(FIELDS[field])
            if field in required:
                label += " " + words(REQUIRED_MARK)
            self.query_one(f"#label-{field}", Static).update(label)
            self.query_one(f"#label-{field}", Static).display = field in asked
            self.query_one(f"#field-{field}", Input).display = field in asked
        relabel(self.query_one("#submit", Button), words(SUBMIT))
        relabel(self.query_one("#back", Button), f"{words(BACK)} (Esc)")
        self._show_slots(words)
        self._show_status(words)

    def _show_slots(self, words: Words) -> None:
        options = self.query_one("#slots", OptionList)
        highlighted = options.highlighted
        options.clear_options()
        if self.precheck.checkup.office is None:
            return
        if self.slots_problem is not None:
            options.add_option(Option(gateway_words.describe(self.slots_problem, words),
                                      disabled=True))
        elif not self.slots and not self._slots_loaded():
            options.add_option(Option(words(LOADING), disabled=True))
        elif not self.slots:
            options.add_option(Option(words(NO_SLOTS), disabled=True))
        else:
            options.add_options(Option(gateway_words.slot_time(s.start, words), id=str(i))
                                for i, s in enumerate(self.slots))
            if highlighted is not None and highlighted < len(self.slots):
                options.highlighted = highlighted

    def _slots_loaded(self) -> bool:
        return any(w.group == "slots" and w.is_finished for w in self.workers)

    def _show_status(self, words: Words, note: str = "") -> None:
        status = self.query_one("#book-status", Static)
        if self.booking is not None:
            start = gateway_words.slot_time(self.booking.start, words)
            booking = self.booking
            if booking.status != "pending_confirmation":
                status.update(Prose(words(CONFIRMED, reference=booking.reference, start=start)))
            elif booking.confirm_by is not None:
                status.update(Prose(words(
                    PENDING_BY, reference=booking.reference, start=start,
                    deadline=gateway_words.slot_time(booking.confirm_by, words))))
            else:
                status.update(Prose(words(PENDING, reference=booking.reference, start=start)))
        elif self.problem is not None:
            status.update(Prose(gateway_words.describe(self.problem, words)))
        else:
            status.update(Prose(note))
        if self.booking is not None or self.problem is not None or note:
            # the answer to 予約する sits below the form: at 80x24 it would be off-screen
            # (once the new words are laid out: a refresh later)
            self.set_timer(0.1, lambda: status.scroll_visible(animate=False))

    # -- booking --------------------------------------------------------------------------------

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "submit":
            self.submit()
        else:
            self.action_back()

    def submit(self) -> None:
        words = self.precheck.words
        office = self.precheck.checkup.office
        if self.busy or office is None:
            return
        asked, required = self._fields()
        values = {f: self.query_one(f"#field-{f}", Input).value.strip() for f in asked}
        missing = [words(FIELDS[f]) for f in asked if f in required and not values[f]]
        if missing:
            self._show_status(words, words(MISSING, fields=tuple(missing)))
            return
        chosen = self.query_one("#slots", OptionList).highlighted_option
        if chosen is None or chosen.id is None:
            self._show_status(words, words(NO_SLOT))
            return
        form = BookingForm(
            office_id=office.id, start=self.slots[int(chosen.id)].start,
            name=values["name"], email=values["email"],
            phone=values.get("phone") or None,
            jobseeker_number=values.get("jobseeker_number") or None,
            note=values.get("note") or None, language=words.language)
        self.busy, self.problem, self.booking = True, None, None
        self._show_status(words, words(SENDING))
        self.book(form)

    @work(thread=True, exclusive=True, group="book", exit_on_error=False)
    def book(self, form: BookingForm) -> None:
        client = self.precheck.gateway
        assert client is not None  # noqa: S101 - this screen opens only with a gateway
        checkup = self.precheck.checkup

        def send() -> Booking:
            challenge = client.challenge(form.office_id)
            return client.book(form, checkup.report(challenge.nonce))

        try:
            self.post_message(Booked(*ask_gateway(send, "booking")))
        except background.Cancelled:
            return

    def on_booked(self, message: Booked) -> None:
        self.busy = False
        self.booking, self.problem = message.booking, message.problem
        if message.booking is not None:  # booked: once is enough, and the box says so
            self.precheck.booked = message.booking
            self.query_one("#submit", Button).disabled = True
        self.query_one("#book-status", Static).set_class(message.booking is not None, "-booked")
        self._show_status(self.precheck.words)

    def action_back(self) -> None:
        self.app.pop_screen()

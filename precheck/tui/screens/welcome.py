"""The first screen: what is checked and why, what is recorded, and the office to check for."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, ClassVar

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Select, Static

from precheck.reports.render.wrap import Prose
from precheck.result import N_
from precheck.tui import offices
from precheck.tui.messages import OfficesLoaded
from precheck.tui.screens import OFFICE_PROMPT, AppScreen, LoadsOffices, relabel
from precheck.tui.text import Words
from precheck.tui.widgets.keybar import Key, KeyBar
from precheck.tui.widgets.office_select import OfficeSelect

if TYPE_CHECKING:
    from precheck.gateway_client import GatewayClient

TITLE = N_("Pre-check for the Hello Work online job consultation")
INTRO = N_("This checks that this computer can be used for an online job consultation with "
           "Hello Work. It takes a few minutes. Nothing is changed on your computer.")
WHY = N_("Why: the terms of use (Article 5, the environment) say what the computer must be "
         "like. Before you book, this checks each of them:")
CHECKED = (
    N_("A safe computer: antivirus is running and up to date, and no virus it found is left "
       "(Article 5(1) and (6))"),
    N_("Internet: the computer is online, and not through free Wi-Fi or another connection "
       "whose safety is unknown (Article 5(2))"),
    N_("Operating system: still supported, with the latest security updates (Article 5(3))"),
    N_("Firewall: turned on (Article 5(4))"),
    N_("File-sharing software such as Winny or Share: not installed (Article 5(5))"),
    N_("Camera, microphone and speaker work, the room is quiet, and no recording program is "
       "running (Articles 2(2) and 12)"),
)
RECORDED_TITLE = N_("What is recorded, and what never leaves this computer (Articles 7 and 8)")
RECORDED = N_("Recorded in the report: the result of each item (pass, fail, ...), the numbers "
              "behind it (for example the microphone's loudness), the kind and version of the "
              "operating system, and a number for this computer that cannot be traced back to "
              "its name.")
NEVER = N_("Never leaves this computer: the camera's picture and the microphone's sound (they "
           "are only turned into numbers, never saved), your name, the computer's name, the "
           "Wi-Fi's name, and the list of installed programs.")
SHARING = N_("The report leaves this computer only when you save it or send it with a booking. "
             "A diagnostic bundle for staff holds more details about this computer: send it to "
             "Hello Work only if you decide to.")
OFFICE_TITLE = N_("The office you will consult")
OFFICE_LOADING = N_("Loading the list of offices...")
OFFICE_NONE = N_("No list of offices is available. You can still run the check.")
OFFICE_GATEWAY_DOWN = N_("The booking service could not be reached, so booking from this app "
                         "is not possible now. You can still run the check.")
START = N_("Start the check")
BULLET = {"ja": "・", "en": "-"}

KEYS = (Key("Enter", N_("Start"), "screen.start"), Key("F1", N_("Help"), "app.help"),
        Key("F2", N_("English / 日本語"), "app.toggle_language"),
        Key("Ctrl+Q", N_("Quit"), "app.quit"))


def bullets(lines: Iterable[str], mark: str) -> Table:
    """Bulleted lines whose wrapped text stays indented under the text."""
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")  # Japanese has no spaces to break at
    for line in lines:
        table.add_row(mark, Prose(line))
    return table


class WelcomeScreen(LoadsOffices, AppScreen):
    """What the pre-check does, in plain words, before anything runs."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("s", "start", show=False)]

    def __init__(self) -> None:
        super().__init__()
        self._offices: offices.OfficeList | None = None
        self._problem_note = ""

    def compose(self) -> ComposeResult:
        yield Static(id="title", classes="screen-title")
        with VerticalScroll(id="welcome-body"):
            yield Static(id="intro")
            yield Static(id="why")
            yield Static(id="checked", classes="bullets")
            yield Static(id="recorded-title", classes="section-title")
            yield Static(id="recorded", classes="bullets")
            yield Static(id="office-title", classes="section-title")
            yield OfficeSelect([], id="office", allow_blank=True)
            yield Static(id="office-note", classes="note")
        with Horizontal(id="welcome-actions", classes="actions"):
            yield Button(id="start", variant="primary")
        yield KeyBar(KEYS)

    def on_mount(self) -> None:
        self.query_one("#start", Button).focus()
        self.load_offices()

    def translate(self, words: Words) -> None:
        self.query_one("#title", Static).update(words(TITLE))
        self.query_one("#intro", Static).update(Prose(words(INTRO)))
        self.query_one("#why", Static).update(Prose(words(WHY)))
        mark = BULLET[words.language]
        self.query_one("#checked", Static).update(bullets((words(t) for t in CHECKED), mark))
        self.query_one("#recorded-title", Static).update(words(RECORDED_TITLE))
        self.query_one("#recorded", Static).update(
            bullets((words(t) for t in (RECORDED, NEVER, SHARING)), mark))
        self.query_one("#office-title", Static).update(words(OFFICE_TITLE))
        relabel(self.query_one("#start", Button), words(START))
        self._show_offices(words)
        self.query_one(KeyBar).show(words)

    # -- offices ----------------------------------------------------------------------------------

    def offices_gateway(self) -> GatewayClient | None:
        # The office decides the gateway (office_gateway): list the shipped profiles, not the
        # offices of the gateway an earlier choice pointed at.
        rule = self.precheck.office_gateway
        if rule is not None and not rule.fixed:
            return None
        return super().offices_gateway()

    def on_offices_loaded(self, message: OfficesLoaded) -> None:
        self._offices = message.offices
        self._show_offices(self.precheck.words)
        found = message.offices.offices
        rule = self.precheck.office_gateway
        if self.precheck.checkup.office is None:
            remembered = next((o for o in found if rule is not None and o.id == rule.remembered),
                              None)
            if remembered is not None:
                self._choose(remembered)
            elif len(found) == 1:
                self._choose(found[0])
        self._select_current()

    def _show_offices(self, words: Words) -> None:
        select = self.query_one("#office", Select)
        note = self.query_one("#office-note", Static)
        select.prompt = words(OFFICE_PROMPT)
        if self._offices is None:
            note.update(words(OFFICE_LOADING))
            return
        choices = self._offices.offices
        # New names for the same offices (F2): the choice is kept, not cleared with the options.
        with self.prevent(Select.Changed):
            select.set_options((o.name(words.language), o.id) for o in choices)
        self._select_current()
        lines = []
        if self._offices.problem is not None:
            lines.append(words(OFFICE_GATEWAY_DOWN))
        if not choices:
            lines.append(words(OFFICE_NONE))
        select.display = bool(choices)
        note.update(Prose("\n".join(lines)))

    def _select_current(self) -> None:
        chosen = self.precheck.checkup.office
        select = self.query_one("#office", Select)
        if chosen is not None and self._offices is not None and any(
                o.id == chosen.id for o in self._offices.offices):
            with self.prevent(Select.Changed):
                select.value = chosen.id

    def on_select_changed(self, event: Select.Changed) -> None:
        if self._offices is None:
            return
        value = event.value
        office = next((o for o in self._offices.offices if o.id == value), None)
        if office is None:
            self.precheck.checkup.office = None
        else:
            self._choose(office)

    def _choose(self, office: offices.OfficeChoice) -> None:
        """The office to check for; with office_gateway, its gateway too, and remembered."""
        self.precheck.checkup.office = office
        rule = self.precheck.office_gateway
        if rule is not None:
            rule.chosen(self.precheck, office)

    # -- starting ---------------------------------------------------------------------------------

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "start":
            self.action_start()

    def action_start(self) -> None:
        from precheck.tui.screens.running import RunningScreen

        self.app.push_screen(RunningScreen())

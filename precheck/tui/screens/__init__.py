"""The app's screens, one per module; :class:`Translated` redraws a screen's words."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from textual import work
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Checkbox, Select

from precheck.result import N_
from precheck.tui import background, offices
from precheck.tui.messages import OfficesLoaded

T = TypeVar("T")

#: The office list's words before an office is chosen (Textual's own "Select" is English).
OFFICE_PROMPT = N_("Choose an office")

if TYPE_CHECKING:
    from precheck.gateway_client import GatewayClient, GatewayError
    from precheck.tui.app import PrecheckApp
    from precheck.tui.offices import OfficeChoice
    from precheck.tui.text import Words


def ask_gateway(send: Callable[[], T], name: str) -> tuple[T | None, GatewayError | None]:
    """``send()`` (a gateway request) from a thread worker: its answer, or the refusal to show.

    A report that could not be signed (its key folder) is shown as the gateway's refusals are.
    Raises :class:`background.Cancelled` when the worker is cancelled.
    """
    from precheck.errors import PrecheckError
    from precheck.gateway_client import GatewayError
    from precheck.tui import gateway_words

    try:
        return background.wait_in_worker(send, name), None
    except GatewayError as exc:
        return None, exc
    except PrecheckError as exc:
        return None, gateway_words.report_failed(exc)


def relabel(button: Button | Checkbox, label: str) -> None:
    """Set a button's words; its width follows (a label change alone does not lay it out)."""
    button.label = label
    button.refresh(layout=True)


class Translated:
    """Mixin for screens: ``translate(words)`` runs on mount and whenever the language changes."""

    app: Any

    def on_mount(self) -> None:
        self.watch(self.app, "language", self._language_changed)  # type: ignore[attr-defined]

    def _language_changed(self, _language: str) -> None:
        # Quitting as a screen appears stops the app before the screen's inner widgets mount:
        # there is nothing to translate then.
        if self.app.is_running:
            self.translate(self.app.words)

    def translate(self, words: Words) -> None:
        """Set every text of the screen in the language of ``words``."""


class LoadsOffices:
    """Mixin for screens that offer offices: ``load_offices()`` reads the gateway's list (else the
    local profiles) in a thread worker and posts :class:`OfficesLoaded`; leaving the screen
    cancels the wait."""

    app: Any
    offices: tuple[OfficeChoice, ...] = ()
    problem: GatewayError | None = None

    @work(thread=True, exclusive=True, group="offices", exit_on_error=False)
    def load_offices(self) -> None:
        gateway = self.offices_gateway()
        try:
            found = background.wait_in_worker(lambda: offices.load(gateway), "office list")
        except background.Cancelled:
            return
        self.post_message(OfficesLoaded(found))  # type: ignore[attr-defined]  # a DOMNode's

    def take_offices(self, message: OfficesLoaded) -> OfficeChoice | None:
        """Keep the gateway's offices (and its problem, if any); the preselected one becomes
        the chosen office."""
        self.offices, chosen = message.offices.gateway_choice(self.app.checkup.office)
        self.problem = message.offices.problem
        if chosen is not None:
            self.app.checkup.office = chosen
        return chosen

    def show_offices(self, select: Select[str], language: str) -> None:
        """Fill the office list in ``language``, the chosen office selected (without posting a
        change: nothing was chosen by the job seeker)."""
        from precheck.tui.text import Words

        select.prompt = Words(language)(OFFICE_PROMPT)
        select.set_options((o.name(language), o.id) for o in self.offices)
        chosen = self.app.checkup.office
        if chosen is not None and any(o.id == chosen.id for o in self.offices):
            with select.prevent(Select.Changed):
                select.value = chosen.id

    def offices_gateway(self) -> GatewayClient | None:
        """The gateway whose offices to list (None: the shipped profiles)."""
        gateway: GatewayClient | None = self.app.gateway
        return gateway


class AppScreen(Translated, Screen[None]):
    """A full screen of the app."""

    @property
    def precheck(self) -> PrecheckApp:
        from precheck.tui.app import PrecheckApp

        assert isinstance(self.app, PrecheckApp)  # noqa: S101 - these screens live in it only
        return self.app


class AppModal(Translated, ModalScreen[T]):
    """A dialog over a screen; dismissing it returns a ``T``.

    A modal screen hides the app's keys, so the ones that work everywhere are bound again here.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "app.help", show=False),
        Binding("f2,l", "app.toggle_language", show=False),
    ]

    @property
    def precheck(self) -> PrecheckApp:
        from precheck.tui.app import PrecheckApp

        assert isinstance(self.app, PrecheckApp)  # noqa: S101 - these screens live in it only
        return self.app

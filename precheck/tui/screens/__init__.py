"""The app's screens, one per module; :class:`Translated` redraws a screen's words."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from textual import work
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Checkbox
from textual.worker import get_current_worker

from precheck.tui import background, offices
from precheck.tui.messages import OfficesLoaded

T = TypeVar("T")

if TYPE_CHECKING:
    from precheck.gateway_client import GatewayClient
    from precheck.tui.app import PrecheckApp
    from precheck.tui.text import Words


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

    @work(thread=True, exclusive=True, group="offices", exit_on_error=False)
    def load_offices(self) -> None:
        worker = get_current_worker()
        gateway = self.offices_gateway()
        future = background.in_daemon(lambda: offices.load(gateway), "office list")
        try:
            found = background.wait(future, lambda: worker.is_cancelled)
        except background.Cancelled:
            return
        self.post_message(OfficesLoaded(found))  # type: ignore[attr-defined]  # a DOMNode's

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

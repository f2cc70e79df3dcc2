"""The Textual app: the screens, the keys that work everywhere, and the language.

Everything the app works on comes in through its constructor (the checkup, the gateway client,
how to show the live devices, the clock), so tests run it on a replayed bundle with a fixed clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.reactive import reactive

from precheck.i18n import LANGUAGES
from precheck.result import N_
from precheck.tui.text import Words

if TYPE_CHECKING:
    from precheck.gateway_client import GatewayClient
    from precheck.tui.checkup import Checkup
    from precheck.tui.feeds import LiveFeeds
    from precheck.tui.office_gateway import OfficeGateway

QUIT_TITLE = N_("Do you want to quit?")
QUIT_HOW = N_("Press Ctrl+Q to quit.")

#: Makes the live camera and microphone views for a run of the given checks (None: no views).
FeedsFactory = Callable[[Collection[str]], "LiveFeeds | None"]


class PrecheckApp(App[None]):
    """The pre-check from the welcome screen to the booking, in Japanese or English."""

    CSS_PATH = "app.tcss"
    TITLE = "precheck"
    #: Textual's command palette (Ctrl+P) speaks English only and offers nothing a job seeker
    #: needs: every action has its key, listed in the help (F1).
    ENABLE_COMMAND_PALETTE = False
    #: Below 80 columns the screen gets the class -narrow (app.tcss hides the buttons whose keys
    #: the key bar shows, so the rest fit).
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (80, "-wide")]  # noqa: RUF012 - as Textual declares it
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "Help"),
        Binding("question_mark", "help", "Help", show=False),
        Binding("f2", "toggle_language", "Language"),
        Binding("l", "toggle_language", "Language", show=False),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    language: reactive[str] = reactive("ja")

    def __init__(self, checkup: Checkup, *, language: str = "ja",
                 gateway: GatewayClient | None = None, feeds: FeedsFactory | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 save_folder: Path | None = None,
                 office_gateway: OfficeGateway | None = None) -> None:
        super().__init__()
        self.checkup = checkup
        self.gateway = gateway
        #: How the office chosen on the welcome screen sets the gateway (None: it does not).
        self.office_gateway = office_gateway
        self.feeds_factory = feeds
        self.clock = clock
        self.save_folder = save_folder or default_save_folder()
        #: Live device views currently open; quitting releases them before the app ends.
        self.open_feeds: set[LiveFeeds] = set()
        #: What the results screen does once a re-run ends ("book" or "check-in": they waited
        #: for a result fresh enough for the gateway).
        self.after_rerun: str | None = None
        #: The booking made in this session (the gateway's answer), once there is one.
        self.booked: object | None = None
        self.set_reactive(PrecheckApp.language, language)

    @property
    def words(self) -> Words:
        return Words(self.language)

    def on_mount(self) -> None:
        from precheck.tui.screens.welcome import WelcomeScreen

        self.push_screen(WelcomeScreen())

    def watch_language(self, language: str) -> None:
        # The terminal's title bar, for the job seeker switching windows.
        self.title = self.words(N_("Hello Work online consultation: pre-check"))

    # -- keys that work on every screen -----------------------------------------------------------

    def action_toggle_language(self) -> None:
        index = LANGUAGES.index(self.language)
        self.language = LANGUAGES[(index + 1) % len(LANGUAGES)]

    def action_help_quit(self) -> None:
        """Ctrl+C: a reflex to quit; say how, in the job seeker's language (Textual's own
        message is English)."""
        self.notify(self.words(QUIT_HOW), title=self.words(QUIT_TITLE))

    def action_help(self) -> None:
        from precheck.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    async def action_quit(self) -> None:
        """Quit, releasing the camera and microphone first if a preview holds them."""
        await self.release_devices()
        self.exit()

    async def release_devices(self) -> None:
        """Close every open live view (in a thread: releasing a camera takes a moment)."""
        import asyncio

        feeds = list(self.open_feeds)
        self.open_feeds.clear()
        if feeds:
            def close_all() -> None:
                for feeds_of_a_screen in feeds:
                    feeds_of_a_screen.close()

            await asyncio.to_thread(close_all)


def default_save_folder() -> Path:
    """Where saved files go unless the job seeker types another place: Documents, else home."""
    home = Path.home()
    documents = home / "Documents"
    return documents if documents.is_dir() else home

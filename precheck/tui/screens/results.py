"""The results screen: the verdict, what blocks booking and how to fix it, the declarations, and
what to do next (check again, save, book, check in).

Everything shown comes from the report itself through the views the CLI and the HTML page use
(:mod:`precheck.reports.render`), so the screen says exactly what the saved report says.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Checkbox, Static

from precheck import declarations
from precheck.errors import PrecheckError
from precheck.reports.render.wrap import Prose
from precheck.result import N_
from precheck.tui.screens import relabel
from precheck.tui.screens.results_saving import SavesReports
from precheck.tui.widgets.check_item import CheckItem
from precheck.tui.widgets.declaration import DeclarationItem
from precheck.tui.widgets.keybar import Key, KeyBar
from precheck.tui.widgets.verdict import VerdictBanner

if TYPE_CHECKING:
    from precheck.reports.render import CheckView
    from precheck.tui.text import Words

TITLE = N_("Results")
BLOCKING = N_("What keeps you from booking")
DECLARATIONS = N_("Your declarations (Article 12): nobody can measure these, so you promise them")
OTHERS = N_("The other items")
DECLARE_FIRST = N_("Also confirm your declarations below.")
NO_REPORT = N_("The report could not be made: {reason}")
RERUN = N_("Check again")
RERUN_FAILED = N_("Check failed items again")
LEAVE = N_("Go back to the first screen?")
ALREADY_BOOKED = N_("You have booked already: the reference is in the booking screen and in "
                    "the e-mail.")
LEAVE_EXPLAIN = N_("These results are then closed: from the first screen you start a new check. "
                   "To keep them, save the report first (S).")
STALE = N_("The result is too old for booking: the required items are checked again first.")
SAVE = N_("Save report")
BUNDLE = N_("Save diagnostic bundle")
BOOK = N_("Book")
CHECK_IN = N_("Check in")
NOT_READY = N_("Booking needs the verdict \"Ready to book\". Fix the items at the top first, then "
               "check again.")

#: The results screen's own keys, in the key bar (the buttons carry no letters: five of them
#: must fit 80 columns). Short words: with a gateway the bar holds eight keys.
ITEM_KEYS = (Key("Enter", N_("Details"), "screen.details", optional=True),)
ACTION_KEYS = (Key("R", N_("Recheck"), "screen.rerun_all"),
               Key("S", N_("Save"), "screen.save('report')"),
               Key("D", N_("Staff"), "screen.save('bundle')"))
GATEWAY_KEYS = (Key("B", N_("Booking"), "screen.book"),
                Key("C", N_("Check-in"), "screen.check_in"))
LAST_KEYS = (Key("F1", N_("Help"), "app.help"), Key("Ctrl+Q", N_("Quit"), "app.quit"))


class ResultsScreen(SavesReports):
    """The outcome of the newest runs, as the report says it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "rerun_all", show=False),
        Binding("f", "rerun_failed", show=False),
        Binding("s", "save('report')", show=False),
        Binding("d", "save('bundle')", show=False),
        Binding("b", "book", show=False),
        Binding("c", "check_in", show=False),
        Binding("escape", "welcome", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.document: dict[str, Any] | None = None
        self.problem: str | None = None
        self.items: dict[str, CheckItem] = {}

    def compose(self) -> ComposeResult:
        checkup = self.precheck.checkup
        self._make_document()
        views = [v for v in self._views(self.precheck.words)
                 if not v.id.startswith("declaration.")]
        for view in views:
            self.items[view.id] = CheckItem(view)
        yield Static(id="title", classes="screen-title")
        yield VerdictBanner(id="verdict")
        with VerticalScroll(id="results-body"):
            yield Static(id="next-step-title", classes="section-title")
            yield Static(id="next-step")
            yield Static(id="blocking-title", classes="section-title")
            with Vertical(id="blocking"):
                yield from (self.items[v.id] for v in views if v.blocks)
            yield Static(id="declarations-title", classes="section-title")
            for declaration in declarations.DECLARATIONS:
                yield DeclarationItem(declaration, checkup.declared[declaration.id])
            yield Static(id="others-title", classes="section-title")
            with Vertical(id="others"):
                yield from (self.items[v.id] for v in views if not v.blocks)
        yield Static(id="message", classes="note")
        with Horizontal(id="result-actions", classes="actions"):
            yield Button(id="rerun")
            if self._failed_ids():
                yield Button(id="rerun-failed")
            yield Button(id="save-report", variant="primary")
            yield Button(id="save-bundle")
            if self.precheck.gateway is not None:
                yield Button(id="book", variant="success")
                yield Button(id="check-in")
        gateway = GATEWAY_KEYS if self.precheck.gateway is not None else ()
        yield KeyBar((*ITEM_KEYS, *ACTION_KEYS, *gateway, *LAST_KEYS))  # F2: in the help (F1)

    def on_mount(self) -> None:
        then = self.precheck.after_rerun
        self.precheck.after_rerun = None
        if self.ready:
            # The next step, one key away; the panel saying it stays in sight at the top.
            self.query_one("#book" if self.precheck.gateway is not None else "#save-report",
                           Button).focus()
            if then is not None and self.precheck.gateway is not None:
                # Booking or check-in waited for this fresh result: go on without asking its
                # age again (a re-run is as fresh as it gets).
                self.call_later(self._open_gateway_screen, then)
            return
        blocking = next((i for i in self.items.values() if i.view.blocks), None)
        if blocking is not None:
            blocking.focus()
            return
        # Only declarations are left: the first one not confirmed yet is the next thing to do.
        unticked = [d for d in self.query(DeclarationItem)
                    if not self.precheck.checkup.declared[d.declaration.id]]
        if unticked:
            unticked[0].query_one(Checkbox).focus()
            return
        first = next(iter(self.items.values()), None)
        if first is not None:
            first.focus()

    @property
    def ready(self) -> bool:
        """True when the report's verdict is "Ready to book"."""
        return self.document is not None and self.document.get("verdict") == "pass"

    def _failed_ids(self) -> list[str]:
        """The checks whose newest outcome failed or could not tell."""
        return [o.meta.id for o in self.precheck.checkup.outcomes()
                if o.result.status.blocks]

    def _next_step(self, words: Words) -> None:
        from datetime import UTC, datetime

        from precheck.tui import next_step

        checkup = self.precheck.checkup
        verdict = "fail" if self.document is None else str(self.document.get("verdict"))
        found = next_step.lines(words, checkup.office, verdict=verdict,
                                gateway=self.precheck.gateway is not None,
                                document=self.document if checkup.live else None,
                                now=datetime.now(UTC))
        title = self.query_one("#next-step-title", Static)
        panel = self.query_one("#next-step", Static)
        title.update(words(next_step.TITLE))
        panel.update(Prose("\n".join(found)))
        # Ready: the next step first. Not ready: what blocks booking first, the next step after
        # the declarations.
        body = self.query_one("#results-body")
        anchor = "#blocking-title" if verdict == "pass" else "#others-title"
        body.move_child(title, before=self.query_one(anchor, Static))
        body.move_child(panel, after=title)

    # -- the report ---------------------------------------------------------------------------

    def _make_document(self) -> None:
        try:
            self.document = self.precheck.checkup.report()
            self.problem = None
        except PrecheckError as exc:  # e.g. the folder for the signing key cannot be made
            self.document, self.problem = None, str(exc)

    def _views(self, words: Words) -> list[CheckView]:
        from precheck.reports.render import check_views

        if self.document is None:
            return []
        return check_views(self.document, words.language, words.translator)

    # -- words --------------------------------------------------------------------------------

    def translate(self, words: Words) -> None:
        from precheck.reports.render import verdict_view

        self.query_one("#title", Static).update(words(TITLE))
        banner = self.query_one("#verdict", VerdictBanner)
        if self.document is None:
            banner.update(Prose(words(NO_REPORT, reason=self.problem or "")))
        else:
            from precheck.reports.render import ONLY_DECLARATIONS

            view = verdict_view(self.document, words.translator, in_app=True)
            undeclared = not all(self.precheck.checkup.declared.values())
            extra = undeclared and view.detail != words.translator(ONLY_DECLARATIONS)
            banner.show(view, words.language, words(DECLARE_FIRST) if extra else "")
        views = {v.id: v for v in self._views(words)}
        for check_id, item in self.items.items():
            if check_id in views:
                item.show(views[check_id], words)
        for declared in self.query(DeclarationItem):
            entry = views.get(declared.declaration.id)
            declared.show(words, entry.status if entry is not None else "fail")
        blocking = any(item.view.blocks for item in self.items.values())
        self.query_one("#blocking-title", Static).update(words(BLOCKING))
        self.query_one("#blocking-title", Static).display = blocking
        self.query_one("#declarations-title", Static).update(words(DECLARATIONS))
        self.query_one("#others-title", Static).update(words(OTHERS))
        self._next_step(words)
        # No key on the buttons: five of them must fit 80 columns. The help lists R S D B C.
        labels = {"rerun": RERUN, "save-report": SAVE, "save-bundle": BUNDLE, "book": BOOK,
                  "check-in": CHECK_IN, "rerun-failed": RERUN_FAILED}
        for button in self.query("#result-actions Button").results(Button):
            relabel(button, words(labels[str(button.id)]))
        self.query_one(KeyBar).show(words)
        self._show_said(words)
        self._gateway_buttons()

    def _gateway_buttons(self) -> None:
        """予約する works only on a pass, and only once; 当日の受付 only on a pass."""
        for button in self.query("#book, #check-in").results(Button):
            button.disabled = not self.ready or (button.id == "book"
                                            and self.precheck.booked is not None)
        self._show_keys()

    def _show_keys(self) -> None:
        """The key bar follows the focus and the verdict: Enter on a result item, B and C only
        once they can work."""
        applies = {"Enter": isinstance(self.focused, CheckItem),
                   "B": self.ready and self.precheck.booked is None, "C": self.ready}
        self.query_one(KeyBar).offer(lambda key: applies.get(key.key, True))

    def on_descendant_focus(self) -> None:
        self._show_keys()

    def on_screen_resume(self) -> None:
        self._gateway_buttons()  # back from booking: a booking made disables 予約する

    # -- declarations -------------------------------------------------------------------------

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        item = next((d for d in self.query(DeclarationItem) if event.checkbox in d.children),
                    None)
        if item is None:
            return
        self.precheck.checkup.declare(item.declaration.id, event.value)
        self._make_document()
        self.translate(self.precheck.words)
        if self.ready:
            self.query_one("#results-body").scroll_home(animate=False)  # the next step

    # -- actions ------------------------------------------------------------------------------

    def on_check_item_selected(self, message: CheckItem.Selected) -> None:
        from precheck.tui.screens.detail import CheckDetail

        view = self.items[message.check_id].view
        raw = next((c.get("evidence") for c in (self.document or {}).get("checks") or ()
                    if isinstance(c, dict) and c.get("id") == message.check_id), None)
        self.app.push_screen(CheckDetail(view, raw if isinstance(raw, dict) else None,
                                         self._setting_for(view.id)), self._detail_closed)

    def _setting_for(self, check_id: str) -> str | None:
        """The settings page that fixes a check on this computer (none for a replayed bundle:
        its computer is elsewhere)."""
        from precheck.system import Platform
        from precheck.tui.settings_links import link_for

        if not self.precheck.checkup.live:
            return None
        return link_for(check_id, Platform.current())

    def _detail_closed(self, rerun: str | None) -> None:
        if rerun:
            self._rerun([rerun])

    def action_details(self) -> None:
        focused = self.focused
        if isinstance(focused, CheckItem):
            focused.action_select()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        actions = {"rerun": self.action_rerun_all, "book": self.action_book,
                   "check-in": self.action_check_in, "rerun-failed": self.action_rerun_failed}
        if event.button.id == "save-report":
            self.action_save("report")
        elif event.button.id == "save-bundle":
            self.action_save("bundle")
        elif event.button.id in actions:
            actions[event.button.id]()

    def action_rerun_all(self) -> None:
        self._rerun(None)

    def action_rerun_failed(self) -> None:
        failed = self._failed_ids()
        if failed:
            self._rerun(failed)

    def _rerun(self, ids: list[str] | None) -> None:
        from precheck.tui.screens.running import RunningScreen

        self.app.switch_screen(RunningScreen(ids))

    def action_welcome(self) -> None:
        """Esc: back to the first screen only when the job seeker says so (the results are
        left behind; the first screen starts a new check)."""
        from precheck.tui.screens.confirm import Confirm

        def answered(leave: bool | None) -> None:
            if leave:
                self.app.pop_screen()

        self.app.push_screen(Confirm(LEAVE, LEAVE_EXPLAIN), answered)

    def _can_use_gateway(self, then: str) -> bool:
        """True when booking or checking in can go ahead now. A result too old for the gateway
        first has the required checks run again, then ``then`` (book or check-in) continues."""
        from datetime import UTC, datetime

        from precheck.tui import next_step

        if self.precheck.gateway is None:
            return False
        if not self.ready:
            self.say(NOT_READY, problem=True)
            return False
        checkup = self.precheck.checkup
        if checkup.live and next_step.is_stale(self.document, datetime.now(UTC)):
            self.say(STALE)
            self.precheck.after_rerun = then
            self._rerun([c.id for c in checkup.catalog.checks if c.required])
            return False
        return True

    def action_book(self) -> None:
        if self.precheck.booked is not None:
            self.say(ALREADY_BOOKED)
            return
        if self._can_use_gateway("book"):
            self._open_gateway_screen("book")

    def action_check_in(self) -> None:
        if self._can_use_gateway("check-in"):
            self._open_gateway_screen("check-in")

    def _open_gateway_screen(self, which: str) -> None:
        from precheck.tui.screens.book import BookScreen
        from precheck.tui.screens.check_in import CheckInScreen

        if which == "book":
            self.app.push_screen(BookScreen())
        else:
            self.app.push_screen(CheckInScreen(), callback=self._checked_in)

    def _checked_in(self, _: None) -> None:
        """Check-in ran the on-the-day checks again (software.running): show what they saw."""
        self._make_document()
        self.translate(self.precheck.words)

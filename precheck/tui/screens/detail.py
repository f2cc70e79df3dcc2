"""One check's details: the summary, how to fix it, and the evidence behind the result."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Static

from precheck.reports.render.wrap import Prose
from precheck.result import N_
from precheck.tui.screens import AppModal, relabel
from precheck.tui.widgets.check_item import numbered
from precheck.tui.widgets.status import ICONS

if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from rich.console import RenderableType

    from precheck.reports.render import CheckView
    from precheck.tui.text import Words

NO_EVIDENCE = N_("No evidence was recorded.")
TOOK = N_("Took {seconds} s")
CHECK_AGAIN = N_("Check this again")
OPEN_SETTING = N_("Open the setting")
OPENED = N_("The setting is open in its own window. Change it there, then press R to check "
            "this again.")
NOT_OPENED = N_("The setting could not be opened. Follow the steps above instead.")
CLOSE = N_("Close")


class CheckDetail(AppModal[str | None]):
    """Shows one check; dismisses with its id when the job seeker wants it checked again."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", show=False),
        Binding("r", "again", show=False),
        Binding("o", "open_setting", show=False),
    ]

    def __init__(self, view: CheckView, evidence: Mapping[str, Any] | None = None,
                 setting: str | None = None) -> None:
        """``evidence``: the check's evidence as the report holds it (keys and JSON values);
        without it, the view's (already written out) values are shown for the staff.
        ``setting``: the OS settings page that fixes it (:mod:`precheck.tui.settings_links`)."""
        super().__init__()
        self.view = view
        self.evidence = evidence
        self.setting = setting if view.status != "pass" else None
        self.opened: bool | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog wide"):
            yield Static(id="detail-title", classes="dialog-title")
            with VerticalScroll(id="detail-body"):
                yield Static(id="detail-summary")
                yield Static(id="detail-evidence")
            with Horizontal(classes="actions"):
                yield Button(id="again", variant="primary")
                if self.setting is not None:
                    yield Button(id="open-setting")
                yield Button(id="close")

    def on_mount(self) -> None:
        self.query_one("#close", Button).focus()

    def translate(self, words: Words) -> None:
        from precheck.reports.render import HOW_TO_FIX, STATUS_WORDS

        view = self.view
        word = words.core(STATUS_WORDS.get(view.status, STATUS_WORDS["error"]))
        self.query_one("#detail-title", Static).update(
            f"{ICONS.get(view.status, '?')} {word}  {view.title}")
        parts: list[RenderableType] = [
            Text(f"{view.required} · {view.article}", style="italic"), Prose(view.summary)]
        if view.fix:
            parts += [Text(f"\n{words.core(HOW_TO_FIX)}", style="bold"), numbered(view.fix)]
        if isinstance(view.duration_ms, int):
            parts.append(Text("\n" + words(TOOK, seconds=f"{view.duration_ms / 1000:.1f}"),
                              style="dim"))
        self.query_one("#detail-summary", Static).update(Group(*parts))
        from precheck.tui import evidence as evidence_words

        shown = (evidence_words.split(self.evidence, words) if self.evidence is not None
                 else evidence_words.Shown((), view.evidence))
        tables: list[RenderableType] = []
        for title, rows, style in ((evidence_words.EVIDENCE, shown.rows, "bold"),
                                   (evidence_words.STAFF, shown.staff, "dim")):
            if not rows:
                continue
            table = Table(title=words(title), title_justify="left", show_header=False,
                          expand=True, style=style if style == "dim" else "")
            table.add_column(no_wrap=True, style=style)
            table.add_column(overflow="fold")
            for key, value in rows:
                table.add_row(key, Prose(value) if words.language == "ja" else value)
            tables.append(table)
        self.query_one("#detail-evidence", Static).update(
            Group(*tables) if tables else words(NO_EVIDENCE))
        relabel(self.query_one("#again", Button), f"{words(CHECK_AGAIN)} (R)")
        for button in self.query("#open-setting").results(Button):
            relabel(button, f"{words(OPEN_SETTING)} (O)")
        if self.opened is not None:
            tables.append(Prose(words(OPENED if self.opened else NOT_OPENED)))
            self.query_one("#detail-evidence", Static).update(Group(*tables))
        relabel(self.query_one("#close", Button), f"{words(CLOSE)} (Esc)")

    def action_open_setting(self) -> None:
        from precheck.tui.settings_links import open_setting

        if self.setting is None:
            return
        self.opened = open_setting(self.setting)
        self.translate(self.precheck.words)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "open-setting":
            self.action_open_setting()
        elif event.button.id == "again":
            self.action_again()
        else:
            self.action_close()

    def action_again(self) -> None:
        self.dismiss(self.view.id)

    def action_close(self) -> None:
        self.dismiss(None)

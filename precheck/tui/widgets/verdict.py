"""The one overall answer: 予約できます or 予約できません, with an icon, the word and what next."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Group
from rich.text import Text
from textual.widgets import Static

from precheck.reports.render.wrap import Prose
from precheck.tui.widgets.status import ICONS

if TYPE_CHECKING:
    from precheck.reports.render import VerdictView


#: Between two sentences: Japanese sets none.
SEPARATOR = {"ja": "", "en": " "}


class VerdictBanner(Static):
    """The verdict of the report shown, never by colour alone."""

    def show(self, view: VerdictView, language: str, extra: str = "") -> None:
        """Show ``view``; ``extra`` is a sentence added to its detail."""
        self.set_class(view.name == "pass", "-pass")
        self.set_class(view.name != "pass", "-fail")
        detail = f"{view.detail}{SEPARATOR.get(language, ' ')}{extra}" if extra else view.detail
        self.update(Group(Text(f"{ICONS[view.name]} {view.word}", style="bold"), Prose(detail)))

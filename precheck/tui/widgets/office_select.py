"""The office list: a dropdown whose Japanese names are never cut.

Textual's compositor splits each screen line where any widget beneath begins or ends; a
full-width character standing on such a split is drawn as two blanks, so 「天文館」 over the edge
of a button showed as 「天　館」. While the list is open, the screen's action buttons (the widgets
beneath it) leave the layout, so nothing splits the lines it covers.
"""

from __future__ import annotations

from textual.widgets import Select


class OfficeSelect(Select[str]):
    """A :class:`Select` of offices that hides the screen's ``.actions`` while it is open."""

    SCOPED_CSS = False  # the rule is about the screen around the list
    DEFAULT_CSS = """
    Screen.-choosing-office .actions { display: none; }
    """

    def watch_expanded(self, expanded: bool) -> None:
        self.screen.set_class(expanded, "-choosing-office")

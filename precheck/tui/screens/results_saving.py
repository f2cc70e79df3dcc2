"""Saving the signed report or the diagnostic bundle from the results screen, and the line that
says where it went (or why it could not)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.widgets import Static

from precheck.errors import PrecheckError
from precheck.reports.render.wrap import Prose
from precheck.result import N_
from precheck.tui.messages import Saved
from precheck.tui.screens import AppScreen

if TYPE_CHECKING:
    from pathlib import Path

    from precheck.tui.text import Words

SAVED_REPORT = N_("The signed report was saved to {path}")
SAVED_BUNDLE = N_("The diagnostic bundle was saved to {path}. Send it only to Hello Work staff, "
                  "and only if you want to.")
NOT_SAVED = N_("Could not save to {path}: {reason}")
NOT_LIVE = N_("A diagnostic bundle can be saved only after checking this computer itself, not "
              "when a bundle is replayed.")
OS_ERRORS = {
    PermissionError: N_("this place may not be written to; choose another folder, such as "
                        "Documents"),
    FileNotFoundError: N_("the folder does not exist"),
    IsADirectoryError: N_("that is a folder: add a file name"),
}


class SavesReports(AppScreen):
    """The results screen's base: save (S, D) and say what happened on the message line."""

    def __init__(self) -> None:
        super().__init__()
        self.said: tuple[str, dict[str, object], bool] | None = None

    def action_save(self, what: str) -> None:
        from precheck.tui.screens.save import SaveScreen

        def chosen(path: Path | None) -> None:
            if path is not None:
                self.save(what, path)

        self.app.push_screen(SaveScreen(what), chosen)

    @work(thread=True, group="save", exit_on_error=False)
    def save(self, what: str, path: Path) -> None:
        from precheck.tui.checkup import NotLive

        checkup = self.precheck.checkup
        words = self.precheck.words
        try:
            written = checkup.save_report(path) if what == "report" else checkup.save_bundle(path)
        except NotLive:
            self.post_message(Saved(what, str(path), words(NOT_LIVE)))
        except OSError as exc:
            known = OS_ERRORS.get(type(exc))
            self.post_message(Saved(what, str(path), words(known) if known else (
                exc.strerror or str(exc))))
        except PrecheckError as exc:  # the signing key's folder could not be made
            self.post_message(Saved(what, str(path), str(exc)))
        else:
            self.post_message(Saved(what, str(written)))

    def on_saved(self, message: Saved) -> None:
        if message.problem is not None:
            self.say(NOT_SAVED, problem=True, path=message.path, reason=message.problem)
        else:
            self.say(SAVED_REPORT if message.what == "report" else SAVED_BUNDLE,
                     path=message.path)

    def say(self, msgid: str, *, problem: bool = False, **args: object) -> None:
        """Show what just happened on the line above the buttons (in either language).

        A line of the screen, not a pop-up: Japanese text in an overlay is cut where the widgets
        beneath it meet.
        """
        self.said = (msgid, args, problem)
        self._show_said(self.precheck.words)

    def _show_said(self, words: Words) -> None:
        line = self.query_one("#message", Static)
        line.display = self.said is not None
        if self.said is not None:
            msgid, args, problem = self.said
            line.set_class(problem, "problem")
            line.update(Prose(words(msgid, **args)))

"""The standalone app's entry point: a window opened by a double-click stays until Enter.

The Windows detection itself (GetConsoleProcessList) cannot run here; what it feeds, the number
of processes on the console, is a parameter, and the rule is tested with each answer.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import pytest

from precheck.standalone import console_processes, run, should_hold


class Terminal(io.StringIO):
    """A stream that says it is a terminal (a console window)."""

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("environ", "interactive", "processes", "expected"), [
    ({}, True, 1, True),  # Windows, double-clicked: the program owns its console
    ({}, True, 2, False),  # Windows, typed in cmd or PowerShell: the shell keeps the window
    ({}, True, None, False),  # Linux and macOS, typed in a terminal
    ({"PRECHECK_HOLD_WINDOW": "1"}, True, None, True),  # macOS: precheck.command
    ({"PRECHECK_HOLD_WINDOW": "0"}, True, 1, False),  # asked not to wait
    ({"PRECHECK_HOLD_WINDOW": "1"}, False, 1, False),  # redirected: nobody to press Enter
    ({}, False, 1, False),
])
def test_when_the_window_waits_for_enter(environ: dict[str, str], interactive: bool,
                                         processes: int | None, expected: bool) -> None:
    assert should_hold(environ, interactive=interactive, processes=processes) is expected


def test_there_is_no_console_process_list_off_windows() -> None:
    assert console_processes() is None


def test_a_double_clicked_run_says_in_japanese_how_to_close_and_waits() -> None:
    called: list[Sequence[str]] = []

    def cli(argv: Sequence[str]) -> int:
        called.append(argv)
        return 1

    stdin, stdout = Terminal("\n"), Terminal()
    code = run(["run"], {}, cli, processes=1, stdin=stdin, stdout=stdout)
    assert (code, called) == (1, [["run"]])
    assert stdout.getvalue() == "\nEnter キーを押すと、このウィンドウを閉じます。\n"
    assert stdin.read() == ""  # the Enter was read


def test_the_message_follows_the_language_asked_for_and_an_error_still_waits() -> None:
    def broken(argv: Sequence[str]) -> int:
        raise RuntimeError(argv)

    stdout = Terminal()
    with pytest.raises(RuntimeError):
        run(["--lang", "en", "run"], {}, broken, processes=1, stdin=Terminal(""), stdout=stdout)
    assert stdout.getvalue() == "\nPress Enter to close this window.\n"
    stdout = Terminal()
    run(["--lang=ja"], {"PRECHECK_LANG": "en"}, lambda argv: 0, processes=1,
        stdin=Terminal("\n"), stdout=stdout)
    assert "Enter キー" in stdout.getvalue()


def test_a_run_typed_in_a_terminal_ends_at_once() -> None:
    stdout = Terminal()
    assert run(["list"], {}, lambda argv: 0, processes=2, stdin=Terminal(), stdout=stdout) == 0
    assert stdout.getvalue() == ""

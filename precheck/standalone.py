"""The entry point of the standalone app (``tools/build_app.py``): ``precheck`` with no Python.

It runs exactly what the ``precheck`` command runs. What it adds is for a job seeker who starts
the app by double-clicking it: the window the system opened for it must not vanish the moment
the program ends (a result nobody could read, or an error nobody saw), so the app then waits for
Enter before it returns. How a double-click is recognised, per system:

- Windows: Explorer gives a console program a console of its own, so this process is the only
  one attached to it (``GetConsoleProcessList``). Started from cmd or PowerShell, the shell is
  attached too, and the window is the shell's to keep.
- macOS: Finder opens a ``.command`` file in Terminal; the archive's ``precheck.command`` sets
  ``PRECHECK_HOLD_WINDOW=1`` and starts the app.
- Any system: ``PRECHECK_HOLD_WINDOW=1`` asks for the wait, ``PRECHECK_HOLD_WINDOW=0`` forbids it.

The wait needs a person at a terminal: with stdin or stdout redirected it never happens.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import TextIO

from precheck.result import N_

HOLD_ENV = "PRECHECK_HOLD_WINDOW"
PRESS_ENTER = N_("Press Enter to close this window.")


def console_processes() -> int | None:
    """How many processes share this console (Windows), or None where that cannot be known."""
    if sys.platform == "win32":  # the guard also tells the type checker where windll exists
        import ctypes

        ids = (ctypes.c_uint32 * 16)()
        count = int(ctypes.windll.kernel32.GetConsoleProcessList(ids, len(ids)))
        return count or None  # 0: the call failed (no console)
    return None


def should_hold(environ: Mapping[str, str], *, interactive: bool,
                processes: int | None) -> bool:
    """Whether to wait for Enter before the window can close.

    ``processes`` is :func:`console_processes`' answer: 1 means this program owns its console,
    which on Windows means it was started by a double-click.
    """
    wanted = environ.get(HOLD_ENV, "").strip()
    if wanted in ("0", "1"):
        return wanted == "1" and interactive
    return interactive and processes == 1


def hold(language: str, stdin: TextIO, stdout: TextIO) -> None:
    """Say how to close the window, in ``language``, and wait for Enter (or end of input)."""
    from precheck.i18n import Translator

    stdout.write("\n" + Translator(language).gettext(PRESS_ENTER) + "\n")
    stdout.flush()
    with contextlib.suppress(KeyboardInterrupt, OSError):  # closing the window is fine too
        stdin.readline()


def run(argv: Sequence[str], environ: Mapping[str, str], cli: Callable[[Sequence[str]], int],
        *, processes: int | None, stdin: TextIO, stdout: TextIO) -> int:
    """Run the command line ``argv`` with ``cli``; wait for Enter when the window must stay."""
    from precheck.i18n import resolve_language

    try:
        interactive = stdin.isatty() and stdout.isatty()
    except (AttributeError, ValueError):
        interactive = False
    waiting = should_hold(environ, interactive=interactive, processes=processes)
    try:
        code = cli(argv)
    finally:
        if waiting:
            explicit = next((a.split("=", 1)[1] for a in argv if a.startswith("--lang=")), None)
            if explicit is None and "--lang" in argv[:-1]:
                explicit = argv[list(argv).index("--lang") + 1]
            system = None if environ is os.environ else environ  # Windows: its UI language
            hold(resolve_language(explicit if explicit in ("ja", "en") else None, system),
                 stdin, stdout)
    return code


def main() -> None:
    """The frozen executable's entry point."""
    from precheck.cli import configure_streams, run_cli

    configure_streams()
    code = run(sys.argv[1:], os.environ, lambda argv: int(run_cli(argv)),
               processes=console_processes(), stdin=sys.stdin, stdout=sys.stdout)
    sys.exit(code)

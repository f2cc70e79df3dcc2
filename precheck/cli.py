"""The ``precheck`` command line: the entry point and the dispatch to each command.

Only :func:`main` calls ``sys.exit``; :func:`run_cli` takes an injectable
:class:`~precheck.status.Environment` (streams and environment variables) and returns an
:class:`~precheck.status.ExitStatus`, so tests call it directly. The arguments are in
:mod:`precheck.cli_parser`, the commands in :mod:`precheck.cli_checks` (run, list, collect) and
:mod:`precheck.cli_report` (report show, report verify), ``config`` in
:mod:`precheck.config_command`. Heavy modules are imported inside the commands that need them:
``precheck --version`` imports nothing but these modules and the standard library.
"""

from __future__ import annotations

import io
import logging
import os
import sys
from typing import TYPE_CHECKING, NoReturn, TextIO

from precheck import __version__, cli_checks, cli_report
from precheck.errors import PrecheckError
from precheck.result import N_
from precheck.status import Environment, ExitStatus

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Sequence

    from precheck.i18n import Translator

log = logging.getLogger("precheck")


def _gateway_args(args_list: Sequence[str]) -> list[str] | None:
    """The arguments after ``gateway`` when it is the command (global options before it are
    allowed: ``precheck -v --lang en gateway serve``), else None."""
    index = 0
    while index < len(args_list):
        arg = args_list[index]
        if arg == "gateway":
            return list(args_list[index + 1:])
        if arg in ("-v", "--verbose") or arg.startswith("--lang="):
            index += 1
        elif arg == "--lang":
            index += 2
        else:
            return None
    return None


def run_cli(argv: Sequence[str] | None = None, env: Environment | None = None) -> ExitStatus:
    """Parse ``argv`` and run the command; every failure becomes a one-line message."""
    env = env or Environment()
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list == ["--version"]:  # the fast path: no parser, no translations
        env.stdout.write(f"precheck {__version__}\n")
        return ExitStatus.OK
    gateway_args = _gateway_args(args_list)
    if gateway_args is not None:  # the operator's commands: their own parser and imports
        from precheck.gateway.cli import run as run_gateway

        return run_gateway(gateway_args, env)
    parsed = _parse(args_list, env)
    if isinstance(parsed, ExitStatus):
        return parsed
    args, tr = parsed
    _configure_logging(env.stderr, verbose=args.verbose)
    command = _tui if args.command == "tui" else _COMMANDS[
        args.report_command if args.command == "report" else args.command]
    try:
        return command(args, env, tr)
    except PrecheckError as exc:
        env.stderr.write(tr(N_("precheck: error: {reason}")).format(reason=exc) + "\n")
        return ExitStatus.USAGE
    except KeyboardInterrupt:
        env.stderr.write(tr(N_("precheck: interrupted")) + "\n")
        return ExitStatus.INTERRUPTED
    except BrokenPipeError:  # `precheck report show FILE | head -1`: stop quietly, as cat does
        return ExitStatus.OUTPUT_CLOSED
    except Exception as exc:
        log.debug("internal error", exc_info=True)
        env.stderr.write(tr(N_("precheck: internal error: {error} (run again with --verbose "
                               "for details)")).format(error=f"{type(exc).__name__}: {exc}")
                         + "\n")
        return ExitStatus.INTERNAL


def _parse(args_list: list[str], env: Environment
           ) -> tuple[argparse.Namespace, Translator] | ExitStatus:
    """The parsed arguments and the translator for the chosen language, or how to exit."""
    from precheck.cli_parser import UsageError, parser, prescan_lang
    from precheck.i18n import LANGUAGES, Translator, resolve_language

    early = prescan_lang(args_list)
    tr = Translator(resolve_language(early if early in LANGUAGES else None, env.environ))
    arguments = parser(tr)
    try:
        args = arguments.parse_args(args_list)
    except UsageError as exc:
        env.stderr.write(f"{exc}\n")
        return ExitStatus.USAGE
    except SystemExit as exc:  # --help printed its text
        return ExitStatus.OK if exc.code in (0, None) else ExitStatus.USAGE
    if args.version:
        env.stdout.write(f"precheck {__version__}\n")
        return ExitStatus.OK
    if args.command is None:  # bare `precheck`: the app on a terminal, else the text run
        args = arguments.parse_args(["run"])
        args.verbose = False
        if _interactive(env):
            args.command = "tui"
    if getattr(args, "lang", None):
        tr = Translator(args.lang)
    return args, tr


def _interactive(env: Environment) -> bool:
    """True when a person sits at a terminal: the app draws on stderr and reads stdin, and a
    redirected stdout means a script wants the text run's output instead."""
    try:
        return env.stdout.isatty() and env.stderr.isatty() and sys.stdin.isatty()
    except (AttributeError, ValueError):  # a closed or detached stream
        return False


def _tui(args: argparse.Namespace, env: Environment, tr: Translator) -> ExitStatus:
    """Bare `precheck` on a terminal: the whole pre-check in the app (precheck/tui)."""
    from precheck.tui.launch import open_app

    return ExitStatus.OK if open_app(env.environ, tr.language) == 0 else ExitStatus.INTERNAL


_installed_handlers: list[logging.Handler] = []


def _configure_logging(stream: TextIO, *, verbose: bool) -> None:
    # Without --verbose nothing is logged at all: a job seeker never sees a traceback.
    root = logging.getLogger()
    while _installed_handlers:
        root.removeHandler(_installed_handlers.pop())
    handler: logging.Handler
    handler = logging.StreamHandler(stream) if verbose else logging.NullHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    _installed_handlers.append(handler)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.CRITICAL + 1)


_COMMANDS: dict[str, Callable[[argparse.Namespace, Environment, Translator], ExitStatus]] = {
    "run": cli_checks.run, "list": cli_checks.list_checks, "collect": cli_checks.collect,
    "show": cli_report.show, "verify": cli_report.verify,
    "config": lambda args, env, tr: ExitStatus(_config_command(args, env, tr)),
}


def _config_command(args: argparse.Namespace, env: Environment, tr: Translator) -> int:
    from precheck import config_command

    return config_command.run(args, env, tr)


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """The console script's entry point: the only place that exits the process."""
    configure_streams()
    status = run_cli(argv)
    if status is ExitStatus.OUTPUT_CLOSED:
        # What is still buffered for the closed pipe goes nowhere, so Python's final flush
        # does not print "Exception ignored ... BrokenPipeError" (the recipe in the docs of
        # the signal module).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    sys.exit(int(status))


def configure_streams() -> None:
    """Redirected output (a report piped to a file) is UTF-8 on every OS; a console keeps its own
    encoding (cp932 on a Japanese Windows), and a character it cannot show never crashes the run."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            encoding = stream.encoding if stream.isatty() else "utf-8"
            stream.reconfigure(encoding=encoding, errors="replace")

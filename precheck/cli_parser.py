"""The ``precheck`` command line's arguments: the parser, in the job seeker's language.

argparse is told to raise instead of exiting (only :func:`precheck.cli.main` exits) and to say its
own words through precheck's catalogs.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from precheck.result import N_

if TYPE_CHECKING:
    from collections.abc import Sequence

    from precheck.i18n import Translator

VIDEO_APP_HELP = N_("the video app your office uses (TeleOffice or Zoom): software.running never "
                    "names it (default: both)")


class UsageError(Exception):
    """argparse's complaint, raised instead of argparse exiting the process."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


#: argparse's own words (Python's argparse looks each up through its module-level ``_`` when it
#: uses it), so usage, help headings and errors are in the job seeker's language too.
_ARGPARSE_WORDS = (
    N_("usage: "), N_("positional arguments"), N_("options"),
    N_("show this help message and exit"), N_("unrecognized arguments: %s"),
    N_("the following arguments are required: %s"), N_("expected one argument"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("argument %(argument_name)s: %(message)s"), N_("ambiguous option: %(option)s could "
                                                       "match %(matches)s"),
    N_("invalid %(type)s value: %(value)r"), N_("not allowed with argument %s"),
    N_("one of the arguments %s is required"), N_("expected at most one argument"),
    N_("expected at least one argument"), N_("ignored explicit argument %r"),
)


def _speak_argparse(tr: Translator) -> None:
    """Make argparse say its own words in ``tr``'s language (it has no catalog of its own)."""
    known = frozenset(_ARGPARSE_WORDS)

    def translate(text: str) -> str:
        return tr.gettext(text) if text in known else text

    argparse._ = translate  # type: ignore[attr-defined]  # argparse's own gettext hook


def parser(tr: Translator) -> argparse.ArgumentParser:
    """Every command's arguments, with help in ``tr``'s language."""
    _speak_argparse(tr)
    top = Parser(
        prog="precheck",
        description=tr(N_("Checks that this computer is ready for a Hello Work online job "
                          "consultation.")),
    )
    top.add_argument("--version", action="store_true", help=tr(N_("show the version")))
    top.add_argument("-v", "--verbose", action="store_true",
                     help=tr(N_("show detailed log messages")))
    top.add_argument("--lang", choices=("ja", "en"),
                     help=tr(N_("language of the output (default: Japanese)")))
    commands = top.add_subparsers(dest="command", parser_class=Parser)
    _add_run(commands, tr)
    catalog = commands.add_parser("list", help=tr(N_("list the checks")))
    _add_lang(catalog, tr)
    catalog.add_argument("--json", action="store_true", help=tr(N_("print JSON")))
    _add_report(commands, tr)
    # Listed for --help only: `precheck gateway ...` is dispatched before this parser is built.
    commands.add_parser("gateway", add_help=False, help=tr(N_(
        "run the booking gateway (for office operators; see precheck gateway --help)")))
    _add_collect(commands, tr)
    from precheck import config_command

    config_command.add_parser(commands, tr, Parser)
    return top


def _add_run(commands: argparse._SubParsersAction[Any],
             tr: Translator) -> None:
    run = commands.add_parser("run", help=tr(N_("run the checks and show the results")))
    _add_lang(run, tr)
    run.add_argument("--json", action="store_true",
                     help=tr(N_("print the signed report as JSON instead of text")))
    run.add_argument("--only", action="append", metavar="ID", default=[],
                     help=tr(N_("run only this check (repeatable)")))
    run.add_argument("--report", type=Path, metavar="FILE",
                     help=tr(N_("also write the signed report to FILE")))
    run.add_argument("--bundle", type=Path, metavar="FILE",
                     help=tr(N_("judge a diagnostic bundle instead of this computer")))
    run.add_argument("--policy", type=Path, metavar="FILE", help=tr(N_("use this policy file")))
    run.add_argument("--challenge", metavar="NONCE",
                     help=tr(N_("include the booking gateway's challenge in the report")))
    run.add_argument("--gateway", metavar="URL",
                     help=tr(N_("measure the connection against this booking gateway (default: "
                                "PRECHECK_GATEWAY_URL)")))
    run.add_argument("--video-app", metavar="NAME", help=tr(VIDEO_APP_HELP))


def _add_report(commands: argparse._SubParsersAction[Any],
                tr: Translator) -> None:
    report = commands.add_parser("report", help=tr(N_("show or verify a saved report")))
    report_commands = report.add_subparsers(dest="report_command", required=True,
                                            parser_class=Parser)
    show = report_commands.add_parser("show", help=tr(N_("show a report")))
    _add_lang(show, tr)
    show.add_argument("file", type=Path, metavar="FILE")
    show.add_argument("--html", type=Path, metavar="OUT",
                      help=tr(N_("write the report as a web page to OUT")))
    verify = report_commands.add_parser(
        "verify", help=tr(N_("check a report's signature and format")))
    _add_lang(verify, tr)
    verify.add_argument("file", type=Path, metavar="FILE")
    verify.add_argument("--key-id", metavar="KEY",
                        help=tr(N_("also require the report to be signed by this key")))


def _add_collect(commands: argparse._SubParsersAction[Any],
                 tr: Translator) -> None:
    collect = commands.add_parser(
        "collect", help=tr(N_("save a diagnostic bundle for Hello Work staff")))
    _add_lang(collect, tr)
    collect.add_argument("-o", "--output", type=Path, metavar="FILE",
                         help=tr(N_("where to write the bundle (a .zip file, or a folder)")))
    collect.add_argument("--only", action="append", metavar="ID", default=[],
                         help=tr(N_("collect only for this check (repeatable)")))
    collect.add_argument("--gateway", metavar="URL",
                         help=tr(N_("measure the connection against this booking gateway "
                                    "(default: PRECHECK_GATEWAY_URL)")))
    collect.add_argument("--video-app", metavar="NAME", help=tr(VIDEO_APP_HELP))


def _add_lang(parser: argparse.ArgumentParser, tr: Translator) -> None:
    # SUPPRESS: a subcommand's default must not hide `precheck --lang en run`.
    parser.add_argument("--lang", choices=("ja", "en"), default=argparse.SUPPRESS,
                        help=tr(N_("language of the output (default: Japanese)")))


def prescan_lang(argv: Sequence[str]) -> str | None:
    """The ``--lang`` asked for, read before parsing so the parser's own words use it."""
    for index, arg in enumerate(argv):
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
        if arg == "--lang" and index + 1 < len(argv):
            return argv[index + 1]
    return None

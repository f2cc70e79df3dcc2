"""The ``precheck`` command line.

Only :func:`main` calls ``sys.exit``; :func:`run_cli` takes an injectable
:class:`~precheck.status.Environment` (streams and environment variables) and returns an
:class:`~precheck.status.ExitStatus`, so tests call it directly.
Heavy modules are imported inside the commands that need them: ``precheck --version`` imports
nothing but this module and the standard library.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from precheck import __version__
from precheck.errors import PrecheckError
from precheck.result import N_
from precheck.status import Environment, ExitStatus

if TYPE_CHECKING:
    from precheck.bundle import Bundle
    from precheck.i18n import Translator
    from precheck.plugins import Catalog
    from precheck.runner import Outcome
    from precheck.system import System

log = logging.getLogger("precheck")


VIDEO_APP_HELP = N_("the video app your office uses (TeleOffice or Zoom): software.running never "
                    "names it (default: both)")


class _UsageError(Exception):
    """argparse's complaint, raised instead of argparse exiting the process."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(f"{self.prog}: {message}")


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


def _parser(tr: Translator) -> argparse.ArgumentParser:
    _speak_argparse(tr)
    parser = _Parser(
        prog="precheck",
        description=tr(N_("Checks that this computer is ready for a Hello Work online job "
                          "consultation.")),
    )
    parser.add_argument("--version", action="store_true", help=tr(N_("show the version")))
    parser.add_argument("-v", "--verbose", action="store_true",
                        help=tr(N_("show detailed log messages")))
    parser.add_argument("--lang", choices=("ja", "en"),
                        help=tr(N_("language of the output (default: Japanese)")))
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)

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

    catalog = commands.add_parser("list", help=tr(N_("list the checks")))
    _add_lang(catalog, tr)
    catalog.add_argument("--json", action="store_true", help=tr(N_("print JSON")))

    report = commands.add_parser("report", help=tr(N_("show or verify a saved report")))
    report_commands = report.add_subparsers(dest="report_command", required=True,
                                            parser_class=_Parser)
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

    # Listed for --help only: `precheck gateway ...` is dispatched before this parser is built.
    commands.add_parser("gateway", add_help=False, help=tr(N_(
        "run the booking gateway (for office operators; see precheck gateway --help)")))

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
    from precheck import config_command

    config_command.add_parser(commands, tr, _Parser)
    return parser


def _add_lang(parser: argparse.ArgumentParser, tr: Translator) -> None:
    # SUPPRESS: a subcommand's default must not hide `precheck --lang en run`.
    parser.add_argument("--lang", choices=("ja", "en"), default=argparse.SUPPRESS,
                        help=tr(N_("language of the output (default: Japanese)")))


def _prescan_lang(argv: Sequence[str]) -> str | None:
    for index, arg in enumerate(argv):
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
        if arg == "--lang" and index + 1 < len(argv):
            return argv[index + 1]
    return None


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
    from precheck.i18n import LANGUAGES, Translator, resolve_language

    early = _prescan_lang(args_list)
    tr = Translator(resolve_language(early if early in LANGUAGES else None, env.environ))
    parser = _parser(tr)
    try:
        args = parser.parse_args(args_list)
    except _UsageError as exc:
        env.stderr.write(f"{exc}\n")
        return ExitStatus.USAGE
    except SystemExit as exc:  # --help printed its text
        return ExitStatus.OK if exc.code in (0, None) else ExitStatus.USAGE
    if args.version:
        env.stdout.write(f"precheck {__version__}\n")
        return ExitStatus.OK
    if args.command is None:  # bare `precheck`: the app on a terminal, else the text run
        args = parser.parse_args(["run"])
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


def _catalog(only: Sequence[str], tr: Translator) -> Catalog:
    from precheck import plugins

    catalog = plugins.load()
    if only:
        unknown = sorted(set(only) - set(catalog.ids))
        if unknown:
            raise PrecheckError(tr(N_("unknown check id {ids}; known: {known}")).format(
                ids=", ".join(unknown), known=", ".join(catalog.ids)))
        catalog = catalog.select(only)
    return catalog


def _warn_failures(catalog: Catalog, env: Environment, tr: Translator) -> None:
    for failure in catalog.failures:
        env.stderr.write(tr(N_("warning: the check plugin {name} from {package} could not be "
                               "loaded: {reason}")).format(
            name=failure.name, package=failure.package, reason=failure.reason) + "\n")


def _run(args: argparse.Namespace, env: Environment, tr: Translator) -> ExitStatus:
    from precheck import bundle as bundles
    from precheck import policy as policies
    from precheck.reports.render import render_json
    from precheck.runner import verdict
    from precheck.session import evaluate, signed_report

    replayed = bundles.read(args.bundle) if args.bundle else None
    catalog = _catalog(args.only or _bundle_checks(replayed, env, tr), tr)
    _warn_failures(catalog, env, tr)
    policy = policies.load(args.policy, catalog.checks)
    evaluation = evaluate(catalog, policy, replayed)
    if replayed is None:
        _use_gateway(evaluation.system, args.gateway, env, tr)
        _use_video_app(evaluation.system, args.video_app)
    progress = None if args.json else _progress(catalog, env, tr)
    outcomes = evaluation.run(progress)
    document = signed_report(evaluation, args.challenge)
    text = render_json(document) + "\n"
    if args.report:
        _write_text(args.report, text, tr)
        saved = tr(N_("The signed report was saved to {path}")).format(
            path=args.report.resolve())
    if args.json:
        env.stdout.write(text)
    else:
        if args.report:
            env.stdout.write(saved + "\n")
        from precheck.reports.render.terminal import render_terminal

        # The verdict last: what is left on a terminal after the output scrolled is what
        # blocks booking and the verdict itself.
        _print_rich(env, render_terminal(document, tr.language, verdict_last=True,
                                         left_out=_left_out(args.only, tr)))
    return ExitStatus.OK if not verdict(outcomes).blocks else ExitStatus.CHECK_FAILED


def _left_out(only: Sequence[str], tr: Translator) -> tuple[str, ...]:
    """The titles of the required checks a run with ``--only`` did not include."""
    if not only:
        return ()
    from precheck import plugins

    return tuple(tr.gettext(check.title, check.domain, check.locale_dir)
                 for check in plugins.load().checks if check.required and check.id not in only)


def _progress(catalog: Catalog, env: Environment, tr: Translator
              ) -> Callable[[Outcome], None] | None:
    """On a terminal, a line on standard error as each check finishes; else nothing."""
    try:
        if not env.stderr.isatty():
            return None
    except (AttributeError, ValueError):
        return None
    from precheck.reports.render import status_label

    total = len(catalog.checks) + len(catalog.failures)
    env.stderr.write(tr(N_("Checking {count} items (about 15 seconds)...")).format(count=total)
                     + "\n")
    done = 0

    def show(outcome: Outcome) -> None:
        nonlocal done
        done += 1
        title = tr.render(outcome.meta.title, outcome.meta.domain, outcome.meta.locale_dir)
        env.stderr.write(f"[{done:>2}/{total}] {status_label(str(outcome.result.status), tr)}"
                         f"  {title}\n")
        env.stderr.flush()

    return show


def _bundle_checks(replayed: Bundle | None, env: Environment, tr: Translator) -> list[str]:
    """The checks a bundle was collected for (a bundle made with ``collect --only`` holds the
    answers of those checks only), as far as they are installed here; empty: every check."""
    if replayed is None or not replayed.checks:
        return []
    from precheck import plugins

    installed = set(plugins.load().ids)
    missing = [c for c in replayed.checks if c not in installed]
    if missing:
        env.stderr.write(tr(N_("warning: the bundle was collected for checks that are not "
                               "installed here: {ids}")).format(ids=", ".join(missing)) + "\n")
    return [c for c in replayed.checks if c in installed]


def _use_gateway(system: System, url: str | None, env: Environment, tr: Translator) -> None:
    """Record the gateway the network checks measure against (see precheck.userconfig)."""
    from precheck.probes import network
    from precheck.userconfig import resolve_gateway

    # --gateway, PRECHECK_GATEWAY_URL, then the settings (precheck config): the chosen office's.
    chosen = resolve_gateway(url, env.environ).url
    try:
        network.use_gateway(system, chosen)
    except ValueError as exc:
        raise PrecheckError(tr(N_("the booking gateway's address must start with http:// or "
                                  "https://: {url}")).format(url=chosen)) from exc


def _use_video_app(system: System, name: str | None) -> None:
    """Record the office's video app (--video-app): software.running never names it."""
    from precheck.probes import office

    office.use_video_app(system, name)


def _list(args: argparse.Namespace, env: Environment, tr: Translator) -> ExitStatus:
    catalog = _catalog((), tr)
    _warn_failures(catalog, env, tr)
    rows = [
        {
            "id": check.id,
            "article": check.article,
            "required": check.required,
            "title": tr.gettext(check.title, check.domain, check.locale_dir),
            "platforms": sorted(p.value for p in check.platforms),
            "timeout_s": check.timeout_s,
            "needs": sorted(check.needs),
            "provider": catalog.provider(check.id).to_json(),
        }
        for check in catalog.checks
    ]
    if args.json:
        env.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return ExitStatus.OK
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=tr(N_("precheck checks")))
    # Once a plugin brings checks of its own, each title says its package (flake8's way).
    providers = [catalog.provider(check.id) for check in catalog.checks]
    plugged = len({p.package for p in providers}) > 1
    table.add_column(tr(N_("ID")), no_wrap=True)
    for header in (N_("Article"), N_("Required")):
        table.add_column(tr(header))
    table.add_column(tr(N_("Title")), overflow="fold")
    for provider, row in zip(providers, rows, strict=True):
        title = str(row["title"])
        if plugged:
            named = provider.package + (f"=={provider.version}" if provider.version else "")
            title += f"\n[dim]{escape(named)}[/dim]"
        table.add_row(str(row["id"]), str(row["article"]),
                      tr(N_("required")) if row["required"] else tr(N_("advisory")), title)
    _print_rich(env, table)
    return ExitStatus.OK


def _collect(args: argparse.Namespace, env: Environment, tr: Translator) -> ExitStatus:
    from datetime import datetime

    from precheck import policy as policies
    from precheck.session import evaluate

    catalog = _catalog(args.only, tr)
    _warn_failures(catalog, env, tr)
    evaluation = evaluate(catalog, policies.load(None, catalog.checks))
    _use_gateway(evaluation.system, args.gateway, env, tr)
    _use_video_app(evaluation.system, args.video_app)
    evaluation.run()
    name = Path(f"precheck-bundle-{datetime.now().astimezone():%Y%m%d-%H%M%S}.zip")
    # A folder (the desktop, Downloads) gets one zip file with its own name inside it, never
    # manifest.json and outputs/ scattered among the files there; and a zip is what can be
    # attached to an email for staff.
    output = args.output / name if args.output and args.output.is_dir() else (args.output or name)
    if output.is_dir():  # `-o folder/` when folder/precheck-bundle-<now>.zip is itself a folder
        raise PrecheckError(tr(N_("{path} is a folder: give a file name for the bundle")).format(
            path=output))
    try:
        written = evaluation.write_bundle(output)
    except OSError as exc:
        raise _cannot_write(output, exc, tr) from exc
    env.stdout.write(tr(N_("The diagnostic bundle was saved to {path}")).format(path=written)
                     + "\n")
    for line in BUNDLE_NOTICE:
        env.stdout.write(tr(line) + "\n")
    return ExitStatus.OK


#: What a diagnostic bundle holds, said after ``collect`` writes one (README and
#: docs/bundle-format.md say the same, probe by probe). Kept true by tests/test_bundle_privacy.py.
BUNDLE_NOTICE = (
    N_("It holds this computer's answers to the checks, as the computer gave them:"),
    N_("- the operating system, its version, updates, firewall, antivirus and the threats it "
       "found (with file paths);"),
    N_("- every installed program or package with its version, and the names of the programs "
       "running now;"),
    N_("- the network: wired or Wi-Fi, the Wi-Fi network's name (SSID) and security, the hardware "
       "(MAC) addresses of the Wi-Fi adapter and access point, proxy settings, which sites "
       "answered, and the measured speed;"),
    N_("- the camera, microphone and speaker as measured figures (never pictures or sound), "
       "the battery, processor and memory;"),
    N_("- folder paths in these answers, which can include your user name or the computer's "
       "name."),
    N_("It does not hold this computer's machine ID or IP address: only the same pseudonymous "
       "device ID as your reports."),
    N_("Send it only to Hello Work staff, and only if you want to."),
)


def _show(args: argparse.Namespace, env: Environment, tr: Translator) -> ExitStatus:
    """Show a report. One whose signature fails is shown under a banner saying so, without its
    verdict or the verdict colours, and the exit status is 1 (not intact), as for ``verify``."""
    from precheck.reports.io import load_document
    from precheck.reports.schema import validate
    from precheck.reports.signing import ReportInvalid, verify

    document = load_document(args.file)
    try:
        validate(document)  # showing needs the report's shape
    except ReportInvalid as exc:
        env.stderr.write(tr(N_("precheck: error: {reason}")).format(reason=exc) + "\n")
        return ExitStatus.USAGE
    problem: str | None = None
    try:
        verify(document)
    except ReportInvalid as exc:
        problem = str(exc)
        signature = tr(N_("Signature: NOT valid ({reason})")).format(reason=exc)
    else:
        signature = tr(N_("Signature: valid"))
    if args.html:
        from precheck.reports.render.html import render_html

        _write_text(args.html, render_html(document, tr.language, signature_problem=problem),
                    tr)
        env.stdout.write(tr(N_("The report page was saved to {path}")).format(path=args.html)
                         + "\n")
    else:
        _print_rich(env, _terminal(document, tr.language, problem))
    env.stdout.write(signature + "\n")
    return ExitStatus.OK if problem is None else ExitStatus.CHECK_FAILED


def _verify(args: argparse.Namespace, env: Environment, tr: Translator) -> ExitStatus:
    from precheck.reports.io import load_document
    from precheck.reports.signing import ReportInvalid, verify

    try:
        verified = verify(load_document(args.file), expected_key_id=args.key_id)
    except ReportInvalid as exc:
        env.stdout.write(tr(N_("NOT VALID: {reason}")).format(reason=exc) + "\n")
        return ExitStatus.CHECK_FAILED
    report = verified.report
    env.stdout.write(tr(N_("VALID: signed by key {key}, device {device}, created {created}, "
                           "verdict {verdict}")).format(
        key=verified.key_id, device=report.device_id, created=report.created,
        verdict=report.verdict) + "\n")
    return ExitStatus.OK


def _terminal(document: Mapping[str, Any], language: str,
              signature_problem: str | None = None) -> Any:
    from precheck.reports.render.terminal import render_terminal

    return render_terminal(document, language, signature_problem=signature_problem)


def _print_rich(env: Environment, renderable: Any) -> None:
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            # rich would exit 1 here; run_cli ends every command the same way instead, and only
            # main() touches the process's own stdout (env.stdout may be another stream).
            self.quiet = True
            raise BrokenPipeError

    _Console(file=env.stdout, highlight=False, soft_wrap=False).print(renderable)


def _write_text(path: Path, text: str, tr: Translator) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise _cannot_write(path, exc, tr) from exc


def _cannot_write(path: Path, exc: OSError, tr: Translator) -> PrecheckError:
    return PrecheckError(tr(N_("cannot write {path}: {reason}")).format(
        path=path, reason=exc.strerror or exc))


_COMMANDS: dict[str, Callable[[argparse.Namespace, Environment, Translator], ExitStatus]] = {
    "run": _run, "list": _list, "collect": _collect, "show": _show, "verify": _verify,
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

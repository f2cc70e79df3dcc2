"""``precheck report show`` and ``report verify``, and how every command writes what it shows.

A report is shown in the terminal or as a web page; the text goes to the injected
:class:`~precheck.status.Environment`'s streams, never to the process's own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from precheck.errors import PrecheckError
from precheck.result import N_
from precheck.status import Environment, ExitStatus

if TYPE_CHECKING:
    import argparse
    from collections.abc import Mapping
    from pathlib import Path

    from precheck.i18n import Translator


def show(args: argparse.Namespace, env: Environment, tr: Translator) -> ExitStatus:
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

        write_text(args.html, render_html(document, tr.language, signature_problem=problem), tr)
        env.stdout.write(tr(N_("The report page was saved to {path}")).format(path=args.html)
                         + "\n")
    else:
        print_rich(env, _terminal(document, tr.language, problem))
    env.stdout.write(signature + "\n")
    return ExitStatus.OK if problem is None else ExitStatus.CHECK_FAILED


def verify(args: argparse.Namespace, env: Environment, tr: Translator) -> ExitStatus:
    """Whether a report's signature and format hold (and, with ``--key-id``, whose key)."""
    from precheck.reports.io import load_document
    from precheck.reports.signing import ReportInvalid
    from precheck.reports.signing import verify as verify_signature

    try:
        verified = verify_signature(load_document(args.file), expected_key_id=args.key_id)
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


def print_rich(env: Environment, renderable: Any) -> None:
    """``renderable`` on the environment's standard output; a closed pipe is BrokenPipeError."""
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            # rich would exit 1 here; run_cli ends every command the same way instead, and only
            # main() touches the process's own stdout (env.stdout may be another stream).
            self.quiet = True
            raise BrokenPipeError

    _Console(file=env.stdout, highlight=False, soft_wrap=False).print(renderable)


def write_text(path: Path, text: str, tr: Translator) -> None:
    """``text`` to ``path`` in UTF-8; a failure is an error naming the file."""
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise cannot_write(path, exc, tr) from exc


def cannot_write(path: Path, exc: OSError, tr: Translator) -> PrecheckError:
    """The error for a file that could not be written, with the system's reason."""
    return PrecheckError(tr(N_("cannot write {path}: {reason}")).format(
        path=path, reason=exc.strerror or exc))

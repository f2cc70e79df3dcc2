"""``precheck run``, ``list`` and ``collect``: the commands that run or name the checks.

Heavy modules (the plugins, the runner, rich) are imported inside each command, so the command
line starts fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from precheck.cli_report import cannot_write, print_rich, write_text
from precheck.errors import PrecheckError
from precheck.result import N_
from precheck.status import Environment, ExitStatus

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Sequence

    from precheck.bundle import Bundle
    from precheck.i18n import Translator
    from precheck.plugins import Catalog
    from precheck.runner import Outcome
    from precheck.system import System


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


def run(args: argparse.Namespace, env: Environment, tr: Translator) -> ExitStatus:
    """Check this computer (or replay a bundle), show or print the signed report."""
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
        write_text(args.report, text, tr)
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
        print_rich(env, render_terminal(document, tr.language, verdict_last=True,
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


def list_checks(args: argparse.Namespace, env: Environment, tr: Translator) -> ExitStatus:
    """The installed checks, as a table or as JSON, each with the package that provides it."""
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
    print_rich(env, table)
    return ExitStatus.OK


def collect(args: argparse.Namespace, env: Environment, tr: Translator) -> ExitStatus:
    """Run the checks and save their answers as a diagnostic bundle for staff."""
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
        raise cannot_write(output, exc, tr) from exc
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

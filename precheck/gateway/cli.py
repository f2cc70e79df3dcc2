"""``precheck gateway ...``: the operator's commands.

Dispatched from :func:`precheck.cli.run_cli` before the job seeker's parser is built, so the
gateway's heavy modules (FastAPI, SQLAlchemy, uvicorn) are imported only here and only when used.
The operator's messages are in English (the job seeker never sees them).

    precheck gateway serve [--host H] [--port P] [--database-url URL] [--workers N]
    precheck gateway check [--no-smtp]          (the configuration, before starting)
    precheck gateway migrate
    precheck gateway create-staff USER          (password asked twice, or --password-stdin)
    precheck gateway set-password USER
    precheck gateway disable-staff USER | enable-staff USER
    precheck gateway unlock-staff USER          (after repeated wrong passwords)
    precheck gateway lift-block --office ID (--reference R | --email E | --jobseeker-number N)
    precheck gateway sweep
    precheck gateway outbox [--retry-failed]

Every command takes ``--database-url`` (default: ``PRECHECK_GATEWAY_DATABASE_URL``, else a
SQLite file in the user's data directory); ``docs/gateway.md`` lists the other settings.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NoReturn

from precheck.errors import PrecheckError
from precheck.status import Environment, ExitStatus

if TYPE_CHECKING:
    from precheck.gateway.settings import GatewaySettings

log = logging.getLogger("precheck.gateway")


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(f"{self.prog}: {message}")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="precheck gateway",
                     description="The booking gateway of precheck (for office operators).")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def command(name: str, text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=text, description=text)
        sub.add_argument("--database-url", metavar="URL",
                         help="sqlite:///PATH or postgresql+psycopg://USER@HOST/DB "
                              "(default: $PRECHECK_GATEWAY_DATABASE_URL, else a SQLite file "
                              "in the user data directory)")
        return sub

    serve = command("serve", "run the gateway (migrations are applied first)")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default 8000)")
    serve.add_argument("--workers", type=int, default=1,
                       help="processes to run (default 1; they share the database)")
    serve.add_argument("--public-url", metavar="URL",
                       help="the address job seekers use, for links in emails")
    serve.add_argument("--offices", metavar="FILE", help="office profiles (TOML)")
    serve.add_argument("--log-format", choices=("text", "json"),
                       help="the log's format (default text; $PRECHECK_GATEWAY_LOG_FORMAT)")
    check = command("check", "check the configuration before starting (changes nothing)")
    check.add_argument("--offices", metavar="FILE", help="office profiles (TOML)")
    check.add_argument("--public-url", metavar="URL",
                       help="the address job seekers use, for links in emails")
    check.add_argument("--no-smtp", action="store_true",
                       help="do not connect to the mail server")
    command("migrate", "apply database migrations and exit")
    for name, text in (("create-staff", "create a staff user for the console"),
                       ("set-password", "give a staff user a new password"),
                       ("disable-staff", "stop a staff user from logging in"),
                       ("enable-staff", "let a disabled staff user log in again"),
                       ("unlock-staff", "let a staff user locked after repeated wrong "
                                        "passwords log in again")):
        sub = command(name, text)
        sub.add_argument("username")
        if name in ("create-staff", "set-password"):
            sub.add_argument("--password-stdin", action="store_true",
                             help="read the password from standard input (one line)")
    lift = command("lift-block", "let a job seeker blocked after no-shows book online again")
    lift.add_argument("--office", required=True, metavar="ID")
    who = lift.add_mutually_exclusive_group(required=True)
    who.add_argument("--reference", help="a booking of theirs (all its identities are lifted)")
    who.add_argument("--email")
    who.add_argument("--jobseeker-number")
    command("sweep", "lapse unconfirmed bookings and mark no-shows now (the server does this "
                     "by itself every 30 s)")
    outbox = command("outbox", "show the mail outbox; optionally retry failed mails")
    outbox.add_argument("--retry-failed", action="store_true",
                        help="put mails that were set aside as failed back in the queue")
    return parser


def run(argv: Sequence[str], env: Environment) -> ExitStatus:
    """Parse the gateway's arguments and run the command; errors are one line, no traceback."""
    try:
        with contextlib.redirect_stdout(env.stdout):  # --help goes where the caller reads
            args = _parser().parse_args(list(argv))
    except _UsageError as exc:
        env.stderr.write(f"{exc}\n")
        return ExitStatus.USAGE
    except SystemExit as exc:  # --help
        return ExitStatus.OK if exc.code in (0, None) else ExitStatus.USAGE
    try:
        return _COMMANDS[args.command](args, env)
    except ModuleNotFoundError as exc:
        env.stderr.write(f"precheck gateway: {exc.name} is not installed; the gateway needs "
                         "the [gateway] extra: pip install 'hellowork-precheck[gateway]' (and "
                         "'hellowork-precheck[postgres]' for PostgreSQL)\n")
        return ExitStatus.USAGE
    except PrecheckError as exc:
        env.stderr.write(f"precheck gateway: error: {exc}\n")
        return ExitStatus.USAGE
    except KeyboardInterrupt:
        return ExitStatus.INTERRUPTED
    except Exception as exc:
        message = _database_problem(exc)
        if message is None:
            raise
        env.stderr.write(f"precheck gateway: error: {message}\n")
        return ExitStatus.USAGE


def _database_problem(exc: Exception) -> str | None:
    from sqlalchemy.exc import ArgumentError, OperationalError

    if isinstance(exc, OperationalError):
        return (f"cannot use the database ({type(exc.orig).__name__}): check --database-url "
                "and that the database server is running")
    if isinstance(exc, ArgumentError):
        return f"the database URL is not valid: {exc}"
    return None


def _settings(args: argparse.Namespace, env: Environment, **extra: Any) -> GatewaySettings:
    from pathlib import Path

    from precheck.gateway.settings import from_env

    offices = getattr(args, "offices", None)
    return from_env(env.environ, database_url=args.database_url,
                    offices_path=Path(offices) if offices else None, **extra)


def _now() -> datetime:
    return datetime.now(UTC)


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _serve(args: argparse.Namespace, env: Environment) -> ExitStatus:
    import logging.config

    import uvicorn

    from precheck.gateway import logs
    from precheck.gateway.settings import ENV_PREFIX

    settings = _settings(args, env, host=args.host, port=args.port, public_url=args.public_url,
                         log_format=args.log_format)
    log_config = logs.dict_config(settings.log_format)
    logging.config.dictConfig(log_config)
    log.info("precheck gateway on http://%s:%s, database %s", settings.host, settings.port,
             _redacted(settings.database_url))
    options: dict[str, Any] = {
        "host": settings.host, "port": settings.port, "access_log": False,
        "proxy_headers": True, "forwarded_allow_ips": settings.forwarded_allow_ips,
        "log_level": "info", "server_header": False, "log_config": log_config,
    }
    if args.workers > 1:
        # Worker processes build their app from the environment: hand them these settings
        # (not those read from a *_FILE variable: the workers read the same file).
        given = {"database_url": settings.database_url, "host": settings.host,
                 "port": str(settings.port), "public_url": settings.public_url,
                 "offices_path": str(settings.offices_path or ""),
                 "log_format": settings.log_format}
        for name, value in given.items():
            variable = ENV_PREFIX + name.upper()
            if value and not os.environ.get(variable + "_FILE"):
                os.environ[variable] = str(value)
        _multiprocess_metrics()
        from precheck.gateway.db import make_engine, migrate

        engine = make_engine(settings.database_url)  # once, before the workers start
        migrate(engine)
        engine.dispose()
        uvicorn.run("precheck.gateway.app:create_app_from_env", factory=True,
                    workers=args.workers, **options)
        return ExitStatus.OK
    from precheck.gateway.app import create_app

    uvicorn.run(create_app(settings), **options)
    return ExitStatus.OK


def _multiprocess_metrics() -> None:
    """Counters of several worker processes go to files in one folder (prometheus-client's
    multiprocess mode); an empty one is made unless the operator named one."""
    import tempfile
    from pathlib import Path

    from precheck.gateway.metrics import MULTIPROC_ENV

    folder = os.environ.get(MULTIPROC_ENV)
    if folder:
        for old in Path(folder).glob("*.db"):  # counts of an earlier run
            old.unlink()
        return
    os.environ[MULTIPROC_ENV] = tempfile.mkdtemp(prefix="precheck-gateway-metrics-")


def _check(args: argparse.Namespace, env: Environment) -> ExitStatus:
    from precheck.gateway.preflight import run_checks
    from precheck.status import ExitStatus

    settings = _settings(args, env, public_url=args.public_url)
    findings = run_checks(settings, smtp=not args.no_smtp)
    for finding in findings:
        env.stdout.write(f"{finding.level}: {finding.text}\n")
    errors = sum(1 for f in findings if f.level == "error")
    warnings = sum(1 for f in findings if f.level == "warning")
    env.stdout.write(f"{errors} error(s), {warnings} warning(s)\n")
    return ExitStatus.USAGE if errors else ExitStatus.OK


@contextlib.contextmanager
def _engine(args: argparse.Namespace, env: Environment) -> Iterator[Any]:
    """The migrated database, closed when the command is done."""
    from precheck.gateway.db import make_engine, migrate

    engine = make_engine(_settings(args, env).database_url)
    try:
        migrate(engine)
        yield engine
    finally:
        engine.dispose()


@contextlib.contextmanager
def _sessions(args: argparse.Namespace, env: Environment) -> Iterator[Any]:
    from precheck.gateway.db import session_factory

    with _engine(args, env) as engine, session_factory(engine)() as session:
        yield session


def _migrate(args: argparse.Namespace, env: Environment) -> ExitStatus:
    from precheck.gateway.db import current_revision

    with _engine(args, env) as engine:
        env.stdout.write(f"database at revision {current_revision(engine)}\n")
    return ExitStatus.OK


def _read_password(args: argparse.Namespace, env: Environment) -> str:
    if args.password_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        msg = "the two passwords differ; nothing was changed"
        raise PrecheckError(msg)
    return first


def _create_staff(args: argparse.Namespace, env: Environment) -> ExitStatus:
    from precheck.gateway import auth

    auth.check_username(args.username)
    password = auth.check_password(_read_password(args, env))
    with _sessions(args, env) as session:
        account = auth.create_staff(session, args.username, password, _now())
    env.stdout.write(f"staff user {account.username} created\n")
    return ExitStatus.OK


def _set_password(args: argparse.Namespace, env: Environment) -> ExitStatus:
    from precheck.gateway import auth

    password = auth.check_password(_read_password(args, env))
    with _sessions(args, env) as session:
        auth.set_password(session, args.username, password, _now())
    env.stdout.write(f"new password set for {args.username}; their sessions were ended\n")
    return ExitStatus.OK


def _disable(args: argparse.Namespace, env: Environment) -> ExitStatus:
    from precheck.gateway import auth

    disabled = args.command == "disable-staff"
    with _sessions(args, env) as session:
        auth.set_disabled(session, args.username, _now(), disabled=disabled)
    env.stdout.write(f"{args.username} {'disabled' if disabled else 'enabled'}\n")
    return ExitStatus.OK


def _unlock(args: argparse.Namespace, env: Environment) -> ExitStatus:
    from precheck.gateway import auth
    from precheck.status import ExitStatus

    with _sessions(args, env) as session:
        auth.unlock(session, args.username)
    env.stdout.write(f"{args.username} unlocked\n")
    return ExitStatus.OK


@contextlib.contextmanager
def _gateway(args: argparse.Namespace, env: Environment) -> Iterator[tuple[Any, Any]]:
    """The booking service and a session on the migrated database."""
    from precheck.gateway.db import session_factory
    from precheck.gateway.service import Gateway

    with _engine(args, env) as engine, session_factory(engine)() as session:
        yield Gateway.open(_settings(args, env), engine), session


def _lift_block(args: argparse.Namespace, env: Environment) -> ExitStatus:
    from precheck.gateway.service import GatewayError

    with _gateway(args, env) as (gateway, session):
        try:
            lifted = gateway.lift_block(session, args.office, email=args.email,
                                        jobseeker_number=args.jobseeker_number,
                                        reference=args.reference, actor="operator",
                                        now=_now())
        except GatewayError as exc:
            from precheck.gateway.gate import render

            env.stderr.write(f"precheck gateway: {render(exc.message, 'en')}\n")
            return ExitStatus.USAGE
    env.stdout.write(f"{lifted} block(s) lifted\n" if lifted else
                     "nothing to lift: no blocked identity matched\n")
    return ExitStatus.OK


def _sweep(args: argparse.Namespace, env: Environment) -> ExitStatus:
    from precheck.gateway import reminders

    with _gateway(args, env) as (gateway, session):
        now = _now()
        counts = gateway.sweep(session, now)
        reminded = reminders.send_reminders(gateway, session, now)
    env.stdout.write(f"{counts.expired} hold(s) lapsed, {counts.no_shows} no-show(s) marked, "
                     f"{counts.purged} old row(s) deleted, {reminded} reminder(s) queued\n")
    return ExitStatus.OK


def _outbox(args: argparse.Namespace, env: Environment) -> ExitStatus:
    from sqlalchemy import func, select, update

    from precheck.gateway.models import OutboxMail

    with _sessions(args, env) as session:
        if args.retry_failed:
            result = session.execute(
                update(OutboxMail).where(OutboxMail.failed_at.is_not(None))
                .values(failed_at=None, attempts=0, next_attempt_at=_now(), locked_until=None))
            session.commit()
            env.stdout.write(f"{getattr(result, 'rowcount', 0)} failed mail(s) queued again\n")
        waiting = session.execute(select(func.count()).select_from(OutboxMail).where(
            OutboxMail.sent_at.is_(None), OutboxMail.failed_at.is_(None))).scalar_one()
        failed = session.execute(select(func.count()).select_from(OutboxMail).where(
            OutboxMail.failed_at.is_not(None))).scalar_one()
        sent = session.execute(select(func.count()).select_from(OutboxMail).where(
            OutboxMail.sent_at.is_not(None))).scalar_one()
    env.stdout.write(f"outbox: {waiting} waiting, {sent} sent, {failed} failed\n")
    return ExitStatus.OK


_COMMANDS: dict[str, Callable[[argparse.Namespace, Environment], ExitStatus]] = {
    "serve": _serve, "check": _check, "migrate": _migrate, "create-staff": _create_staff,
    "set-password": _set_password, "disable-staff": _disable, "enable-staff": _disable,
    "unlock-staff": _unlock,
    "lift-block": _lift_block, "sweep": _sweep, "outbox": _outbox,
}

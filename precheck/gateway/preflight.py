"""``precheck gateway check``: what would go wrong if the gateway started with this configuration.

It reads the settings (every ``PRECHECK_GATEWAY_*`` variable and ``*_FILE`` file) and the office
profiles, connects to the database (without migrating or writing anything) and compares its
schema with this version's migrations, checks the holiday data of this year and the next, and,
unless told not to, connects to the mail server (STARTTLS and login as configured; no mail is
sent). Each finding is ``ok``, ``warning`` (it starts, but something is likely wrong) or ``error``
(it would not work); the command exits 2 when there is an error.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from precheck.errors import PrecheckError

if TYPE_CHECKING:
    from precheck.gateway.settings import GatewaySettings


@dataclass(frozen=True, slots=True)
class Finding:
    level: str  # "ok", "warning" or "error"
    text: str


def run_checks(settings: GatewaySettings, *, smtp: bool = True) -> list[Finding]:
    """Every finding about ``settings``, in the order an operator reads them."""
    findings: list[Finding] = []
    findings += _offices(settings)
    findings += _public_url(settings)
    findings += _database(settings)
    findings += _holidays()
    findings += _mail(settings) if smtp else [Finding("ok", "mail server not contacted "
                                                             "(--no-smtp)")]
    return findings


def _offices(settings: GatewaySettings) -> list[Finding]:
    from precheck.gateway.offices import load_offices

    try:
        offices = load_offices(settings.offices_path)
    except PrecheckError as exc:
        return [Finding("error", f"office profiles: {exc}")]
    where = settings.offices_path or "the shipped profiles"
    found = [Finding("ok", f"{len(offices)} office(s) from {where}: {', '.join(offices)}")]
    found += [Finding("warning", f"office {o.id} has no phone number: same-day cancellation "
                                 "and late check-in messages cannot name one")
              for o in offices.values() if not o.phone]
    return found


def _public_url(settings: GatewaySettings) -> list[Finding]:
    if not settings.public_url:
        return [Finding("warning", f"PUBLIC_URL is not set: links in emails will start with "
                                   f"{settings.base_url}, which job seekers cannot reach")]
    parts = urlsplit(settings.public_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return [Finding("error", f"PUBLIC_URL {settings.public_url!r} is not an http(s) "
                                 "address")]
    if parts.scheme != "https" and parts.hostname not in ("localhost", "127.0.0.1", "::1"):
        return [Finding("warning", f"PUBLIC_URL {settings.public_url} is not https: link "
                                   "tokens would travel in clear")]
    return [Finding("ok", f"links in emails start with {settings.base_url}")]


def _database(settings: GatewaySettings) -> list[Finding]:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    from precheck.gateway.db import current_revision, make_engine
    from precheck.gateway.ops import head_revision

    try:
        parsed = make_url(settings.database_url)
    except ArgumentError as exc:
        return [Finding("error", f"database URL: {exc}")]
    if (parsed.get_backend_name() == "sqlite" and parsed.database
            and parsed.database != ":memory:" and not Path(parsed.database).exists()):
        return [Finding("ok", f"SQLite file {parsed.database} does not exist yet: serve "
                              "creates it")]
    try:
        engine = make_engine(settings.database_url, connect_args={"connect_timeout": 5}
                             if settings.database_url.startswith("postgresql") else {})
    except (ArgumentError, ModuleNotFoundError) as exc:
        return [Finding("error", f"database URL: {exc}")]
    try:
        revision = current_revision(engine)
    except SQLAlchemyError as exc:
        return [Finding("error", f"database cannot be reached "
                                 f"({type(getattr(exc, 'orig', exc)).__name__}): check "
                                 "DATABASE_URL and that the server runs")]
    finally:
        engine.dispose()
    head = head_revision()
    url = engine.url.render_as_string(hide_password=True)
    if revision == head:
        return [Finding("ok", f"database {url} at revision {revision} (the newest)")]
    if revision is None:
        return [Finding("ok", f"database {url} is empty: serve creates the tables")]
    from alembic.script import ScriptDirectory

    from precheck.gateway.db import alembic_config

    known = {r.revision for r in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    if revision not in known:
        return [Finding("error", f"database {url} is at revision {revision}, which this "
                                 "version does not know (made by a newer gateway?)")]
    return [Finding("ok", f"database {url} at revision {revision}: serve migrates it to "
                          f"{head}")]


def _holidays() -> list[Finding]:
    from precheck.gateway import rules

    year = datetime.now(UTC).year
    found: list[Finding] = []
    for wanted in (year, year + 1):
        try:
            rules.national_holiday(datetime(wanted, 1, 1, tzinfo=UTC).date())
        except rules.HolidayDataMissing:
            found.append(Finding("warning", f"no national holiday data for {wanted}: days of "
                                            "that year cannot be booked (update 'holidays')"))
    return found or [Finding("ok", f"national holidays known for {year} and {year + 1}")]


def _mail(settings: GatewaySettings) -> list[Finding]:
    from precheck.gateway import mail_sender

    if not settings.smtp_host:
        return [Finding("warning", "SMTP_HOST is not set: mails wait in the outbox and job "
                                   "seekers get no links")]
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    try:
        connection = mail_sender._connect(settings)
    except (OSError, smtplib.SMTPException) as exc:
        return [Finding("error", f"mail server {where}: {mail_sender._describe(exc)}")]
    mail_sender._close(connection)
    return [Finding("ok", f"mail server {where} answers"
                          + (" and accepted the login" if settings.smtp_user else ""))]

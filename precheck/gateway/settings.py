"""The gateway's configuration: defaults that work with no set-up, overridden by the environment.

Every setting has an environment variable ``PRECHECK_GATEWAY_<NAME>`` (upper case); the command
line's ``--database-url``, ``--host`` and ``--port`` win over the environment. With nothing set,
the gateway keeps a SQLite file in the user's data directory and serves the shipped offices.
``docs/gateway.md`` lists every variable.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any

from precheck.errors import PrecheckError

ENV_PREFIX = "PRECHECK_GATEWAY_"
SQLITE_FILE = "gateway.sqlite3"


class SettingsError(PrecheckError):
    """A configuration value is malformed; the message names the variable and what it wants."""


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most ``hits`` requests per client in each window of ``per``."""

    hits: int
    per: timedelta


@dataclass(frozen=True, slots=True)
class GatewaySettings:
    """Everything the gateway's processes must agree on (give them all the same environment)."""

    database_url: str
    host: str = "127.0.0.1"
    port: int = 8000
    #: The address job seekers reach the gateway at; links in emails start with it.
    public_url: str = ""
    #: Office profiles (TOML); None: the offices shipped with precheck.
    offices_path: Path | None = None
    #: The folder of app archives the download page (/download) offers; None: none offered.
    downloads_dir: Path | None = None
    #: How long a challenge nonce may be used after it was issued.
    challenge_ttl: timedelta = timedelta(minutes=15)
    #: How old a report may be (its ``created``) when a booking or check-in uses it.
    report_max_age: timedelta = timedelta(minutes=30)
    #: How far in the future a report's ``created`` may lie (the job seeker's clock runs fast).
    clock_skew: timedelta = timedelta(minutes=5)
    #: Policy versions accepted, each with the digest it must carry (empty: the built-in one).
    accepted_policies: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: Check ids that must be in the report and must not block (empty: the built-in required
    #: checks).
    required_checks: tuple[str, ...] = ()
    #: Required checks whose figures this gateway must have measured itself (measure.py): the
    #: report names the measurement, and the gate compares (docs/report.md, "Threat model").
    #: "none" in the environment turns the rule off.
    observed_checks: tuple[str, ...] = ("network.quality",)
    #: How far a reported speed may exceed what the gateway saw: a factor over the gateway's
    #: figure, plus an absolute slack in Mbit/s (timing differs between the two ends).
    measure_tolerance: float = 0.25
    measure_slack_mbit: float = 1.0
    challenge_limit: RateLimit = RateLimit(10, timedelta(minutes=1))
    booking_limit: RateLimit = RateLimit(10, timedelta(minutes=1))
    #: SMTP server for the outbox; empty host: mail waits in the outbox until one is set.
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    smtp_timeout: timedelta = timedelta(seconds=20)
    mail_from: str = "precheck-gateway@localhost"
    #: Retry delay after the n-th failed attempt: base * 2**(n-1), at most cap.
    mail_backoff_base: timedelta = timedelta(seconds=30)
    mail_backoff_cap: timedelta = timedelta(hours=1)
    #: After this many failed attempts a mail is set aside as failed (kept; see docs).
    mail_max_attempts: int = 60
    mail_interval: timedelta = timedelta(seconds=5)
    sweep_interval: timedelta = timedelta(seconds=30)
    #: Run the outbox sender and the sweeper in this process.
    workers: bool = True
    #: Run the UDP echo of the network test (measure.py) on ``udp_echo_port``.
    udp_echo: bool = True
    #: Its port; 0: the same number as the HTTP port.
    udp_echo_port: int = 0
    #: The largest request body outside the speed test's upload (reports, forms, bundles).
    max_body_bytes: int = 8 * 1024 * 1024
    #: Load balancers whose X-Forwarded-For is believed (uvicorn's forwarded_allow_ips).
    forwarded_allow_ips: str = "127.0.0.1"
    #: Host names the gateway answers to (Host header); empty: the host of ``public_url``,
    #: ``host`` and localhost. Another Host gets 400, so no answer is built from a forged one.
    trusted_hosts: tuple[str, ...] = ()
    staff_session_ttl: timedelta = timedelta(hours=8)
    #: /readyz reports the mail sender stuck when a mail has waited longer than this.
    mail_stuck_after: timedelta = timedelta(minutes=15)
    #: The log's format: "text" (one line per event) or "json" (one JSON object per line).
    log_format: str = "text"

    @property
    def base_url(self) -> str:
        """``public_url`` without its trailing slash, or the address the gateway listens on."""
        if self.public_url:
            return self.public_url.rstrip("/")
        return f"http://{self.host}:{self.port}"

    @property
    def allowed_hosts(self) -> tuple[str, ...]:
        """``trusted_hosts``, or the host names the gateway is reached by when none is set."""
        if self.trusted_hosts:
            return self.trusted_hosts
        from urllib.parse import urlsplit

        public = urlsplit(self.public_url).hostname or ""
        if not public and self.host in ("0.0.0.0", "::", ""):  # noqa: S104 - names, not a bind
            return ("*",)  # reachable by any address and no public name given: cannot tell
        names = [public, self.host, "localhost", "127.0.0.1"]
        return tuple(dict.fromkeys(n for n in names if n))

    def replace(self, **changes: Any) -> GatewaySettings:
        """A copy with some settings changed."""
        return dataclasses.replace(self, **changes)


def default_database_url() -> str:
    """A SQLite file in the user's data directory (``PRECHECK_HOME`` overrides the folder)."""
    from precheck.paths import data_dir

    return f"sqlite:///{data_dir() / SQLITE_FILE}"


def from_env(environ: Mapping[str, str] | None = None, **overrides: Any) -> GatewaySettings:
    """Settings from ``PRECHECK_GATEWAY_*`` variables, then ``overrides`` (command-line values).

    An override of None is ignored, so an option the operator did not give leaves the
    environment's value in place.
    """
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for item in dataclasses.fields(GatewaySettings):
        raw = _raw(env, item.name)
        if raw is not None and raw.strip() != "":
            values[item.name] = _parse(item.name, raw.strip())
    values.update({k: v for k, v in overrides.items() if v is not None})
    values.setdefault("database_url", default_database_url())
    return GatewaySettings(**values)


#: Secrets may come from files (``PRECHECK_GATEWAY_SMTP_PASSWORD_FILE=/run/secrets/smtp``):
#: any setting does, so a service manager's credentials (systemd's LoadCredential=, Docker and
#: Kubernetes secrets) never sit in the environment.
FILE_SUFFIX = "_FILE"
LOG_FORMATS = ("text", "json")


def _raw(env: Mapping[str, str], name: str) -> str | None:
    """A setting's text from its variable, or from the file its ``_FILE`` variable names (its
    content without the final line break)."""
    variable = ENV_PREFIX + name.upper()
    direct, path = env.get(variable), env.get(variable + FILE_SUFFIX)
    if path is None or path.strip() == "":
        return direct
    if direct is not None and direct.strip() != "":
        msg = f"{variable} and {variable}{FILE_SUFFIX} are both set: keep one"
        raise SettingsError(msg)
    try:
        with open(path.strip(), encoding="utf-8") as handle:  # noqa: PTH123 - one small file
            return handle.read().rstrip("\r\n")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        msg = f"{variable}{FILE_SUFFIX}={path.strip()!r} cannot be read: {reason}"
        raise SettingsError(msg) from exc


def _parse(name: str, raw: str) -> Any:
    variable = ENV_PREFIX + name.upper()
    sample = getattr(_DEFAULTS, name)
    try:
        if name in _NAMED:
            return _NAMED[name](raw, variable)
        return _by_type(name, sample, raw)
    except (ValueError, TypeError) as exc:
        msg = f"{variable}={raw!r} is not valid: {_WANTED.get(type(sample), 'a value')}"
        raise SettingsError(msg) from exc


def _log_format(raw: str, variable: str) -> str:
    if raw.lower() not in LOG_FORMATS:
        msg = f"{variable}={raw!r} is not valid: text or json"
        raise SettingsError(msg)
    return raw.lower()


def _names(raw: str, _variable: str) -> tuple[str, ...]:
    if raw.lower() == "none":
        return ()
    return tuple(part.strip() for part in raw.split(",") if part.strip())


#: Settings read by their own rule rather than by the type of their default.
_NAMED: dict[str, Callable[[str, str], Any]] = {
    "offices_path": lambda raw, _variable: Path(raw),
    "downloads_dir": lambda raw, _variable: Path(raw),
    "log_format": _log_format,
    "accepted_policies": lambda raw, _variable: MappingProxyType(_pairs(raw)),
    "required_checks": _names,
    "observed_checks": _names,
    "trusted_hosts": _names,
    "udp_echo_port": lambda raw, _variable: _port(raw),
}


def _by_type(name: str, sample: Any, raw: str) -> Any:
    if isinstance(sample, float):
        value = float(raw)
        if not value >= 0:
            raise ValueError(raw)
        return value
    if isinstance(sample, RateLimit):
        hits, seconds = raw.split("/")
        return RateLimit(_positive(hits), timedelta(seconds=_positive(seconds)))
    if isinstance(sample, bool):
        return _boolean(raw)
    if isinstance(sample, int):
        return _positive(raw)
    if isinstance(sample, timedelta):
        return timedelta(seconds=float(raw))
    return raw


def _pairs(raw: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for part in raw.split(","):
        version, _, digest = part.strip().partition("=")
        if not version or not digest.startswith("sha256:"):
            raise ValueError(part)
        pairs[version.strip()] = digest.strip()
    return pairs


def _positive(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise ValueError(text)
    return value


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise ValueError(text)
    return value


def _boolean(text: str) -> bool:
    lowered = text.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError(text)


_DEFAULTS = GatewaySettings(database_url="")
_WANTED: dict[type, str] = {
    RateLimit: "HITS/SECONDS, e.g. 10/60",
    bool: "true or false",
    int: "a whole number above 0",
    float: "a number, 0 or more",
    timedelta: "a number of seconds",
    MappingProxyType: "VERSION=sha256:DIGEST[,VERSION=sha256:DIGEST...]",
    tuple: "names separated by commas (or none)",
}

"""The job seeker's settings: the office they chose, and so the booking gateway to use.

A small TOML file in the user's configuration directory (``precheck config`` shows and sets it):

- Windows: ``%LOCALAPPDATA%\\precheck\\config.toml``; macOS:
  ``~/Library/Application Support/precheck/config.toml``; Linux:
  ``$XDG_CONFIG_HOME/precheck/config.toml`` (usually ``~/.config/precheck/config.toml``);
- ``PRECHECK_HOME=DIR``: ``DIR/config.toml`` (with the key and salt, see :mod:`precheck.paths`).

Keys: ``office`` (an office id of the shipped profiles) and ``gateway_url`` (an explicit gateway,
for an office whose profile carries none). The gateway precheck talks to, first found wins:
``--gateway URL``, ``PRECHECK_GATEWAY_URL``, the file's ``gateway_url``, the chosen office's
``gateway_url`` in the shipped profiles (``precheck/gateway/data/offices.toml``).
"""

from __future__ import annotations

import json
import logging
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from precheck.errors import PrecheckError

log = logging.getLogger(__name__)

FILE_NAME = "config.toml"
GATEWAY_ENV = "PRECHECK_GATEWAY_URL"
KEYS = ("office", "gateway_url")


class ConfigError(PrecheckError):
    """The settings file cannot be read or written, or a value is wrong (the message says)."""


@dataclass(frozen=True, slots=True)
class UserConfig:
    """What the settings file holds; None: not set."""

    office: str | None = None
    gateway_url: str | None = None

    def with_value(self, key: str, value: str | None) -> UserConfig:
        """A copy with ``key`` set to ``value`` (None unsets it)."""
        if key not in KEYS:
            msg = f"unknown setting {key!r}: the settings are {', '.join(KEYS)}"
            raise ConfigError(msg)
        return replace(self, **{key: value or None})


@dataclass(frozen=True, slots=True)
class Gateway:
    """The gateway to use and where that choice came from (``None``: no gateway at all)."""

    url: str | None
    source: str  # "option", "environment", "config", "office", or "none"


def config_path(environ: Mapping[str, str] | None = None) -> Path:
    """Where the settings file is (it may not exist yet)."""
    env = os.environ if environ is None else environ
    home = env.get("PRECHECK_HOME")
    if home:
        return Path(home) / FILE_NAME
    import platformdirs

    # roaming=False: on Windows the same %LOCALAPPDATA% folder as the key and the salt.
    folder = platformdirs.user_config_dir("precheck", appauthor=False, roaming=False)
    return Path(folder) / FILE_NAME


def load(environ: Mapping[str, str] | None = None) -> UserConfig:
    """The settings; an absent file is no settings. Raises ConfigError for a broken file."""
    path = config_path(environ)
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        return UserConfig()
    except OSError as exc:
        msg = f"cannot read the settings file {path}: {exc.strerror or exc}"
        raise ConfigError(msg) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        msg = f"the settings file {path} is not valid TOML: {exc}"
        raise ConfigError(msg) from exc
    values: dict[str, str | None] = {}
    for key in KEYS:
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            msg = f"the settings file {path}: {key} must be text, got {value!r}"
            raise ConfigError(msg)
        values[key] = (value.strip() or None) if isinstance(value, str) else None
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        log.warning("ignoring unknown settings in %s: %s", path, ", ".join(unknown))
    return UserConfig(**values)


def load_quietly(environ: Mapping[str, str] | None = None) -> UserConfig:
    """The settings, or none when the file is broken (the app must start anyway; it is logged)."""
    try:
        return load(environ)
    except ConfigError as exc:
        log.warning("%s", exc)
        return UserConfig()


def save(config: UserConfig, environ: Mapping[str, str] | None = None) -> Path:
    """Write the settings (replacing the file in one step); the path written."""
    path = config_path(environ)
    lines = ["# precheck's settings (precheck config shows and changes them)."]
    for key in KEYS:
        value = getattr(config, key)
        if value is not None:
            # A JSON string is a valid TOML basic string (the same quotes and escapes).
            lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
    temporary = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text("\n".join(lines) + "\n", encoding="utf-8")
        temporary.replace(path)
    except OSError as exc:
        msg = f"cannot write the settings file {path}: {exc.strerror or exc}"
        raise ConfigError(msg) from exc
    return path


def office_gateway(office_id: str | None) -> str | None:
    """The gateway URL the shipped profile of ``office_id`` carries, if any."""
    if not office_id:
        return None
    from precheck.offices import OfficeConfigError, load_offices

    try:
        profile = load_offices().get(office_id)
    except OfficeConfigError:
        log.warning("could not read the office profiles", exc_info=True)
        return None
    return None if profile is None else profile.gateway_url


def resolve_gateway(option: str | None, environ: Mapping[str, str] | None = None,
                    config: UserConfig | None = None) -> Gateway:
    """The gateway to use: ``--gateway``, the variable, the settings, the chosen office's."""
    env = os.environ if environ is None else environ
    if option:
        return Gateway(option.strip(), "option")
    from_env = env.get(GATEWAY_ENV, "").strip()
    if from_env:
        return Gateway(from_env, "environment")
    settings = load_quietly(env) if config is None else config
    if settings.gateway_url:
        return Gateway(settings.gateway_url, "config")
    office = office_gateway(settings.office)
    if office:
        return Gateway(office, "office")
    return Gateway(None, "none")

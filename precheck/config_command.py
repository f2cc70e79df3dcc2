"""``precheck config``: show the job seeker's settings, or set the office and the gateway.

    precheck config                      # the file, the office, the gateway and why that one
    precheck config set office ID        # one of the shipped offices (precheck config lists them)
    precheck config set gateway URL      # an explicit booking gateway
    precheck config unset office|gateway
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from precheck import userconfig
from precheck.errors import PrecheckError
from precheck.result import N_

if TYPE_CHECKING:
    from precheck.i18n import Translator
    from precheck.status import Environment

#: The names on the command line, and the settings file's keys they change.
KEYS = {"office": "office", "gateway": "gateway_url"}

SOURCES = {
    "option": N_("from --gateway"),
    "environment": N_("from the environment variable PRECHECK_GATEWAY_URL"),
    "config": N_("from the settings file"),
    "office": N_("the chosen office's gateway"),
}


def add_parser(commands: argparse._SubParsersAction[Any], tr: Translator,
               parser_class: type[argparse.ArgumentParser]) -> None:
    """``config`` and its ``set`` and ``unset`` commands."""
    config = commands.add_parser(
        "config", help=tr(N_("show or change your settings (the office, the booking gateway)")))
    actions = config.add_subparsers(dest="config_command", parser_class=parser_class)
    setting = actions.add_parser("set", help=tr(N_("change a setting")))
    setting.add_argument("key", choices=tuple(KEYS))
    setting.add_argument("value", metavar="VALUE")
    unsetting = actions.add_parser("unset", help=tr(N_("remove a setting")))
    unsetting.add_argument("key", choices=tuple(KEYS))


def run(args: argparse.Namespace, env: Environment, tr: Translator) -> int:
    """Show the settings, or change one and show them; 0, or raises PrecheckError."""
    command = getattr(args, "config_command", None)
    if command in ("set", "unset"):
        key = KEYS[args.key]
        value = args.value.strip() if command == "set" else None
        if value is not None:
            value = _checked(key, value, tr)
        current = userconfig.load(env.environ)
        path = userconfig.save(current.with_value(key, value), env.environ)
        env.stdout.write(tr(N_("Saved to {path}")).format(path=path) + "\n")
    _show(env, tr)
    return 0


def _checked(key: str, value: str, tr: Translator) -> str:
    if key == "gateway_url":
        from precheck.probes.network import normalize_gateway

        try:
            return normalize_gateway(value)
        except ValueError as exc:
            raise PrecheckError(tr(N_("the booking gateway's address must start with http:// "
                                      "or https://: {url}")).format(url=value)) from exc
    offices = _offices()
    if value not in offices:
        raise PrecheckError(tr(N_("no office has the id {id}; the offices are: {ids}")).format(
            id=value, ids=", ".join(offices)))
    return value


def _offices() -> dict[str, tuple[str, str, str | None]]:
    """The shipped offices: id -> (Japanese name, English name, gateway URL)."""
    from precheck.offices import load_offices

    return {o.id: (o.name_ja, o.name_en, o.gateway_url) for o in load_offices().values()}


def _show(env: Environment, tr: Translator) -> None:
    config = userconfig.load(env.environ)
    gateway = userconfig.resolve_gateway(None, env.environ, config)
    offices = _offices()
    english = tr.language == "en"
    out = env.stdout
    out.write(tr(N_("Settings file: {path}")).format(path=userconfig.config_path(env.environ))
              + "\n")
    if config.office is None:
        office = tr(N_("not chosen"))
    elif config.office in offices:
        names = offices[config.office]
        office = f"{config.office} ({names[1] if english else names[0]})"
    else:
        office = tr(N_("{id} (not an office this version knows)")).format(id=config.office)
    out.write(tr(N_("Office: {office}")).format(office=office) + "\n")
    if gateway.url is None:
        out.write(tr(N_("Booking gateway: none (the connection is measured against a public "
                        "speedtest.net server, and booking from this app is not possible)"))
                  + "\n")
    else:
        out.write(tr(N_("Booking gateway: {url} ({source})")).format(
            url=gateway.url, source=tr(SOURCES[gateway.source])) + "\n")
    out.write(tr(N_("Offices:")) + "\n")
    for office_id, (name_ja, name_en, url) in offices.items():
        name = name_en if english else name_ja
        where = url or tr(N_("no gateway"))
        out.write(f"  {office_id}  {name}  ({where})\n")

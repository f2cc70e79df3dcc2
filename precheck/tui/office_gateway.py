"""The office chosen on the welcome screen decides the booking gateway, and is remembered.

Each office profile shipped with the app may carry its gateway's address (``gateway_url`` in
``precheck/gateway/data/offices.toml``). Unless the gateway is fixed from outside
(``PRECHECK_GATEWAY_URL``, or ``gateway_url`` in the settings file), the welcome screen lists
those profiles, and choosing one points the app at the office's gateway: the connection test
measures against it and booking and check-in go to it. The choice is saved in the settings file
(:mod:`precheck.userconfig`), so the next start preselects it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from precheck import userconfig
from precheck.errors import PrecheckError
from precheck.gateway_client import GatewayClient

if TYPE_CHECKING:
    from precheck.tui.app import PrecheckApp
    from precheck.tui.offices import OfficeChoice

log = logging.getLogger(__name__)


@dataclass
class OfficeGateway:
    """Where the app's gateway comes from, and the office remembered from the last time."""

    environ: Mapping[str, str]
    #: True when PRECHECK_GATEWAY_URL or the settings' gateway_url chose the gateway: the office
    #: then does not change it, and the welcome screen lists that gateway's offices.
    fixed: bool
    remembered: str | None  # the office id in the settings file

    @classmethod
    def start(cls, environ: Mapping[str, str]) -> tuple[OfficeGateway, GatewayClient | None]:
        """The rule for this start and the gateway to begin with.

        Raises PrecheckError when the address found is not a web address (said before the app
        opens, as for PRECHECK_GATEWAY_URL).
        """
        config = userconfig.load_quietly(environ)
        found = userconfig.resolve_gateway(None, environ, config)
        rule = cls(environ, found.source in ("environment", "config"), config.office)
        return rule, None if found.url is None else GatewayClient(found.url)

    def chosen(self, app: PrecheckApp, office: OfficeChoice) -> None:
        """The job seeker chose ``office``: remember it, and use its gateway unless fixed."""
        if office.id != self.remembered:
            try:
                config = userconfig.load(self.environ)
                userconfig.save(config.with_value("office", office.id), self.environ)
                self.remembered = office.id
            except userconfig.ConfigError as exc:  # a read-only folder: the choice still counts
                log.warning("could not remember the office: %s", exc)
        if self.fixed or office.source != "local":
            return
        try:
            client = GatewayClient(office.gateway_url) if office.gateway_url else None
        except PrecheckError:  # the profile file is checked on load: only a hand-made choice
            log.warning("the office %s has no usable gateway address", office.id)
            client = None
        app.gateway = client
        app.checkup.gateway_url = None if client is None else client.base_url

"""The offices a job seeker can choose: from the booking gateway, else from the local profiles.

The gateway's list is the one to book against. Without a gateway (``PRECHECK_GATEWAY_URL`` unset)
the profiles shipped with precheck are read (:mod:`precheck.offices`, core: no FastAPI or
SQLAlchemy in a job seeker's install).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from precheck.gateway_client import GatewayError, Texts
from precheck.offices import OfficeConfigError, OfficeProfile, load_offices

if TYPE_CHECKING:
    from precheck.gateway_client import GatewayClient, Office

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class OfficeChoice:
    """An office as the app shows it; ``source`` is ``gateway`` or ``local``."""

    id: str
    name_ja: str
    name_en: str
    kind: int
    phone: str | None
    required_fields: tuple[str, ...]
    optional_fields: tuple[str, ...]
    source: str
    video_app: str | None = None  # the office's video app, never named by software.running
    #: The gateway that serves the office, from its shipped profile (None: not given).
    gateway_url: str | None = None

    def name(self, language: str) -> str:
        return Texts(ja=self.name_ja, en=self.name_en).in_language(language)

    @classmethod
    def from_gateway(cls, office: Office) -> OfficeChoice:
        return cls(office.id, office.name_ja, office.name_en, office.kind, office.phone or None,
                   office.required_fields, office.optional_fields, "gateway",
                   office.video_app or None)


@dataclass(frozen=True, slots=True)
class OfficeList:
    """The offices found, and why the gateway's list is missing when it is."""

    offices: tuple[OfficeChoice, ...]
    problem: GatewayError | None = None

    def gateway_choice(self, current: OfficeChoice | None
                       ) -> tuple[tuple[OfficeChoice, ...], OfficeChoice | None]:
        """The offices to book with or check in at, and the one to preselect.

        Only the gateway's offices count: a local profile has no slots to offer. The preselected
        one is ``current`` when the gateway lists it, else the only office, else none.
        """
        found = tuple(o for o in self.offices if o.source == "gateway")
        if current is not None and any(o.id == current.id for o in found):
            return found, current
        return found, found[0] if len(found) == 1 else None


def load(client: GatewayClient | None) -> OfficeList:
    """The gateway's offices, else the local profiles (blocking: call from a worker)."""
    problem: GatewayError | None = None
    if client is not None:
        try:
            return OfficeList(tuple(OfficeChoice.from_gateway(o) for o in client.offices()))
        except GatewayError as exc:
            log.warning("could not list the gateway's offices: %s", exc)
            problem = exc
    return OfficeList(local(), problem)


def local() -> tuple[OfficeChoice, ...]:
    """The office profiles shipped with precheck, or none when their file cannot be read."""
    try:
        profiles = load_offices()
    except OfficeConfigError:  # a broken profile file must not keep the job seeker from checking
        log.warning("could not read the local office profiles", exc_info=True)
        return ()
    return tuple(_choice(p) for p in profiles.values())


def _choice(profile: OfficeProfile) -> OfficeChoice:
    return OfficeChoice(
        profile.id, profile.name_ja, profile.name_en, profile.kind, profile.phone or None,
        profile.required_fields, profile.optional_fields, "local", profile.video_app or None,
        profile.gateway_url or None)

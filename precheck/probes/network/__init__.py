"""Network facts: how the computer is connected, whether it is online, and how well.

Every fact is one or more named probes, recorded and replayed like any other
(docs/bundle-format.md):

* **the link** (``net:route`` and the OS's own tools, one module per OS): which interface carries
  the default route, and whether it is wired, Wi-Fi or mobile; for Wi-Fi its security and
  network name (the name is only compared with the policy's list of free Wi-Fi networks: it never
  goes into a result), or that the OS hides them from programs without location permission;
* **captive portals** (``net:captive``): known-answer HTTP probes (policy ``network.wifi``);
* **connectivity** (``net:connectivity``): DNS, HTTPS to the gateway and the video apps'
  services through the system's proxy, and the clock against the servers' ``Date``;
* **quality** (``network:quality``): the speed, latency, jitter and loss test
  (:mod:`.quality`), recorded as measured figures and throughput samples.

Two answers come from outside the OS, like the speaker check's listener: the gateway to measure
against (:func:`use_gateway`, from ``--gateway`` or ``PRECHECK_GATEWAY_URL``) and, when the OS
hides the Wi-Fi network, the user's declaration of it (:func:`declare_network`). Both are
recorded probes, given before the checks run. The TUI may also start the quality test itself
with a progress callback (:func:`measure_quality`) before the checks run; the check then reads
the same recorded answer.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from precheck.errors import ProbeError
from precheck.probes import platform_module
from precheck.probes.network.facts import (
    CONNECTIVITY_PROBE as CONNECTIVITY_PROBE,
)
from precheck.probes.network.facts import (
    QUALITY_PROBE as QUALITY_PROBE,
)
from precheck.probes.network.facts import (
    Connectivity,
    Quality,
    parse_connectivity,
    parse_quality,
)
from precheck.system import JSON

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from precheck.probes.network.speed import ProgressCallback
    from precheck.system import System

GATEWAY_ENV = "PRECHECK_GATEWAY_URL"
GATEWAY_PROBE = "config:gateway_url"
DECLARATION_PROBE = "user:network_declaration"
ROUTE_PROBE = "net:route"
CAPTIVE_PROBE = "net:captive"


class Medium(StrEnum):
    """What carries the default route."""

    WIRED = "wired"
    WIFI = "wifi"
    MOBILE = "mobile"  # a mobile-broadband modem, or a phone tethered over USB or Bluetooth
    NONE = "none"  # no default route: offline
    UNKNOWN = "unknown"


class Security(StrEnum):
    """A Wi-Fi network's protection, as the OS reports it."""

    OPEN = "open"
    WEP = "wep"
    OWE = "owe"  # Enhanced Open: encrypted, but anyone may join
    WPA_PERSONAL = "wpa_personal"  # WPA1 with a shared password
    WPA2_PERSONAL = "wpa2_personal"
    WPA3_PERSONAL = "wpa3_personal"
    ENTERPRISE = "enterprise"  # 802.1X (WPA/WPA2/WPA3-Enterprise)
    UNKNOWN = "unknown"


class Declaration(StrEnum):
    """What the user says about the network when the OS will not (recorded, not measured)."""

    OWN_SECURED = "own_secured"  # my home or office network, protected by a password
    MOBILE = "mobile"  # my own phone or mobile router (tethering)
    PUBLIC = "public"  # a shop's, station's, hotel's or city's network, free or not
    UNSURE = "unsure"


@dataclass(frozen=True, slots=True)
class Wifi:
    """The Wi-Fi connection the OS reports. ``ssid`` stays on this machine (see module doc)."""

    connected: bool
    security: Security | None = None  # None: not connected, or hidden by the OS
    ssid: str | None = None
    hidden: bool = False  # the OS withholds the details from programs without location access
    interface: str | None = None  # the OS's name of the Wi-Fi interface ("Wi-Fi", "en0", "wlan0")


@dataclass(frozen=True, slots=True)
class Link:
    """The connection that carries the default route."""

    medium: Medium
    wifi: Wifi | None = None  # the Wi-Fi state, also when the route uses another medium
    tethered_hint: bool = False  # an address of a phone's hotspot (iPhone: 172.20.10.0/28)
    source: str = ""  # which tool said so ("netsh", "system_profiler", "nmcli", "iw", "sysfs")


# -- things given before the checks run ---------------------------------------------------------

def use_gateway(system: System, url: str | None) -> str | None:
    """Record the gateway to measure against (``--gateway``, else ``PRECHECK_GATEWAY_URL``).

    Call before the checks run. Returns the gateway now recorded (the first answer of a run
    stands). Raises ValueError when ``url`` is not an http(s) URL.
    """
    cleaned = normalize_gateway(url) if url else None
    recorded = system.probe(GATEWAY_PROBE, lambda: cleaned)
    return recorded if isinstance(recorded, str) else None


def gateway_url(system: System) -> str | None:
    """The gateway recorded for this run; without one, ``PRECHECK_GATEWAY_URL`` (if valid)."""

    def from_environment() -> JSON:
        value = os.environ.get(GATEWAY_ENV, "").strip()
        try:
            return normalize_gateway(value) if value else None
        except ValueError:
            return None

    raw = system.probe(GATEWAY_PROBE, from_environment)
    if raw is not None and not isinstance(raw, str):
        raise ProbeError(GATEWAY_PROBE, "malformed", "the gateway URL is not text")
    return raw


def normalize_gateway(url: str) -> str:
    """``url`` without a trailing slash; ValueError unless it is an http(s) URL with a host."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        msg = f"the gateway must be an http:// or https:// address, not {url!r}"
        raise ValueError(msg)
    return url.strip().rstrip("/")


def declare_network(system: System, declaration: Declaration) -> bool:
    """Record the user's declaration of the network (the TUI asks when the OS hides it).

    Call before the checks run. True when this is the answer recorded (the first one stands).
    """
    return system.probe(DECLARATION_PROBE, lambda: declaration.value) == declaration.value


def declaration(system: System) -> Declaration | None:
    """The user's declaration, or None when nobody was asked (a headless run)."""
    raw = system.probe(DECLARATION_PROBE, lambda: None)
    if raw is None:
        return None
    try:
        return Declaration(str(raw))
    except ValueError as exc:
        raise ProbeError(DECLARATION_PROBE, "malformed", "not a known declaration") from exc


# -- the link -----------------------------------------------------------------------------------

def _read_route() -> JSON:
    """The interface and local address the OS would use for the internet (nothing is sent)."""
    import socket

    import psutil

    for family, target in ((socket.AF_INET, "192.0.2.1"), (socket.AF_INET6, "2001:db8::1")):
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as probe:
                probe.connect((target, 9))  # UDP connect only asks the routing table
                address = str(probe.getsockname()[0])
        except OSError:
            continue
        for name, addresses in psutil.net_if_addrs().items():
            if any(str(a.address).split("%", 1)[0] == address for a in addresses):
                return {"interface": name, "address": address}
        return {"interface": None, "address": address}
    return None


def route(system: System) -> tuple[str | None, str | None] | None:
    """(interface, local address) of the default route, or None when there is none."""
    raw = system.probe(ROUTE_PROBE, _read_route)
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ProbeError(ROUTE_PROBE, "malformed", "not a route")
    interface, address = raw.get("interface"), raw.get("address")
    return (interface if isinstance(interface, str) else None,
            address if isinstance(address, str) else None)


def is_hotspot_address(address: str | None) -> bool:
    """An address an iPhone's Personal Hotspot hands out (172.20.10.0/28)."""
    if not address:
        return False
    try:
        return ipaddress.ip_address(address) in ipaddress.ip_network("172.20.10.0/28")
    except ValueError:
        return False


def link(system: System) -> Link:
    """The connection carrying the default route, with the Wi-Fi state."""
    found: Link = platform_module(__name__, system).link(system)
    return found


# -- captive portal, connectivity, quality -----------------------------------------------------

@dataclass(frozen=True, slots=True)
class CaptiveProbe:
    """One known-answer HTTP probe and what came back."""

    url: str
    outcome: str  # "ok" (the known answer), "portal" (another answer), "unreachable"
    status: int | None = None
    detail: str = ""


def captive_portal(system: System, probes: list[Mapping[str, Any]]) -> tuple[CaptiveProbe, ...]:
    """Fetch each known-answer probe (policy ``network.wifi.captive_probes``) over plain HTTP."""
    from precheck.probes.network import web

    raw = system.probe(CAPTIVE_PROBE, lambda: web.captive_probes(probes))
    if not isinstance(raw, list):
        raise ProbeError(CAPTIVE_PROBE, "malformed", "not a list of probe answers")
    found = []
    for item in raw:
        if not isinstance(item, dict):
            raise ProbeError(CAPTIVE_PROBE, "malformed", "not a probe answer")
        status = item.get("status")
        found.append(CaptiveProbe(str(item.get("url", "")), str(item.get("outcome", "")),
                                  status if isinstance(status, int) else None,
                                  str(item.get("detail", ""))))
    return tuple(found)


def connectivity(system: System, targets: Sequence[Mapping[str, str]]) -> Connectivity:
    """DNS, HTTPS and the clock for each target (``{"name", "url", "role"}``), and the proxy."""
    from precheck.probes.network import web

    proxy = platform_module(__name__, system).proxy_settings(system)
    raw = system.probe(CONNECTIVITY_PROBE, lambda: web.connectivity(targets, proxy.pac_url))
    return parse_connectivity(raw, proxy)


def measure_quality(system: System, on_progress: ProgressCallback | None = None) -> Quality:
    """Run (once per run) and record the quality test; the TUI calls this with a progress
    callback before the checks run, the check calls it without."""
    gateway = gateway_url(system)

    def produce() -> JSON:
        from precheck.probes.network import quality

        return quality.run(gateway, on_progress=on_progress)

    return parse_quality(system.probe(QUALITY_PROBE, produce))

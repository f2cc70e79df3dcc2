"""Firewall facts: which firewalls guard this machine, and which services listen on the network.

Each OS module turns its own sources into one :class:`FirewallState`:

* Windows: the three Windows Defender Firewall profiles (WMI ``root/StandardCimv2``
  ``MSFT_NetFirewallProfile``), which profile each connected network uses
  (``MSFT_NetConnectionProfile``) and third-party firewalls registered in Security Center;
* macOS: the application firewall's global state (``socketfilterfw --getglobalstate``);
* Linux: ufw, firewalld, nftables and iptables, each read on its own.

WMI and the registry-free sources used here answer the same way in every display language; the
Linux commands run with ``LC_ALL=C``. Listening sockets come from psutil on every OS.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from precheck.errors import ProbeError
from precheck.probes import platform_module
from precheck.system import JSON

if TYPE_CHECKING:
    from precheck.system import System

#: How the profiles combine: Windows needs every profile in use on; Linux needs any one firewall.
Rule = Literal["every_active", "any"]
#: Why a source could not be read.
Unreadable = Literal["needs_admin", "error"]


@dataclass(frozen=True, slots=True)
class Profile:
    """One firewall (Linux: ufw, nftables ...) or one Windows network profile."""

    name: str  # "domain", "private", "public", "application firewall", "ufw", "nftables" ...
    enabled: bool
    active: bool  # in force for a network connected now (always True outside Windows)
    blocks_inbound: bool | None  # unsolicited incoming connections are blocked by default
    verified: bool = True  # False: read from configuration only, the live rules were not listed


@dataclass(frozen=True, slots=True)
class Listener:
    """A TCP port accepting connections on a network address (not loopback)."""

    address: str
    port: int


@dataclass(frozen=True, slots=True)
class FirewallState:
    """What the firewall sources of one machine said."""

    rule: Rule
    profiles: tuple[Profile, ...] = ()
    third_party: tuple[str, ...] = ()  # enabled third-party firewalls registered in Security Center
    unreadable: tuple[tuple[str, Unreadable], ...] = ()  # (source, why)
    active_known: bool = True  # Windows: which profiles are in use could be read

    @property
    def guarding(self) -> tuple[Profile, ...]:
        """The profiles that must be on: those in use (all of them when that is unknown)."""
        if self.rule == "every_active" and self.active_known:
            return tuple(p for p in self.profiles if p.active)
        return self.profiles


def firewall(system: System) -> FirewallState:
    state: FirewallState = platform_module(__name__, system).firewall(system)
    return state


# -- listening sockets: psutil answers the same way on every OS ---------------------------------

LISTENING_PROBE = "psutil:tcp_listening"


def _read_listening() -> JSON:
    import psutil

    try:
        connections = psutil.net_connections(kind="tcp")
    except psutil.AccessDenied as exc:  # macOS lists sockets only for root
        raise ProbeError(LISTENING_PROBE, "denied", "listing sockets needs administrator "
                         "rights on this system") from exc
    seen: set[tuple[str, int]] = set()
    for conn in connections:
        if conn.status == psutil.CONN_LISTEN and conn.laddr:
            seen.add((str(conn.laddr.ip), int(conn.laddr.port)))
    return [{"address": address, "port": port} for address, port in sorted(seen)]


def listening(system: System) -> tuple[Listener, ...] | None:
    """TCP ports listening on non-loopback addresses; None when the OS would not say."""
    try:
        raw = system.probe(LISTENING_PROBE, _read_listening)
    except ProbeError:
        return None
    return parse_listening(raw)


def parse_listening(raw: JSON) -> tuple[Listener, ...]:
    if not isinstance(raw, list):
        raise ProbeError(LISTENING_PROBE, "malformed", "the answer is not a list of sockets")
    found: set[Listener] = set()
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("port"), int):
            continue
        address = str(item.get("address", ""))
        if _is_loopback(address):
            continue
        found.add(Listener(address, int(item["port"])))
    return tuple(sorted(found, key=lambda x: (x.port, x.address)))


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
    except ValueError:
        return False

"""Windows: Windows Defender Firewall profiles, the profile each network uses, Security Center.

Everything comes from WMI, whose values are numbers and fixed names in every display language
(``netsh advfirewall`` translates its labels and ON/OFF on Japanese Windows; WMI does not).
Reading these classes needs no administrator rights.

* ``root/StandardCimv2:MSFT_NetFirewallProfile``: ``Name`` is ``Domain``, ``Private`` or
  ``Public``; ``Enabled`` is a GpoBoolean (0 False, 1 True, 2 NotConfigured = the Windows
  default, which is on); ``DefaultInboundAction`` is 0 NotConfigured (the default, Block),
  2 Allow, 4 Block.
* ``root/StandardCimv2:MSFT_NetConnectionProfile``: one instance per connected network;
  ``NetworkCategory`` 0 Public, 1 Private, 2 DomainAuthenticated. Its ``Name`` is the network's
  name (often the Wi-Fi name) and is never used.
* ``root/SecurityCenter2:FirewallProduct``: third-party firewalls (Windows Server has no
  Security Center; the query then fails and only the Windows Firewall counts).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from precheck.errors import ProbeError, ProbeMissing
from precheck.probes.firewall import FirewallState, Profile, Unreadable
from precheck.probes.security_center import registered_products
from precheck.system import JSON

if TYPE_CHECKING:
    from precheck.system import System

NAMESPACE = "root/StandardCimv2"
PROFILES = ("domain", "private", "public")
GPO_FALSE, GPO_TRUE, GPO_NOT_CONFIGURED = 0, 1, 2
ACTION_NOT_CONFIGURED, ACTION_ALLOW, ACTION_BLOCK = 0, 2, 4
CATEGORY_PROFILE = {0: "public", 1: "private", 2: "domain"}
#: The enumerations by name, as a PowerShell export may give them. Each enumeration numbers its
#: names its own way: NotConfigured is 2 as a GpoBoolean but 0 as an inbound action.
GPO_BOOLEAN = {"false": GPO_FALSE, "true": GPO_TRUE, "notconfigured": GPO_NOT_CONFIGURED}
ACTION = {"notconfigured": ACTION_NOT_CONFIGURED, "allow": ACTION_ALLOW, "block": ACTION_BLOCK}
CATEGORY = {"public": 0, "private": 1, "domainauthenticated": 2}


def parse_firewall_profiles(instances: list[dict[str, JSON]],
                            active: frozenset[str] | None) -> tuple[Profile, ...]:
    """The profiles of MSFT_NetFirewallProfile whose state could be read; ``active`` names those
    in use. A profile missing here, or with an ``Enabled`` value that is not a GpoBoolean, was
    not read (see :func:`unread_profiles`): it is never taken for on or off."""
    profiles: list[Profile] = []
    for instance in instances:
        name = str(instance.get("Name", "")).strip().lower()
        if name not in PROFILES or any(p.name == name for p in profiles):
            continue
        enabled = _number(instance.get("Enabled"), GPO_BOOLEAN)
        if enabled not in (GPO_FALSE, GPO_TRUE, GPO_NOT_CONFIGURED):
            continue
        action = _number(instance.get("DefaultInboundAction"), ACTION)
        profiles.append(Profile(
            name=name,
            enabled=enabled in (GPO_TRUE, GPO_NOT_CONFIGURED),
            active=active is None or name in active,
            blocks_inbound=None if action is None else action != ACTION_ALLOW,
        ))
    return tuple(sorted(profiles, key=lambda p: PROFILES.index(p.name)))


def parse_connection_profiles(instances: list[dict[str, JSON]]) -> frozenset[str] | None:
    """The firewall profiles used by the networks connected now; None when a connection's
    category could not be read (then which profiles are in use is not known)."""
    used: set[str] = set()
    for instance in instances:
        category = _number(instance.get("NetworkCategory"), CATEGORY)
        if category not in CATEGORY_PROFILE:
            return None
        used.add(CATEGORY_PROFILE[category])
    return frozenset(used)


def unread_profiles(profiles: tuple[Profile, ...]) -> list[str]:
    """The profiles whose state was not in the answer. Windows always has all three; an
    answer with fewer is cut off, and a profile not in use now is judged too (it warns when
    off), so a missing one is never taken for "on"."""
    read = {p.name for p in profiles}
    return [name for name in PROFILES if name not in read]


def _number(value: JSON, names: dict[str, int]) -> int | None:
    """WMI gives these enumerations as numbers; a PowerShell export may give their ``names``."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    return names.get(value.lower()) if isinstance(value, str) else None


def firewall(system: System) -> FirewallState:
    unreadable: list[tuple[str, Unreadable]] = []
    try:
        active = parse_connection_profiles(system.wmi(NAMESPACE, "MSFT_NetConnectionProfile"))
    except ProbeError:
        active = None
    if not active:  # not connected, or not readable: every profile must be on
        active = None
    try:
        profiles = parse_firewall_profiles(system.wmi(NAMESPACE, "MSFT_NetFirewallProfile"),
                                           active)
    except ProbeMissing:
        raise
    except ProbeError as exc:
        profiles = ()
        unreadable.append(("windows firewall", "needs_admin" if exc.kind == "denied" else "error"))
    else:
        unreadable.extend((f"windows firewall {name} profile", "error")
                          for name in unread_profiles(profiles))
    try:
        third_party = tuple(sorted({
            p.name for p in registered_products(system, "FirewallProduct")
            if p.name and p.state is not None and p.state.enabled
        }))
    except ProbeError:
        third_party = ()  # Windows Server, or Security Center not running
    return FirewallState(rule="every_active", profiles=profiles, third_party=third_party,
                         unreadable=tuple(unreadable), active_known=active is not None)

"""macOS: ``system_profiler SPAirPortDataType -json``, ``networksetup`` and ``scutil --proxy``.

The ``airport`` tool was removed in macOS 14.4 and ``wdutil info`` needs administrator rights,
so the Wi-Fi state comes from ``system_profiler`` (no rights needed): the current network's
``spairport_security_mode`` and ``_name``. Since macOS 14 the name reads ``<redacted>`` unless
the program that runs precheck (Terminal, iTerm ...) has Location Services permission; the
security mode stays readable (CoreWLAN scans show ``security=WPA2 Personal`` beside a redacted
BSSID: gopro/OpenGoPro#506). A redacted name is *hidden*: the free-Wi-Fi list cannot be checked.

``networksetup -listallhardwareports`` says which hardware port a device is (Wi-Fi, Ethernet,
iPhone USB, Bluetooth PAN).
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from precheck.errors import ProbeError
from precheck.probes.network import Link, Medium, Security, Wifi, is_hotspot_address, route
from precheck.probes.network.facts import Proxy

if TYPE_CHECKING:
    from precheck.system import System

PROFILER = ["system_profiler", "SPAirPortDataType", "-json"]
PORTS = ["networksetup", "-listallhardwareports"]
SCUTIL_PROXY = ["scutil", "--proxy"]
REDACTED = {"<redacted>", ""}
SECURITY_MODES = {
    "none": Security.OPEN, "wep": Security.WEP, "owe": Security.OWE,
    "owe_transition": Security.OWE,
    "wpa_personal": Security.WPA_PERSONAL, "wpa_personal_mixed": Security.WPA_PERSONAL,
    "wpa2_personal": Security.WPA2_PERSONAL, "wpa2_personal_mixed": Security.WPA2_PERSONAL,
    "wpa3_personal": Security.WPA3_PERSONAL, "wpa3_transition": Security.WPA3_PERSONAL,
    "personal": Security.WPA2_PERSONAL,
}
MOBILE_PORTS = re.compile(r"iphone|ipad|android|bluetooth pan|modem|wwan", re.IGNORECASE)
WIFI_PORTS = re.compile(r"^(wi-fi|airport)$", re.IGNORECASE)


def profiler_security(mode: str) -> Security:
    """``spairport_security_mode_wpa2_personal`` -> WPA2 Personal, and so on."""
    key = mode.removeprefix("spairport_security_mode_").lower()
    if "enterprise" in key or "dynamic_wep" in key:
        return Security.ENTERPRISE
    return SECURITY_MODES.get(key, Security.UNKNOWN)


def parse_profiler(text: str, device: str | None = None) -> Wifi | None:
    """The Wi-Fi state from ``system_profiler SPAirPortDataType -json`` (None: no Wi-Fi)."""
    try:
        data = json.loads(text)
        interfaces = data["SPAirPortDataType"][0].get("spairport_airport_interfaces", [])
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        raise ProbeError("cmd:" + " ".join(PROFILER), "malformed",
                         "not system_profiler's Wi-Fi report") from exc
    candidates = [i for i in interfaces if isinstance(i, dict)
                  and (device is None or i.get("_name") == device)
                  and i.get("_name", "").startswith("en")]
    if not candidates:
        return None
    for interface in candidates:
        current = interface.get("spairport_current_network_information")
        if isinstance(current, dict) and current:
            name = str(current.get("_name", ""))
            mode = current.get("spairport_security_mode")
            security = profiler_security(str(mode)) if mode else None
            return Wifi(connected=True, security=security,
                        ssid=None if name in REDACTED else name, hidden=name in REDACTED,
                        interface=str(interface.get("_name")))
    return Wifi(connected=False, interface=str(candidates[0].get("_name")))


def parse_ports(text: str) -> dict[str, str]:
    """Device -> hardware port, from ``networksetup -listallhardwareports``."""
    ports: dict[str, str] = {}
    port = None
    for line in text.splitlines():
        if not line.strip():
            port = None  # a blank line ends a port's block
        elif line.startswith("Hardware Port:"):
            port = line.split(":", 1)[1].strip()
        elif line.startswith("Device:") and port is not None:
            ports[line.split(":", 1)[1].strip()] = port
            port = None  # each device follows its own port line; never inherit the last one
    return ports


def port_medium(port: str | None) -> Medium:
    if port is None:
        return Medium.UNKNOWN  # a VPN (utun) or a bridge: the physical link is below it
    if WIFI_PORTS.match(port):
        return Medium.WIFI
    if MOBILE_PORTS.search(port):
        return Medium.MOBILE
    if re.search(r"ethernet|lan|thunderbolt", port, re.IGNORECASE):
        return Medium.WIRED
    return Medium.UNKNOWN


def link(system: System) -> Link:
    path = route(system)
    try:
        ports = parse_ports(system.command(PORTS).stdout)
    except ProbeError:
        ports = {}
    wifi_device = next((d for d, p in ports.items() if WIFI_PORTS.match(p)), None)
    done = system.command(PROFILER, timeout=20.0)
    wlan = parse_profiler(done.stdout, wifi_device) if done.ok else None
    if path is None:
        return Link(Medium.NONE, wlan, source="system_profiler")
    interface, address = path
    medium = port_medium(ports.get(interface or ""))
    if wlan is not None and wlan.connected and (
            medium in (Medium.WIFI, Medium.UNKNOWN) or wlan.interface == interface):
        medium = Medium.WIFI
    return Link(medium, wlan, tethered_hint=is_hotspot_address(address),
                source="system_profiler")


def parse_scutil_proxy(text: str) -> Proxy:
    """A manual proxy and a PAC file from ``scutil --proxy`` (no credentials are read). An
    answer that is not scutil's ``<dictionary> { ... }`` raises :class:`ProbeError`."""
    if "<dictionary>" not in text or "}" not in text:
        raise ProbeError("cmd:" + " ".join(SCUTIL_PROXY), "malformed",
                         "not scutil's proxy dictionary")
    values = dict(re.findall(r"^\s*(\w+)\s*:\s*(.*?)\s*$", text, re.MULTILINE))
    manual = any(values.get(f"{kind}Enable") == "1" for kind in ("HTTP", "HTTPS", "SOCKS"))
    pac = values.get("ProxyAutoConfigURLString") if values.get(
        "ProxyAutoConfigEnable") == "1" else None
    return Proxy(manual, pac or None, "macos")


def proxy_settings(system: System) -> Proxy:
    try:
        return parse_scutil_proxy(system.command(SCUTIL_PROXY).stdout)
    except ProbeError:
        return Proxy(manual=False, source="macos", unreadable=True)

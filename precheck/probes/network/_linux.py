"""Linux: NetworkManager (``nmcli``), else ``iw`` and sysfs; proxies from the environment and
GNOME's settings.

``nmcli`` runs with ``LC_ALL=C`` (its output is translated: 接続済み, インフラ) in terse mode, where
a ``:`` inside a value is escaped as ``\\:``. ``SECURITY`` is empty for an open network, and
lists the protocols otherwise (``WPA2``, ``WPA1 WPA2``, ``WPA2 802.1X``, ``WPA3``, ``OWE``).
Without NetworkManager, ``iw dev IF link`` names the access point and ``iw dev IF scan dump``
(the kernel's cached scan: no root needed) describes its protection: an ``RSN`` element with
``PSK``, ``SAE``, ``IEEE 802.1X`` or ``OWE`` suites, a ``WPA`` element (WPA1), ``Privacy`` alone
(WEP), or nothing (open).
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any

from precheck.errors import ProbeError
from precheck.probes.network import Link, Medium, Security, Wifi, is_hotspot_address, route
from precheck.probes.network.facts import Proxy

if TYPE_CHECKING:
    from precheck.system import System

C_LOCALE = {"LC_ALL": "C"}
NMCLI_DEVICES = ["nmcli", "-t", "-f", "DEVICE,TYPE,STATE", "device"]
NMCLI_WIFI = ["nmcli", "-t", "-f", "ACTIVE,SECURITY,SSID", "device", "wifi", "list",
              "--rescan", "no"]
NM_WIFI_TYPES = {"wifi"}
NM_MOBILE_TYPES = {"gsm", "cdma", "bt", "wwan", "modem"}
NM_WIRED_TYPES = {"ethernet"}
TETHER_DRIVERS = {"rndis_host", "ipheth"}
PROXY_ENV = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")


def split_terse(line: str) -> list[str]:
    """Fields of one ``nmcli -t`` line (``\\:`` is a colon inside a field, ``\\\\`` a
    backslash)."""
    fields, current, escaped = [], [], False
    for char in line:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ":":
            fields.append("".join(current))
            current = []
        else:
            current.append(char)
    fields.append("".join(current))
    return fields


def nmcli_security(text: str) -> Security:
    tokens = set(text.replace("--", "").upper().split())
    if not tokens:
        return Security.OPEN
    if "802.1X" in tokens:
        return Security.ENTERPRISE
    if "OWE" in tokens or "OWE-TM" in tokens:
        return Security.OWE
    if "WPA3" in tokens:
        return Security.WPA3_PERSONAL
    if "WPA2" in tokens:
        return Security.WPA2_PERSONAL
    if "WPA1" in tokens or "WPA" in tokens:
        return Security.WPA_PERSONAL
    if "WEP" in tokens:
        return Security.WEP
    return Security.UNKNOWN


def parse_nmcli_devices(text: str) -> dict[str, tuple[str, str]]:
    """Device -> (type, state) from ``nmcli -t -f DEVICE,TYPE,STATE device``."""
    devices = {}
    for line in text.splitlines():
        fields = split_terse(line)
        if len(fields) >= 3 and fields[0]:
            devices[fields[0]] = (fields[1], fields[2])
    return devices


def parse_nmcli_wifi(text: str) -> Wifi:
    """The active network from ``nmcli -t -f ACTIVE,SECURITY,SSID device wifi list``."""
    for line in text.splitlines():
        fields = split_terse(line)
        if len(fields) >= 3 and fields[0] == "yes":
            ssid = ":".join(fields[2:])
            return Wifi(connected=True, security=nmcli_security(fields[1]), ssid=ssid or None)
    return Wifi(connected=False)


def parse_iw_link(text: str) -> tuple[str | None, str | None]:
    """(access point's BSSID, SSID) from ``iw dev IF link``; (None, None) when not connected."""
    bssid = re.search(r"^Connected to ([0-9a-fA-F:]{17})", text, re.MULTILINE)
    ssid = re.search(r"^\s*SSID: (.*)$", text, re.MULTILINE)
    if bssid is None:
        return None, None
    return bssid.group(1).lower(), ssid.group(1) if ssid else None


def iw_security(block: str) -> Security:
    """The protection of one ``BSS`` block of ``iw dev IF scan dump``."""
    rsn = re.search(r"^\s*RSN:(.*?)(?=^\s*[A-Z][\w ]*:\s|\Z)", block, re.MULTILINE | re.DOTALL)
    wpa = re.search(r"^\s*WPA:(.*?)(?=^\s*[A-Z][\w ]*:\s|\Z)", block, re.MULTILINE | re.DOTALL)
    for element, fallback in ((rsn, Security.WPA2_PERSONAL), (wpa, Security.WPA_PERSONAL)):
        if element is None:
            continue
        suites = re.search(r"Authentication suites:(.*)", element.group(1))
        names = suites.group(1) if suites else ""
        if "802.1X" in names:
            return Security.ENTERPRISE
        if "SAE" in names:
            return Security.WPA3_PERSONAL
        if "OWE" in names:
            return Security.OWE
        return fallback
    capability = re.search(r"^\s*capability:(.*)$", block, re.MULTILINE)
    if capability and "Privacy" in capability.group(1):
        return Security.WEP
    return Security.OPEN


def parse_iw_scan(text: str, bssid: str) -> Security | None:
    """The security of access point ``bssid`` in ``iw dev IF scan dump``, None if absent."""
    blocks = re.split(r"^(?=BSS [0-9a-fA-F:]{17})", text, flags=re.MULTILINE)
    for block in blocks:
        if block.lower().startswith(f"bss {bssid}"):
            return iw_security(block)
    return None


def _sysfs(system: System, interface: str) -> tuple[str | None, str | None]:
    """(DEVTYPE, driver) of ``interface`` from sysfs."""
    uevent = system.read_text(f"/sys/class/net/{interface}/uevent") or ""
    device = system.read_text(f"/sys/class/net/{interface}/device/uevent") or ""
    devtype = re.search(r"^DEVTYPE=(\S+)", uevent, re.MULTILINE)
    driver = re.search(r"^DRIVER=(\S+)", device, re.MULTILINE)
    return (devtype.group(1) if devtype else None, driver.group(1) if driver else None)


def _iw_wifi(system: System, interface: str) -> Wifi:
    try:
        linked = system.command(["iw", "dev", interface, "link"], env=C_LOCALE)
    except ProbeError as exc:
        if exc.kind != "not_found":
            raise
        return Wifi(connected=True, security=None, interface=interface)
    bssid, ssid = parse_iw_link(linked.stdout)
    if bssid is None:
        return Wifi(connected=False, interface=interface)
    scan = system.command(["iw", "dev", interface, "scan", "dump"], env=C_LOCALE)
    return Wifi(connected=True, security=parse_iw_scan(scan.stdout, bssid), ssid=ssid,
                interface=interface)


def link(system: System) -> Link:
    path = route(system)
    try:
        devices = parse_nmcli_devices(system.command(NMCLI_DEVICES, env=C_LOCALE).stdout)
    except ProbeError as exc:
        if exc.kind != "not_found":
            raise
        devices = {}
    if devices:
        wifi_devices = [d for d, (kind, _) in devices.items() if kind in NM_WIFI_TYPES]
        wlan = None
        if wifi_devices:
            wlan = parse_nmcli_wifi(system.command(NMCLI_WIFI, env=C_LOCALE).stdout)
            device = wifi_devices[0]
            wlan = Wifi(wlan.connected, wlan.security, wlan.ssid, wlan.hidden, device)
        source = "nmcli"
    else:
        wlan, source = None, "sysfs"
    if path is None:
        return Link(Medium.NONE, wlan, source=source)
    interface, address = path
    medium = Medium.UNKNOWN
    if interface is not None:
        kind = devices.get(interface, ("", ""))[0]
        devtype, driver = _sysfs(system, interface)
        if driver in TETHER_DRIVERS or kind in NM_MOBILE_TYPES or devtype == "wwan":
            medium = Medium.MOBILE
        elif kind in NM_WIFI_TYPES or devtype == "wlan":
            medium = Medium.WIFI
            if not devices:
                wlan, source = _iw_wifi(system, interface), "iw"
        elif kind in NM_WIRED_TYPES or (not devices and devtype is None and driver):
            medium = Medium.WIRED
    if wlan is not None and wlan.connected and medium is Medium.UNKNOWN:
        medium = Medium.WIFI
    return Link(medium, wlan, tethered_hint=is_hotspot_address(address), source=source)


def _read_proxy_environment() -> dict[str, Any]:
    # Only which variables are set: their values can hold a user name and password.
    return {name.lower(): True for name in PROXY_ENV if os.environ.get(name)}


def proxy_settings(system: System) -> Proxy:
    environment = system.probe("env:proxy", _read_proxy_environment)
    manual = bool(environment)
    pac = None
    try:
        mode = system.command(["gsettings", "get", "org.gnome.system.proxy", "mode"],
                              env=C_LOCALE).stdout.strip().strip("'")
        if mode == "manual":
            manual = True
        elif mode == "auto":
            url = system.command(["gsettings", "get", "org.gnome.system.proxy",
                                  "autoconfig-url"], env=C_LOCALE).stdout.strip().strip("'")
            pac = url or None
    except ProbeError:
        pass
    return Proxy(manual, pac, "linux")

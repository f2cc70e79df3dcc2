"""Windows: ``netsh wlan show interfaces``, the network adapters (WMI) and Internet Settings.

``netsh`` prints in the display language, in the OEM code page (cp932 on Japanese Windows; the
command probe decodes it). Its labels are matched in English and Japanese; its values too
(``connected`` / ``接続されました``, ``WPA2-Personal`` / ``WPA2-パーソナル``). Since Windows 11
24H2 a program without location permission gets, instead of the interface block, "Network shell
commands need location permission to access WLAN information" and ``WlanQueryInterface returns
error 5``: that is recognised as *hidden*, never as "not connected". An answer whose labels or
state words are in neither language (German ``Status : Verbunden``), or an empty one, raises
:class:`~precheck.errors.ProbeError` (kind ``language`` / ``malformed``): recognising nothing is
"could not tell", never "no Wi-Fi".

The adapter carrying the route is looked up in WMI ``root/StandardCimv2`` ``MSFT_NetAdapter``
(``Name`` is the interface name psutil reports): ``NdisPhysicalMedium`` says Wi-Fi (1, 9),
mobile broadband (8), Bluetooth (10) or Ethernet (14); an Ethernet adapter whose description is
a phone's (Remote NDIS, Apple Mobile Device Ethernet) is a tethered phone.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from precheck.errors import ProbeError
from precheck.probes.network import Link, Medium, Security, Wifi, is_hotspot_address, route
from precheck.probes.network.facts import Proxy

if TYPE_CHECKING:
    from precheck.system import System

NETSH = ["netsh", "wlan", "show", "interfaces"]
ADAPTERS = ("root/StandardCimv2", "MSFT_NetAdapter")
INTERNET_SETTINGS = ("HKCU", r"Software\Microsoft\Windows\CurrentVersion\Internet Settings")

#: netsh labels (English, Japanese) -> our keys.
LABELS = {
    "name": "name", "名前": "name",
    "description": "description", "説明": "description",
    "state": "state", "状態": "state",
    "ssid": "ssid",
    "authentication": "authentication", "認証": "authentication",
    "cipher": "cipher", "暗号": "cipher",
}
CONNECTED = {"connected", "接続されました", "接続済み"}
#: The other interface states (WLAN_INTERFACE_STATE as netsh prints it in English; Japanese
#: 切断されました as transcribed in a public Pester test of a Japanese netsh parser, find_string id
#: 63278254727). A state in neither set is a word precheck cannot read: never "not connected".
NOT_CONNECTED = {"disconnected", "disconnecting", "associating", "authenticating", "discovering",
                 "ad hoc network formed", "not ready", "切断されました"}
LOCATION_DENIED = re.compile(
    r"location permission|位置情報|WlanQueryInterface\D+5\b", re.IGNORECASE)
NO_WIRELESS = re.compile(
    r"no wireless interface|wlansvc|無線インターフェイスがありません|ワイヤレス自動構成サービス",
    re.IGNORECASE)
TETHER_DESCRIPTIONS = re.compile(r"remote ndis|apple mobile device|iphone|android",
                                 re.IGNORECASE)
#: NDIS_PHYSICAL_MEDIUM values (ntddndis.h).
WIFI_MEDIA = {1, 9}
MOBILE_MEDIA = {8, 10, 12}  # wireless WAN, Bluetooth, WiMAX
ETHERNET_MEDIA = {14}


def parse_netsh_interfaces(text: str) -> tuple[list[dict[str, str]], bool]:
    """The interface blocks of ``netsh wlan show interfaces`` and whether Windows refused
    them for want of location permission."""
    interfaces: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        label = key.strip().lower()
        if not sep or not line.startswith((" ", "\t")) or label not in LABELS:
            continue
        field = LABELS[label]
        if field == "name" and current:
            interfaces.append(current)
            current = {}
        current[field] = value.strip()
    if current:
        interfaces.append(current)
    denied = not any("state" in i for i in interfaces) and bool(LOCATION_DENIED.search(text))
    return interfaces, denied


def netsh_security(authentication: str, cipher: str) -> Security:
    """The security of an ``Authentication`` / ``Cipher`` pair, in either language."""
    auth = authentication.strip().lower()
    code = cipher.strip().lower()
    if "owe" in auth:
        return Security.OWE
    if "enterprise" in auth or "エンタープライズ" in auth:
        return Security.ENTERPRISE
    personal = "personal" in auth or "パーソナル" in auth or "psk" in auth or "sae" in auth
    if (auth.startswith("wpa3") and personal) or "sae" in auth:
        return Security.WPA3_PERSONAL
    if auth.startswith("wpa2") and personal:
        return Security.WPA2_PERSONAL
    if auth.startswith("wpa") and personal:
        return Security.WPA_PERSONAL
    if auth in ("shared", "共有"):
        return Security.WEP
    if auth in ("open", "オープン"):
        if code.startswith("wep"):
            return Security.WEP
        if code in ("none", "なし", ""):
            return Security.OPEN
    return Security.UNKNOWN


def wifi(system: System) -> Wifi | None:
    """The connected Wi-Fi (or the first interface), None when there is no Wi-Fi adapter."""
    try:
        done = system.command(NETSH)
    except ProbeError as exc:
        if exc.kind == "not_found":
            return None
        raise
    text = done.stdout + "\n" + done.stderr
    return read_netsh(text)


def read_netsh(text: str) -> Wifi | None:
    """The Wi-Fi state from ``netsh wlan show interfaces``. An answer in a language whose
    labels or states precheck does not know raises :class:`ProbeError` (kind ``language``):
    recognising nothing must never read as "not connected"."""
    probe = "cmd:" + " ".join(NETSH)
    interfaces, denied = parse_netsh_interfaces(text)
    if denied:
        return Wifi(connected=True, hidden=True)
    if not interfaces:
        if NO_WIRELESS.search(text):
            return None
        if not text.strip():
            raise ProbeError(probe, "malformed", "netsh printed nothing")
        raise ProbeError(probe, "language",
                         "netsh answered in a language precheck does not read yet")
    states = [i.get("state", "").strip().lower() for i in interfaces]
    unknown = [s for s in states if s not in CONNECTED and s not in NOT_CONNECTED]
    connected = [i for i, s in zip(interfaces, states, strict=True) if s in CONNECTED]
    if not connected:
        if unknown:
            raise ProbeError(probe, "language",
                             "netsh gave an interface state precheck does not read yet")
        return Wifi(connected=False, interface=interfaces[0].get("name"))
    found = connected[0]
    return Wifi(connected=True,
                security=netsh_security(found.get("authentication", ""), found.get("cipher", "")),
                ssid=found.get("ssid") or None, interface=found.get("name"))


def adapter_medium(adapters: list[dict[str, Any]], interface: str | None) -> Medium:
    """The medium of the adapter called ``interface`` (MSFT_NetAdapter ``Name``)."""
    for adapter in adapters:
        if interface is None or str(adapter.get("Name", "")) != interface:
            continue
        medium = adapter.get("NdisPhysicalMedium")
        description = str(adapter.get("InterfaceDescription", ""))
        if medium in WIFI_MEDIA:
            return Medium.WIFI
        if medium in MOBILE_MEDIA or TETHER_DESCRIPTIONS.search(description):
            return Medium.MOBILE
        if medium in ETHERNET_MEDIA:
            return Medium.WIRED
        return Medium.UNKNOWN  # a VPN or a virtual adapter: the physical link is below it
    return Medium.UNKNOWN


def link(system: System) -> Link:
    path = route(system)
    wlan = wifi(system)
    if path is None:
        return Link(Medium.NONE, wlan, source="netsh")
    interface, address = path
    try:
        adapters = system.wmi(*ADAPTERS)
    except ProbeError:
        adapters = []
    medium = adapter_medium(adapters, interface)
    if wlan is not None and wlan.connected and medium in (Medium.WIFI, Medium.UNKNOWN):
        medium = Medium.WIFI
    return Link(medium, wlan, tethered_hint=is_hotspot_address(address), source="netsh")


def proxy_settings(system: System) -> Proxy:
    """Internet Settings: a manual proxy, a PAC file, automatic detection (no credentials)."""
    values = system.registry_values(*INTERNET_SETTINGS) or {}
    pac = values.get("AutoConfigURL")
    return Proxy(bool(values.get("ProxyEnable")) and bool(values.get("ProxyServer")),
                 pac if isinstance(pac, str) and pac else None, "windows")

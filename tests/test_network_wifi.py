"""network.wifi: Wi-Fi parsers on real outputs (Windows in English and Japanese, macOS, Linux), the
check's rules on replayed answers, and the live probes on this machine.

Fixtures and their sources: tests/fixtures/{windows,macos,linux}/network/SOURCES.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from precheck.api import Context
from precheck.checks.network import Wifi as WifiCheck
from precheck.probes import network
from precheck.probes.network import (
    CAPTIVE_PROBE,
    DECLARATION_PROBE,
    ROUTE_PROBE,
    Declaration,
    Medium,
    Security,
    _linux,
    _macos,
    _windows,
)
from precheck.result import Status
from precheck.system import LiveBackend, Platform, System, command_name

FIXTURES = Path(__file__).resolve().parent / "fixtures"
WINDOWS = FIXTURES / "windows" / "network"
MACOS = FIXTURES / "macos" / "network"
LINUX = FIXTURES / "linux" / "network"
NETSH = command_name(_windows.NETSH)
ADAPTERS = "wmi:root/StandardCimv2:MSFT_NetAdapter"
PROFILER = command_name(_macos.PROFILER)
PORTS = command_name(_macos.PORTS)
NM_DEVICES = command_name(_linux.NMCLI_DEVICES, _linux.C_LOCALE)
NM_WIFI = command_name(_linux.NMCLI_WIFI, _linux.C_LOCALE)
NO_PORTAL = [{"url": "http://connectivitycheck.gstatic.com/generate_204", "outcome": "ok",
              "status": 204}]


def text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def out(stdout: str = "", returncode: int = 0) -> dict[str, object]:
    return {"returncode": returncode, "stdout": stdout, "stderr": ""}


# -- Windows: netsh in English and Japanese -------------------------------------------------------

@pytest.mark.parametrize(("fixture", "connected", "security", "ssid"), [
    ("netsh-en-wpa2.txt", True, Security.WPA2_PERSONAL, "HomeNet"),
    ("netsh-ja-wpa2.txt", True, Security.WPA2_PERSONAL, "aterm-10002c-g"),
    ("netsh-en-open.txt", True, Security.OPEN, "FREE_Wi-Fi_and_TOKYO"),
    ("netsh-ja-open-00000japan.txt", True, Security.OPEN, "00000JAPAN"),
    ("netsh-en-enterprise-0001docomo.txt", True, Security.ENTERPRISE, "0001docomo"),
    ("netsh-en-radio-off.txt", False, None, None),
])
def test_netsh_interfaces(replay: Callable[..., Context], fixture: str, connected: bool,
                          security: Security | None, ssid: str | None) -> None:
    system = replay({NETSH: out(text(WINDOWS / fixture))}, Platform.WINDOWS).system
    wifi = _windows.wifi(system)
    assert wifi is not None
    assert (wifi.connected, wifi.security, wifi.ssid) == (connected, security, ssid)
    assert wifi.interface == "Wi-Fi"
    assert not wifi.hidden


def test_netsh_refused_for_location_is_hidden_not_disconnected(
        replay: Callable[..., Context]) -> None:
    # genix2600/warden's worst bug: the refusal read as "disconnected".
    raw = text(WINDOWS / "netsh-en-location-denied.txt")
    interfaces, denied = _windows.parse_netsh_interfaces(raw)
    assert (interfaces, denied) == ([], True)
    wifi = _windows.wifi(replay({NETSH: out(raw, 1)}, Platform.WINDOWS).system)
    assert wifi is not None
    assert wifi.hidden
    assert wifi.connected


def test_netsh_without_wireless_adapter_is_no_wifi(replay: Callable[..., Context]) -> None:
    raw = text(WINDOWS / "netsh-en-no-wireless.txt")
    assert _windows.wifi(replay({NETSH: out(raw, 1)}, Platform.WINDOWS).system) is None


@pytest.mark.parametrize(("auth", "cipher", "security"), [
    ("WPA3-Personal", "GCMP-256", Security.WPA3_PERSONAL),
    ("WPA3-パーソナル", "CCMP", Security.WPA3_PERSONAL),
    ("WPA2-エンタープライズ", "CCMP", Security.ENTERPRISE),
    ("WPA-Personal", "TKIP", Security.WPA_PERSONAL),
    ("Open", "WEP", Security.WEP),
    ("Shared", "WEP", Security.WEP),
    ("OWE", "CCMP", Security.OWE),
    ("Vendor defined", "CCMP", Security.UNKNOWN),
])
def test_netsh_security_words(auth: str, cipher: str, security: Security) -> None:
    assert _windows.netsh_security(auth, cipher) is security


def test_windows_adapter_media() -> None:
    adapters = [
        {"Name": "Wi-Fi", "NdisPhysicalMedium": 9, "InterfaceDescription": "Intel Wi-Fi 6"},
        {"Name": "イーサネット", "NdisPhysicalMedium": 14, "InterfaceDescription": "Realtek"},
        {"Name": "イーサネット 2", "NdisPhysicalMedium": 14,
         "InterfaceDescription": "Remote NDIS based Internet Sharing Device"},
        {"Name": "携帯電話", "NdisPhysicalMedium": 8, "InterfaceDescription": "Qualcomm"},
        {"Name": "VPN", "NdisPhysicalMedium": 0, "InterfaceDescription": "WireGuard Tunnel"},
    ]
    assert _windows.adapter_medium(adapters, "Wi-Fi") is Medium.WIFI
    assert _windows.adapter_medium(adapters, "イーサネット") is Medium.WIRED
    assert _windows.adapter_medium(adapters, "イーサネット 2") is Medium.MOBILE
    assert _windows.adapter_medium(adapters, "携帯電話") is Medium.MOBILE
    assert _windows.adapter_medium(adapters, "VPN") is Medium.UNKNOWN


# -- macOS: system_profiler, networksetup, scutil --------------------------------------------------

@pytest.mark.parametrize(("fixture", "connected", "security", "ssid", "hidden"), [
    ("profiler-wpa2.json", True, Security.WPA2_PERSONAL, "HomeNet", False),
    ("profiler-redacted-wpa2.json", True, Security.WPA2_PERSONAL, None, True),
    ("profiler-redacted-open.json", True, Security.OPEN, None, True),
    ("profiler-open-starbucks.json", True, Security.OPEN, "at_STARBUCKS_Wi2", False),
    ("profiler-not-connected.json", False, None, None, False),
])
def test_system_profiler(fixture: str, connected: bool, security: Security | None,
                         ssid: str | None, hidden: bool) -> None:
    wifi = _macos.parse_profiler(text(MACOS / fixture), "en0")
    assert wifi is not None
    assert (wifi.connected, wifi.security, wifi.ssid, wifi.hidden) == (
        connected, security, ssid, hidden)


def test_system_profiler_malformed_is_a_probe_error() -> None:
    from precheck.errors import ProbeError

    with pytest.raises(ProbeError):
        _macos.parse_profiler("Error: no such data type", "en0")


def test_hardware_ports() -> None:
    ports = _macos.parse_ports(text(MACOS / "networksetup-listallhardwareports.txt"))
    assert ports == {"bridge0": "Thunderbolt Bridge", "en0": "Wi-Fi", "en1": "Thunderbolt 1"}
    assert _macos.port_medium("Wi-Fi") is Medium.WIFI
    assert _macos.port_medium("iPhone USB") is Medium.MOBILE
    assert _macos.port_medium("USB 10/100/1000 LAN") is Medium.WIRED
    assert _macos.port_medium(None) is Medium.UNKNOWN


def test_scutil_proxy_with_a_pac_file() -> None:
    found = _macos.parse_scutil_proxy(text(MACOS / "scutil-proxy-pac.txt"))
    assert found.pac_url == "http://proxy.example.invalid/proxy.pac"
    assert found.manual is False
    assert found.kind == "pac"


# -- Linux: nmcli, iw ------------------------------------------------------------------------------

def test_nmcli_devices() -> None:
    devices = _linux.parse_nmcli_devices(text(LINUX / "nmcli-devices.txt"))
    assert devices["wlp3s0"] == ("wifi", "connected")
    assert devices["enp0s25"] == ("ethernet", "unavailable")


@pytest.mark.parametrize(("fixture", "security", "ssid"), [
    ("nmcli-wifi-list.txt", Security.WPA2_PERSONAL, "aterm-72e649-g"),  # "WPA1 WPA2"
    ("nmcli-wifi-list-0001docomo.txt", Security.ENTERPRISE, "0001docomo"),
    ("nmcli-wifi-list-open-escaped.txt", Security.OPEN, "Cafe:Guest"),
])
def test_nmcli_wifi(fixture: str, security: Security, ssid: str) -> None:
    wifi = _linux.parse_nmcli_wifi(text(LINUX / fixture))
    assert (wifi.connected, wifi.security, wifi.ssid) == (True, security, ssid)


def test_nmcli_nothing_active_is_not_connected() -> None:
    assert not _linux.parse_nmcli_wifi("no:WPA2:HomeNet\n").connected


@pytest.mark.parametrize(("bssid", "security"), [
    ("c0:25:06:da:83:9f", Security.WPA2_PERSONAL),
    ("3e:cd:57:61:f8:fc", Security.OPEN),
    ("00:11:22:33:44:55", Security.WEP),
    ("00:11:22:33:44:66", Security.ENTERPRISE),
    ("00:11:22:33:44:77", Security.WPA3_PERSONAL),
    ("ff:ff:ff:ff:ff:ff", None),
])
def test_iw_scan_dump(bssid: str, security: Security | None) -> None:
    assert _linux.parse_iw_scan(text(LINUX / "iw-scan-dump.txt"), bssid) is security


def test_iw_link() -> None:
    assert _linux.parse_iw_link(text(LINUX / "iw-link.txt")) == ("c0:25:06:da:83:9f",
                                                                 "MUC-M-ROUTER")
    assert _linux.parse_iw_link("Not connected.\n") == (None, None)


def test_linux_without_networkmanager_reads_iw(replay: Callable[..., Context]) -> None:
    answers = {
        ROUTE_PROBE: {"interface": "wlan0", "address": "192.168.1.20"},
        "file:/sys/class/net/wlan0/uevent": "DEVTYPE=wlan\nINTERFACE=wlan0\n",
        "file:/sys/class/net/wlan0/device/uevent": "DRIVER=iwlwifi\n",
        command_name(["iw", "dev", "wlan0", "link"], _linux.C_LOCALE):
            out(text(LINUX / "iw-link.txt")),
        command_name(["iw", "dev", "wlan0", "scan", "dump"], _linux.C_LOCALE):
            out(text(LINUX / "iw-scan-dump.txt")),
    }
    errors = {NM_DEVICES: ("not_found", "nmcli is not installed")}
    link = network.link(replay(answers, Platform.LINUX, errors).system)
    assert link.medium is Medium.WIFI
    assert link.source == "iw"
    assert link.wifi is not None
    assert link.wifi.security is Security.WPA2_PERSONAL


def test_a_usb_tethered_phone_is_mobile(replay: Callable[..., Context]) -> None:
    answers = {
        ROUTE_PROBE: {"interface": "usb0", "address": "192.168.42.10"},
        NM_DEVICES: out("usb0:ethernet:connected\nwlp3s0:wifi:disconnected\n"),
        NM_WIFI: out("no:WPA2:HomeNet\n"),
        "file:/sys/class/net/usb0/uevent": "INTERFACE=usb0\n",
        "file:/sys/class/net/usb0/device/uevent": "DRIVER=rndis_host\n",
    }
    assert network.link(replay(answers, Platform.LINUX).system).medium is Medium.MOBILE


# -- the check, on replayed answers ---------------------------------------------------------------

def windows(stdout: str, *, medium: int = 9, captive: list[dict[str, Any]] | None = None,
            declared: str | None = None, returncode: int = 0) -> dict[str, Any]:
    answers: dict[str, Any] = {
        ROUTE_PROBE: {"interface": "Wi-Fi", "address": "192.168.1.5"},
        NETSH: out(stdout, returncode),
        ADAPTERS: [{"Name": "Wi-Fi", "NdisPhysicalMedium": medium,
                    "InterfaceDescription": "Intel(R) Wi-Fi 6 AX201 160MHz"}],
        CAPTIVE_PROBE: captive if captive is not None else NO_PORTAL,
        DECLARATION_PROBE: declared,  # a headless run records that nobody declared anything
    }
    return answers


def judge(replay: Callable[..., Context], answers: dict[str, Any],
          platform: Platform = Platform.WINDOWS) -> Any:
    return WifiCheck().run(replay(answers, platform))


def test_protected_home_wifi_passes_and_the_name_stays_home(
        replay: Callable[..., Context]) -> None:
    result = judge(replay, windows(text(WINDOWS / "netsh-en-wpa2.txt")))
    assert result.status is Status.PASS
    assert result.evidence["security"] == "wpa2_personal"
    assert "HomeNet" not in json.dumps(
        {"evidence": dict(result.evidence), "args": str(result.summary.args)})


def test_japanese_windows_protected_wifi_passes(replay: Callable[..., Context]) -> None:
    assert judge(replay, windows(text(WINDOWS / "netsh-ja-wpa2.txt"))).status is Status.PASS


@pytest.mark.parametrize("fixture", ["netsh-en-open.txt", "netsh-ja-open-00000japan.txt"])
def test_open_wifi_fails(replay: Callable[..., Context], fixture: str) -> None:
    result = judge(replay, windows(text(WINDOWS / fixture)))
    assert result.status is Status.FAIL
    assert result.evidence["security"] == "open"
    assert "00000JAPAN" not in str(dict(result.evidence))


def test_an_encrypted_carrier_hotspot_fails_by_name(replay: Callable[..., Context]) -> None:
    result = judge(replay, windows(text(WINDOWS / "netsh-en-enterprise-0001docomo.txt")))
    assert result.status is Status.FAIL
    assert result.evidence["known_free_wifi"] is True
    assert result.summary.msgid == "This is a known free public Wi-Fi network"


def test_free_wifi_names_match_without_regard_to_case_and_by_pattern() -> None:
    from precheck import policy as policies
    from precheck.checks.network import _matches_free

    knobs = policies.builtin().section("network.wifi")
    assert _matches_free("00000japan", knobs["free_ssids"], knobs["free_ssid_patterns"])
    assert _matches_free("Chofu_Free_Wi-Fi_Plus", knobs["free_ssids"],
                         knobs["free_ssid_patterns"])
    assert _matches_free("Kagoshima_FreeWiFi", knobs["free_ssids"], knobs["free_ssid_patterns"])
    assert not _matches_free("aterm-10002c-g", knobs["free_ssids"], knobs["free_ssid_patterns"])


def test_a_captive_portal_fails_even_on_a_protected_network(
        replay: Callable[..., Context]) -> None:
    portal = [{"url": "http://connectivitycheck.gstatic.com/generate_204", "outcome": "portal",
               "status": 302, "detail": "redirected"}]
    result = judge(replay, windows(text(WINDOWS / "netsh-en-wpa2.txt"), captive=portal))
    assert result.status is Status.FAIL
    assert result.evidence["captive_portal"] is True


def test_location_denied_without_declaration_is_an_error_saying_how_to_grant_it(
        replay: Callable[..., Context]) -> None:
    result = judge(replay, windows(text(WINDOWS / "netsh-en-location-denied.txt"), returncode=1))
    assert result.status is Status.ERROR
    assert "Location" in result.fix[0].msgid
    assert result.evidence["hidden_by_os"] is True


@pytest.mark.parametrize(("declared", "status"), [
    (Declaration.OWN_SECURED, Status.WARN),
    (Declaration.MOBILE, Status.WARN),
    (Declaration.PUBLIC, Status.FAIL),
    (Declaration.UNSURE, Status.ERROR),
])
def test_a_declaration_is_recorded_as_declared_not_measured(
        replay: Callable[..., Context], declared: Declaration, status: Status) -> None:
    result = judge(replay, windows(text(WINDOWS / "netsh-en-location-denied.txt"),
                                   returncode=1, declared=declared.value))
    assert result.status is status
    assert result.evidence["declared"] == declared.value


def test_the_tui_gives_the_declaration_before_the_check_reads_it() -> None:
    system = System(LiveBackend(Platform.WINDOWS))
    assert network.declare_network(system, Declaration.OWN_SECURED)
    assert not network.declare_network(system, Declaration.PUBLIC)  # the first answer stands
    assert network.declaration(system) is Declaration.OWN_SECURED


def test_wired_passes(replay: Callable[..., Context]) -> None:
    answers = windows(text(WINDOWS / "netsh-en-radio-off.txt"), medium=14)
    answers[ADAPTERS][0]["Name"] = "Wi-Fi"
    result = judge(replay, answers)
    assert result.status is Status.PASS
    assert result.evidence["medium"] == "wired"


def test_no_network_fails(replay: Callable[..., Context]) -> None:
    answers = windows(text(WINDOWS / "netsh-en-radio-off.txt"))
    answers[ROUTE_PROBE] = None
    assert judge(replay, answers).status is Status.FAIL


def test_macos_hidden_open_network_fails_without_asking(replay: Callable[..., Context]) -> None:
    answers = {
        ROUTE_PROBE: {"interface": "en0", "address": "10.0.0.8"},
        PORTS: out(text(MACOS / "networksetup-listallhardwareports.txt")),
        PROFILER: out(text(MACOS / "profiler-redacted-open.json")),
        CAPTIVE_PROBE: NO_PORTAL,
        DECLARATION_PROBE: None,
    }
    result = judge(replay, answers, Platform.MACOS)
    assert result.status is Status.FAIL
    answers[PROFILER] = out(text(MACOS / "profiler-redacted-wpa2.json"))
    assert judge(replay, answers, Platform.MACOS).status is Status.ERROR


def test_linux_free_wifi_fails(replay: Callable[..., Context]) -> None:
    answers = {
        ROUTE_PROBE: {"interface": "wlp3s0", "address": "192.168.10.4"},
        NM_DEVICES: out(text(LINUX / "nmcli-devices.txt")),
        NM_WIFI: out(text(LINUX / "nmcli-wifi-list-0001docomo.txt")),
        "file:/sys/class/net/wlp3s0/uevent": "DEVTYPE=wlan\n",
        "file:/sys/class/net/wlp3s0/device/uevent": "DRIVER=iwlwifi\n",
        CAPTIVE_PROBE: NO_PORTAL,
    }
    assert judge(replay, answers, Platform.LINUX).status is Status.FAIL


# -- live, on this machine ----------------------------------------------------------------------

@pytest.mark.skipif(Platform.current() is not Platform.LINUX, reason="the Linux probes run here")
def test_live_link_on_this_machine() -> None:
    system = System(LiveBackend())
    link = network.link(system)
    assert link.medium in set(Medium)
    assert link.medium is not Medium.WIFI or link.wifi is not None
    names = [r.name for r in system.backend.records()]  # type: ignore[attr-defined]
    assert ROUTE_PROBE in names


def test_live_captive_probe_against_a_local_portal_and_a_local_204() -> None:
    from precheck.probes.network import web
    from tests.network_support import reply, stand_in

    def portal(h: Any) -> None:
        h.send_response(302)
        h.send_header("Location", "http://login.portal.invalid/")
        h.send_header("Content-Length", "0")
        h.end_headers()

    def fine(h: Any) -> None:
        h.send_response(204)
        h.send_header("Content-Length", "0")
        h.end_headers()

    with stand_in({"/generate_204": portal, "/ok_204": fine,
                   "/page": lambda h: reply(h, b"<html>Login</html>")}) as url:
        found = web.captive_probes([
            {"url": f"{url}/generate_204", "status": 204, "body": ""},
            {"url": f"{url}/ok_204", "status": 204, "body": ""},
            {"url": f"{url}/page", "status": 204, "body": ""},
            {"url": "http://127.0.0.1:9/", "status": 204, "body": ""},
        ])
    assert [f["outcome"] for f in found] == ["portal", "ok", "portal", "unreachable"]

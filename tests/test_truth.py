"""Unknown never passes: the known ways an answer misled a check, each on a real (or marked)
answer, judged the way `precheck run` judges it.

Fixtures and their sources: tests/fixtures/*/*/SOURCES.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from precheck.api import Context
from precheck.checks.antivirus import Antivirus
from precheck.checks.firewall import Firewall
from precheck.checks.network import Wifi as WifiCheck
from precheck.errors import ProbeError
from precheck.probes.antivirus import _windows as av_windows
from precheck.probes.firewall import _windows as fw_windows
from precheck.probes.network import CAPTIVE_PROBE, DECLARATION_PROBE, ROUTE_PROBE
from precheck.probes.network import _macos as net_macos
from precheck.probes.network import _windows as net_windows
from precheck.probes.security_center import merge_by_name, parse_products
from precheck.result import Status
from precheck.runner import Runner
from precheck.system import JSON, Platform, command_name

FIXTURES = Path(__file__).resolve().parent / "fixtures"
NETSH = command_name(net_windows.NETSH)
PROFILES = "wmi:root/StandardCimv2:MSFT_NetFirewallProfile"
CONNECTIONS = "wmi:root/StandardCimv2:MSFT_NetConnectionProfile"
FIREWALL_PRODUCTS = "wmi:root/SecurityCenter2:FirewallProduct"
AV_PRODUCTS = "wmi:root/SecurityCenter2:AntiVirusProduct"
DEFENDER = "wmi:root/Microsoft/Windows/Defender:MSFT_MpComputerStatus"


def read(rel: str) -> str:
    return (FIXTURES / rel).read_text("utf-8")


def load(rel: str) -> Any:
    return json.loads(read(rel))


# -- netsh in a language precheck does not read ---------------------------------------------------

def _wifi_answers(stdout: str, medium: int | None) -> dict[str, Any]:
    adapters = [] if medium is None else [{"Name": "WLAN", "NdisPhysicalMedium": medium}]
    return {
        ROUTE_PROBE: {"interface": "WLAN", "address": "192.168.1.5"},
        NETSH: {"returncode": 0, "stdout": stdout, "stderr": ""},
        "wmi:root/StandardCimv2:MSFT_NetAdapter": adapters,
        CAPTIVE_PROBE: [{"url": "http://connectivitycheck.gstatic.com/generate_204",
                         "outcome": "ok", "status": 204}],
        DECLARATION_PROBE: None,
    }


@pytest.mark.parametrize("medium", [9, None], ids=["adapter-says-wifi", "adapter-unknown"])
def test_german_netsh_is_could_not_tell_never_not_connected(
        replay: Callable[..., Context], medium: int | None) -> None:
    """Issue 14 class 1: German labels used to read as "not connected" and pass."""
    german = read("windows/network/netsh-de-wpa2.txt")
    with pytest.raises(ProbeError) as raised:
        net_windows.read_netsh(german)
    assert raised.value.kind == "language"
    ctx = replay(_wifi_answers(german, medium), Platform.WINDOWS)
    outcome = next(o for o in Runner(_only(WifiCheck), ctx).run())
    assert outcome.result.status is Status.ERROR
    assert "language" in outcome.result.summary.msgid
    assert "language" in outcome.result.fix[0].msgid


def _only(check: type) -> Any:
    from precheck.plugins import Catalog

    return Catalog((check,), ())


def test_a_real_english_capture_still_reads_as_wpa2() -> None:
    wifi = net_windows.read_netsh(read("windows/network/netsh-en-wpa2-systeminformation525.txt"))
    assert wifi is not None
    assert wifi.connected
    assert wifi.security is not None
    assert wifi.security.value == "wpa2_personal"


def test_a_state_word_precheck_does_not_know_is_not_disconnected() -> None:
    text = read("windows/network/netsh-en-radio-off.txt").replace("disconnected", "dormant")
    with pytest.raises(ProbeError):
        net_windows.read_netsh(text)
    assert net_windows.read_netsh(read("windows/network/netsh-en-radio-off.txt")) is not None


def test_empty_netsh_is_unreadable_and_no_wireless_is_none() -> None:
    with pytest.raises(ProbeError):
        net_windows.read_netsh("\n\n")
    assert net_windows.read_netsh(read("windows/network/netsh-en-no-wireless.txt")) is None
    assert net_windows.read_netsh(read("windows/network/netsh-ja-wlansvc-stopped.txt")) is None


def test_a_wifi_route_without_a_readable_wifi_state_is_an_error(
        replay: Callable[..., Context]) -> None:
    answers = _wifi_answers(read("windows/network/netsh-en-radio-off.txt"), 9)
    result = WifiCheck().run(replay(answers, Platform.WINDOWS))
    assert result.status is Status.ERROR


# -- a firewall answer with fewer profiles than exist ---------------------------------------------

def _firewall(profiles: list[dict[str, Any]], connections: list[dict[str, Any]],
              replay: Callable[..., Context]) -> Any:
    ctx = replay({PROFILES: profiles, CONNECTIONS: connections, FIREWALL_PRODUCTS: [],
                  "psutil:tcp_listening": []}, Platform.WINDOWS)
    return Firewall().run(ctx)


def test_the_profile_in_use_missing_is_an_error_not_on_with_no_name(
        replay: Callable[..., Context]) -> None:
    """Issue 14 class 2: it passed with "The firewall is on ()"."""
    profiles = [p for p in load("windows/firewall/firewall-profiles-default.json")
                if p["Name"] != "Public"]
    public = [{"NetworkCategory": 0}]
    result = _firewall(profiles, public, replay)
    assert result.status is Status.ERROR
    assert "public" in str(result.summary.args["sources"])


def test_a_profile_not_in_use_missing_is_an_error_too(replay: Callable[..., Context]) -> None:
    profiles = [p for p in load("windows/firewall/firewall-profiles-public-off.json")
                if p["Name"] != "Public"]  # the real answer warns: Public is off
    result = _firewall(profiles, load("windows/firewall/connection-profile-private.json"), replay)
    assert result.status is Status.ERROR


def test_an_unreadable_enabled_value_is_not_off_or_on(replay: Callable[..., Context]) -> None:
    profiles = load("windows/firewall/firewall-profiles-default.json")
    profiles[2] = {**profiles[2], "Enabled": "Wahr"}
    assert fw_windows.unread_profiles(fw_windows.parse_firewall_profiles(profiles, None)) == [
        "public"]
    assert _firewall(profiles, [], replay).status is Status.ERROR


def test_an_unreadable_network_category_makes_every_profile_count() -> None:
    assert fw_windows.parse_connection_profiles(
        [{"NetworkCategory": 1}, {"NetworkCategory": "Privé"}]) is None


def test_the_complete_real_answer_still_passes(replay: Callable[..., Context]) -> None:
    result = _firewall(load("windows/firewall/firewall-profiles-default.json"),
                       load("windows/firewall/connection-profile-private.json"), replay)
    assert result.status is Status.PASS


# -- Security Center entries without a product state ----------------------------------------------

def test_an_entry_without_product_state_is_could_not_tell_not_off(
        replay: Callable[..., Context]) -> None:
    """Issue 14 class 2: a registration without productState read as "off"."""
    entries = load("windows/antivirus/securitycenter-mcafee-leftover-removewindowsai244.json")
    stateless = [{k: v for k, v in e.items() if k != "productState"} for e in entries]
    products = parse_products(stateless)
    assert all(p.state is None for p in products)
    ctx = replay({AV_PRODUCTS: stateless, "psutil:process_names": [],
                  "clock:now": "2026-11-23T10:00:00+09:00"}, Platform.WINDOWS,
                 errors={DEFENDER: ("not_found", "no Defender")})
    result = Antivirus().run(ctx)
    assert result.status is Status.ERROR


def test_a_duplicate_with_one_stateless_registration_is_not_off() -> None:
    off = {"displayName": "X Antivirus", "productState": 262144}
    merged = merge_by_name(parse_products([off, {"displayName": "X Antivirus"}]))
    assert merged[0].state is None
    on = {"displayName": "X Antivirus", "productState": 266240}
    assert merge_by_name(parse_products([on, {"displayName": "X Antivirus"}]))[0].enabled


def test_a_product_state_out_of_range_is_no_state() -> None:
    assert parse_products([{"displayName": "Y", "productState": -1}])[0].state is None


def test_a_cut_off_defender_status_is_unreadable() -> None:
    status: dict[str, JSON] = {"AMRunningMode": "Normal", "AMServiceEnabled": True}
    with pytest.raises(ProbeError):
        av_windows.parse_defender([status])


# -- macOS: networksetup blocks -------------------------------------------------------------------

def test_a_device_never_inherits_the_previous_blocks_port() -> None:
    text = read("macos/network/networksetup-listallhardwareports.txt")
    assert net_macos.parse_ports(text)["en0"] == "Wi-Fi"
    reordered = "\n".join(reversed(text.splitlines()))
    assert net_macos.parse_ports(reordered).get("en0") != "Thunderbolt 1"


def test_an_empty_scutil_answer_is_unreadable_not_no_proxy() -> None:
    with pytest.raises(ProbeError):
        net_macos.parse_scutil_proxy("")


# -- apt: an answer cut short understates what is pending ----------------------------------------

def test_a_cut_off_apt_simulation_is_could_not_tell(replay: Callable[..., Context]) -> None:
    from precheck.checks.os_patches import OsPatches
    from precheck.probes.patches import _linux as patches_linux

    full = read("linux/patches/apt-get-s-dist-upgrade-debian12.txt")
    assert patches_linux.apt_complete(full)
    lines = full.splitlines(keepends=True)
    for cut in ("".join(lines[:100]), "".join(lines[:30]), full.replace(
            "113 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n", "")):
        assert not patches_linux.apt_complete(cut)
        ctx = replay({"clock:now": "2026-11-23T01:40:00+00:00",
                      "cmd:LC_ALL=C apt-get -s dist-upgrade":
                          {"returncode": 0, "stdout": cut, "stderr": ""},
                      "mtime:/var/lib/apt/lists": "2026-11-22T00:00:00+00:00",
                      "file:/var/run/reboot-required": None}, Platform.LINUX)
        assert OsPatches().run(ctx).status is Status.ERROR


def test_a_softwareupdate_detail_cut_short_is_unreadable() -> None:
    from precheck.probes.patches import _macos as patches_macos

    text = read("macos/patches/softwareupdate-l-macos27-offered.txt")
    cut = text[:text.index("Version: 27,")]
    assert patches_macos.parse_softwareupdate(cut) is None


# -- every result says what it read and what it could not --------------------------

def test_the_evidence_names_what_was_read_and_what_was_not() -> None:
    from tests.replay_bundle import replayed_result

    result = replayed_result("network-windows10-de-unread", "network.wifi")
    assert result.status is Status.ERROR
    assert result.evidence["probes_read"] == ("net:route",)
    assert result.evidence["probes_unread"] == ("cmd:netsh wlan show interfaces (language)",)
    server = replayed_result("antivirus-windows-server2022", "security.antivirus")
    unread = server.evidence["probes_unread"]
    assert isinstance(unread, tuple)
    assert "wmi:root/SecurityCenter2:AntiVirusProduct (wmi_error)" in unread


def test_a_dnf_answer_with_nothing_recognisable_is_not_none_pending() -> None:
    from precheck.probes.patches import _linux as patches_linux

    real = read("linux/patches/dnf-updateinfo-list-security-fedora34.txt")
    assert patches_linux.dnf_understood(real)
    assert patches_linux.dnf_understood("")  # dnf -q prints nothing when nothing is pending
    assert not patches_linux.dnf_understood("Fehler: Metadaten konnten nicht geladen werden\n")


def test_a_managed_mac_socketfilterfw_answer_without_a_state_is_could_not_tell(
        replay: Callable[..., Context]) -> None:
    answer = read("macos/firewall/socketfilterfw-managed-mac.txt")
    ctx = replay({"cmd:/usr/libexec/ApplicationFirewall/socketfilterfw --getglobalstate":
                  {"returncode": 0, "stdout": answer, "stderr": ""},
                  "psutil:tcp_listening": []}, Platform.MACOS)
    with pytest.raises(ProbeError):
        Firewall().run(ctx)  # the runner reports it as "could not understand the answer"

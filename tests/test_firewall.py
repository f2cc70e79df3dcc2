"""security.firewall: parsers on real outputs, the check's rules, bundles, and this machine live.

Fixtures and their sources: tests/fixtures/{windows,macos,linux}/firewall/SOURCES.md. Each test
named after a known failure of another tool (see shared research "posture anchors") shows that
precheck does not repeat it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from precheck import policy as policies
from precheck.api import Context
from precheck.checks.firewall import Firewall
from precheck.probes import firewall
from precheck.probes.firewall import _linux, _macos, _windows, parse_listening
from precheck.result import Message, Status
from precheck.system import JSON, LiveBackend, Platform, System
from tests.replay_bundle import replayed_result

FIXTURES = Path(__file__).resolve().parent / "fixtures"
LINUX = FIXTURES / "linux" / "firewall"
MACOS = FIXTURES / "macos" / "firewall"
WINDOWS = FIXTURES / "windows" / "firewall"

NFT = "cmd:LC_ALL=C nft list ruleset"
IPT = "cmd:LC_ALL=C iptables -S INPUT"
UFW = "cmd:LC_ALL=C ufw status verbose"
FWD = "cmd:LC_ALL=C firewall-cmd --state"
FWD_ZONE = "cmd:LC_ALL=C firewall-cmd --get-default-zone"
SOCKETFILTERFW = "cmd:/usr/libexec/ApplicationFirewall/socketfilterfw --getglobalstate"
FW_PROFILES = "wmi:root/StandardCimv2:MSFT_NetFirewallProfile"
CONN_PROFILES = "wmi:root/StandardCimv2:MSFT_NetConnectionProfile"
WSC_FIREWALL = "wmi:root/SecurityCenter2:FirewallProduct"
LISTENING = "psutil:tcp_listening"


def text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def load(path: Path) -> list[dict[str, JSON]]:
    data: list[dict[str, JSON]] = json.loads(text(path))
    return data


def out(stdout: str = "", returncode: int = 0, stderr: str = "") -> dict[str, object]:
    return {"returncode": returncode, "stdout": stdout, "stderr": stderr}


# -- parsers on real outputs ---------------------------------------------------------------------

@pytest.mark.parametrize(("fixture", "expected"), [
    ("ufw-status-verbose-ubuntu2004.txt", (True, True)),
    ("ufw-status-inactive.txt", (False, None)),
    # omakub#266 / ufw-docker#154: a translated answer is "could not tell", never "inactive".
    ("ufw-status-german.txt", (None, None)),
    ("ufw-status-ja-mint22.txt", (None, None)),  # Japanese: "could not tell", never "off"
    ("ufw-status-ja-ubuntu-rules.txt", (None, None)),
])
def test_parse_ufw_status(fixture: str, expected: tuple[bool | None, bool | None]) -> None:
    assert _linux.parse_ufw_status(text(LINUX / fixture)) == expected


@pytest.mark.parametrize(("fixture", "blocking"), [
    ("nft-geo-filter-issue5.txt", True),
    ("nft-debian-cis-pr366-policy-own-line.txt", True),  # debian-cis missed this form
    ("nft-opensnitch-pr1423.txt", False),  # an app's tables, no input filter: not a firewall
    ("nft-crowdsec-issue210.txt", False),  # a blocklist with policy accept: not a firewall
])
def test_parse_nft_ruleset(fixture: str, blocking: bool) -> None:
    assert _linux.parse_nft_ruleset(text(LINUX / fixture)) is blocking


def test_parse_nft_empty_ruleset_is_no_firewall() -> None:
    assert _linux.parse_nft_ruleset("") is False


@pytest.mark.parametrize(("rules", "blocking"), [
    (text(LINUX / "iptables-S-INPUT-debian12-empty.txt"), False),
    ("-P INPUT DROP\n-A INPUT -j ufw-before-input\n", True),
    ("-P INPUT ACCEPT\n-A INPUT -i lo -j ACCEPT\n-A INPUT -j REJECT --reject-with "
     "icmp-host-prohibited\n", True),
    ("-P INPUT ACCEPT\n-A INPUT -s 10.0.0.1/32 -j DROP\n", False),
])
def test_parse_iptables_input(rules: str, blocking: bool) -> None:
    assert _linux.parse_iptables_input(rules) is blocking


@pytest.mark.parametrize(("fixture", "state"), [
    ("socketfilterfw-state0.txt", 0),
    ("socketfilterfw-state1.txt", 1),
    ("socketfilterfw-state2-older.txt", 2),
    ("socketfilterfw-state2-blockall.txt", 2),  # no word "enabled": Mac-Health-Check PR #8
])
def test_parse_socketfilterfw(fixture: str, state: int) -> None:
    assert _macos.parse_global_state(text(MACOS / fixture)) == state


def test_parse_windows_profiles_and_active_network() -> None:
    active = _windows.parse_connection_profiles(load(WINDOWS / "connection-profile-private.json"))
    assert active == frozenset({"private"})
    profiles = _windows.parse_firewall_profiles(
        load(WINDOWS / "firewall-profiles-public-off.json"), active)
    assert [(p.name, p.enabled, p.active, p.blocks_inbound) for p in profiles] == [
        ("domain", True, False, True), ("private", True, True, True),
        ("public", False, False, True)]


def test_windows_enumerations_also_read_from_a_powershell_export() -> None:
    profiles = _windows.parse_firewall_profiles(
        [{"Name": "Public", "Enabled": "True", "DefaultInboundAction": "Allow"}], None)
    assert profiles[0].enabled
    assert profiles[0].blocks_inbound is False


def test_windows_enumeration_names_are_read_per_enumeration() -> None:
    # NotConfigured is 2 as a GpoBoolean (on) but 0 as an inbound action (Block, the default);
    # 2 as an action is Allow.
    profiles = _windows.parse_firewall_profiles(
        [{"Name": "Domain", "Enabled": "NotConfigured", "DefaultInboundAction": "NotConfigured"},
         {"Name": "Public", "Enabled": "False", "DefaultInboundAction": "Block"}], None)
    assert [(p.name, p.enabled, p.blocks_inbound) for p in profiles] == [
        ("domain", True, True), ("public", False, True)]
    category = _windows.parse_connection_profiles([{"NetworkCategory": "DomainAuthenticated"}])
    assert category == frozenset({"domain"})


def test_listening_drops_loopback() -> None:
    found = parse_listening([{"address": "127.0.0.1", "port": 631},
                             {"address": "::1", "port": 631},
                             {"address": "0.0.0.0", "port": 22},
                             {"address": "fe80::1%eth0", "port": 5353}])
    assert [(x.address, x.port) for x in found] == [("0.0.0.0", 22), ("fe80::1%eth0", 5353)]


# -- the check's rules ---------------------------------------------------------------------------

def windows(replay: Callable[..., Context], profiles: str, *, products: object = (),
            connected: str | None = "connection-profile-private.json",
            listening: object = ()) -> Context:
    answers: dict[str, object] = {FW_PROFILES: load(WINDOWS / profiles),
                                  LISTENING: list(listening)}  # type: ignore[call-overload]
    errors = {}
    if connected is None:
        errors[CONN_PROFILES] = ("wmi_error", "not available")
    else:
        answers[CONN_PROFILES] = load(WINDOWS / connected)
    if products is None:  # Windows Server: no Security Center
        errors[WSC_FIREWALL] = ("wmi_error", "Invalid namespace")
    else:
        answers[WSC_FIREWALL] = list(products)  # type: ignore[call-overload]
    return replay(answers, Platform.WINDOWS, errors)


def test_windows_all_on(replay: Callable[..., Context]) -> None:
    result = Firewall().run(windows(replay, "firewall-profiles-default.json"))
    assert result.status is Status.PASS


def test_windows_profile_off_but_not_in_use_warns(replay: Callable[..., Context]) -> None:
    result = Firewall().run(windows(replay, "firewall-profiles-public-off.json"))
    assert result.status is Status.WARN
    assert "public" in result.evidence["profiles"][2]  # type: ignore[index, operator] # a tuple


def test_windows_active_profile_unknown_means_every_profile_counts(
        replay: Callable[..., Context]) -> None:
    result = Firewall().run(windows(replay, "firewall-profiles-public-off.json", connected=None))
    assert result.status is Status.FAIL
    assert result.fix


def test_windows_third_party_firewall_is_recognised(replay: Callable[..., Context]) -> None:
    # ParetoSecurity/agent#388: ESET replaced Windows Firewall and was reported as "no firewall".
    ctx = windows(replay, "firewall-profiles-public-off.json", connected=None,
                  products=load(WINDOWS / "firewall-product-eset-ja.json"))
    result = Firewall().run(ctx)
    assert result.status is Status.PASS
    assert result.summary.args["products"] == ("ESET Internet Security",)


def test_windows_server_without_security_center_still_judged(
        replay: Callable[..., Context]) -> None:
    # osquery#6389, fleet#4871: no SecurityCenter2 on Server made other tools error out.
    result = Firewall().run(windows(replay, "firewall-profiles-default.json", products=None))
    assert result.status is Status.PASS


def test_windows_inbound_allowed_with_listeners_warns(replay: Callable[..., Context]) -> None:
    ctx = windows(replay, "firewall-profiles-inbound-allow.json",
                  listening=[{"address": "0.0.0.0", "port": 445},
                             {"address": "127.0.0.1", "port": 5939}])
    result = Firewall().run(ctx)
    assert result.status is Status.WARN
    assert result.summary.args["ports"] == (445,)


def test_windows_profiles_unreadable_is_an_error(replay: Callable[..., Context]) -> None:
    ctx = replay({CONN_PROFILES: [], WSC_FIREWALL: []}, Platform.WINDOWS,
                 {FW_PROFILES: ("wmi_error", "RPC server unavailable")})
    assert Firewall().run(ctx).status is Status.ERROR


@pytest.mark.parametrize(("fixture", "status"), [
    ("socketfilterfw-state0.txt", Status.FAIL),
    ("socketfilterfw-state1.txt", Status.PASS),
    ("socketfilterfw-state2-blockall.txt", Status.PASS),
])
def test_macos(replay: Callable[..., Context], fixture: str, status: Status) -> None:
    ctx = replay({SOCKETFILTERFW: out(text(MACOS / fixture))}, Platform.MACOS)
    result = Firewall().run(ctx)
    assert result.status is status
    if status is Status.PASS:  # the firewall's name is translated, not the probe's English
        assert result.summary.args["firewalls"] == (Message.of("application firewall"),)


def linux(replay: Callable[..., Context], *, ufw_conf: str | None = None,
          ufw: dict[str, object] | None = None, default_ufw: str | None = None,
          nft: dict[str, object] | None = None, ipt: dict[str, object] | None = None,
          zone: str | None = None, listening: object = ()) -> Context:
    answers: dict[str, object] = {"file:/etc/ufw/ufw.conf": ufw_conf,
                                  "file:/etc/default/ufw": default_ufw,
                                  LISTENING: list(listening)}  # type: ignore[call-overload]
    errors = {}
    if zone is None:
        errors[FWD] = ("not_found", "firewall-cmd is not installed")
    else:  # INVENTED answers in firewall-cmd's documented form: "running", then the zone name
        answers[FWD] = out("running\n")
        answers[FWD_ZONE] = out(zone + "\n")
    for name, answer in ((UFW, ufw), (NFT, nft), (IPT, ipt)):
        if answer is None:
            errors[name] = ("not_found", "not installed")
        else:
            answers[name] = answer
    return replay(answers, Platform.LINUX, errors)


def test_linux_ufw_active_as_root(replay: Callable[..., Context]) -> None:
    ctx = linux(replay, ufw_conf="ENABLED=yes\n",
                ufw=out(text(LINUX / "ufw-status-verbose-ubuntu2004.txt")))
    result = Firewall().run(ctx)
    assert result.status is Status.PASS
    assert result.summary.args["firewalls"] == ("ufw",)


def test_linux_ufw_not_root_uses_its_configuration(replay: Callable[..., Context]) -> None:
    ctx = linux(replay, ufw_conf="# comment\nENABLED=yes\nLOGLEVEL=low\n",
                ufw=out("", 1, "ERROR: You need to be root to run this script\n"),
                default_ufw='DEFAULT_INPUT_POLICY="DROP"\n',
                nft=out("", 1, text(LINUX / "nft-nonroot-debian12.stderr.txt")))
    result = Firewall().run(ctx)
    assert result.status is Status.PASS
    assert result.evidence["verified"] is False
    assert "administrator" in result.summary.msgid


def test_linux_ufw_service_active_but_disabled_is_not_a_pass(
        replay: Callable[..., Context]) -> None:
    # digitalocean/marketplace-partners#26: "ufw service active" gave false passes. ENABLED=no
    # is what `ufw disable` writes, whatever systemd says.
    ctx = linux(replay, ufw_conf="ENABLED=no\n",
                ufw=out("", 1, "ERROR: You need to be root to run this script\n"),
                ipt=out(text(LINUX / "iptables-S-INPUT-debian12-empty.txt")))
    assert Firewall().run(ctx).status is Status.FAIL


def test_linux_translated_ufw_output_is_not_read_as_inactive(
        replay: Callable[..., Context]) -> None:
    ctx = linux(replay, ufw_conf="ENABLED=yes\n", ufw=out(text(LINUX / "ufw-status-german.txt")),
                default_ufw='DEFAULT_INPUT_POLICY="DROP"\n')
    result = Firewall().run(ctx)
    assert result.status is Status.PASS  # from the configuration, said so
    assert result.evidence["verified"] is False


def test_linux_rules_need_root_is_an_error_not_a_pass(replay: Callable[..., Context]) -> None:
    ctx = linux(replay, nft=out("", 1, text(LINUX / "nft-nonroot-debian12.stderr.txt")),
                ipt=out("", 4, text(LINUX / "iptables-nonroot-debian12.stderr.txt")))
    result = Firewall().run(ctx)
    assert result.status is Status.ERROR
    assert result.summary.args["sources"] == ("nftables", "iptables")
    assert any("sudo" in step.msgid for step in result.fix)


def test_linux_trusting_configuration_can_be_turned_off(
        replay: Callable[..., Context]) -> None:
    ctx = linux(replay, ufw_conf="ENABLED=yes\n", ufw=out("", 1, "ERROR: need to be root\n"))
    data = json.loads(json.dumps(dict(ctx.policy.data)))
    data["security"]["firewall"]["trust_configuration_without_admin"] = False
    strict = Context(ctx.system, policies.from_data(data, "test"))
    assert Firewall().run(strict).status is Status.ERROR


def test_linux_docker_or_app_chains_are_not_a_firewall(replay: Callable[..., Context]) -> None:
    # ParetoSecurity/agent#39: Tailscale/Docker chains were read as "Firewall is on".
    ctx = linux(replay, nft=out(text(LINUX / "nft-opensnitch-pr1423.txt")),
                ipt=out(text(LINUX / "iptables-S-INPUT-debian12-empty.txt")))
    assert Firewall().run(ctx).status is Status.FAIL


def test_linux_nft_drop_policy_passes(replay: Callable[..., Context]) -> None:
    ctx = linux(replay, nft=out(text(LINUX / "nft-geo-filter-issue5.txt")))
    assert Firewall().run(ctx).status is Status.PASS


def test_linux_ufw_allowing_incoming_with_listeners_warns(
        replay: Callable[..., Context]) -> None:
    verbose = text(LINUX / "ufw-status-verbose-ubuntu2004.txt").replace(
        "deny (incoming)", "allow (incoming)")
    ctx = linux(replay, ufw_conf="ENABLED=yes\n", ufw=out(verbose),
                listening=[{"address": "0.0.0.0", "port": 22}])
    result = Firewall().run(ctx)
    assert result.status is Status.WARN
    assert result.summary.args["ports"] == (22,)


@pytest.mark.parametrize(("zone", "status"), [("public", Status.PASS), ("trusted", Status.WARN)])
def test_linux_firewalld_zone_trusted_lets_everything_in(
        replay: Callable[..., Context], zone: str, status: Status) -> None:
    ctx = linux(replay, zone=zone, listening=[{"address": "0.0.0.0", "port": 22}])
    result = Firewall().run(ctx)
    assert result.status is status
    assert result.summary.args["firewalls"] == ("firewalld",)


# -- bundles: one per OS, replayed through the whole pipeline ------------------------------------

@pytest.mark.parametrize(("name", "status"), [
    ("firewall-windows11-ja", Status.WARN),
    ("firewall-macos15", Status.PASS),
    ("firewall-linux-debian12-nonroot", Status.ERROR),
])
def test_bundle_replays_to_a_known_verdict(name: str, status: Status) -> None:
    result = replayed_result(name, "security.firewall")
    assert result.status is status, result


# -- this machine, live --------------------------------------------------------------------------

@pytest.mark.skipif(Platform.current() is not Platform.LINUX, reason="reads Linux firewalls")
def test_live_on_this_machine(replay: Callable[..., Context]) -> None:
    system = System(LiveBackend())
    state = firewall.firewall(system)
    assert state.rule == "any"
    for profile in state.profiles:
        assert profile.name in ("ufw", "firewalld", "nftables", "iptables")
    listening = firewall.listening(system)
    assert listening is None or all(x.port > 0 for x in listening)
    result = Firewall().run(Context(system, replay({}).policy))
    if result.status is Status.PASS:  # only when a source really showed a blocking firewall
        assert any(p.enabled for p in state.profiles)
    else:
        assert result.status in (Status.FAIL, Status.ERROR, Status.WARN)
        assert result.fix

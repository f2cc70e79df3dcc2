"""Firewall: a personal firewall is on, allowing only the services needed (Article 5(4))."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from precheck.api import Check, Context, Message, Platform, Result
from precheck.probes import firewall
from precheck.probes.firewall import FirewallState, Listener, Profile
from precheck.result import N_

#: Profile names a job seeker reads in a message; the others are product names (ufw, nftables).
PROFILE_NAMES = {
    "domain": N_("domain network"),
    "private": N_("private network"),
    "public": N_("public network"),
    "application firewall": N_("application firewall"),
}

TURN_ON = {
    Platform.WINDOWS: (
        N_("Open Start > Settings > Privacy & security > Windows Security > Firewall & network "
           "protection (Windows 10: Settings > Update & Security > Windows Security)."),
        N_("Click each network marked \"(active)\" and switch Microsoft Defender Firewall to On."),
    ),
    Platform.MACOS: (
        N_("Open the Apple menu > System Settings > Network > Firewall and switch Firewall on "
           "(macOS 12 and earlier: System Preferences > Security & Privacy > Firewall > Turn On "
           "Firewall)."),
    ),
    Platform.LINUX: (
        N_("Turn on the firewall: on Ubuntu, Linux Mint or Debian run \"sudo ufw enable\" in a "
           "terminal (install it first with \"sudo apt install ufw\" if needed)."),
        N_("On Fedora, Red Hat, AlmaLinux, Rocky Linux or openSUSE run \"sudo systemctl enable "
           "--now firewalld\"."),
    ),
}

BLOCK_INBOUND = {
    Platform.WINDOWS: N_("Open Windows Security > Firewall & network protection > Advanced "
                         "settings > Windows Defender Firewall Properties and set \"Inbound "
                         "connections\" to Block (default) for each profile."),
    Platform.MACOS: N_("Open System Settings > Network > Firewall > Options and turn on \"Block "
                       "all incoming connections\" for the consultation."),
    Platform.LINUX: N_("Block incoming connections by default: run \"sudo ufw default deny "
                       "incoming\" (firewalld: \"sudo firewall-cmd --set-default-zone=public\")."),
}


class Firewall(Check):
    """A personal firewall is on for the networks in use and blocks unsolicited incoming
    connections (Article 5(4): パーソナルファイアウォールの機能を有効にし、
    必要なサービスの許可だけを最小限に設定すること).

    Windows: every Windows Defender Firewall profile used by a connected network must be on, or a
    third-party firewall registered in Security Center must be on; a profile not in use that is
    off only warns. macOS: the application firewall is on (state 1 or 2). Linux: ufw, firewalld,
    nftables or iptables drops what it does not allow; when the rules can only be listed with
    administrator rights and nothing else shows a firewall, the result is an error saying so.
    The "only needed services" half: when incoming connections are allowed by default and
    programs listen on the network, the result is a warning naming the ports.
    Fix: turn the firewall on (the steps name the exact settings), block incoming connections by
    default, or stop programs that accept connections.
    """

    id = "security.firewall"
    article = "5(4)"
    required = True
    title = N_("Firewall")
    timeout_s = 20.0

    def run(self, ctx: Context) -> Result:
        state = firewall.firewall(ctx.system)
        knobs = ctx.policy.section("security.firewall")
        platform = ctx.system.platform
        evidence: dict[str, object] = {
            "profiles": [f"{p.name}:{'on' if p.enabled else 'off'}"
                         f"{'' if p.active else ' (not in use)'}" for p in state.profiles],
            "third_party": list(state.third_party),
            "unreadable": [f"{source}:{why}" for source, why in state.unreadable],
        }
        if state.third_party:
            return self.passed(N_("A third-party firewall is on: {products}"),
                               evidence=evidence, products=state.third_party)
        if state.rule == "every_active":
            protected, result = self._every_active(state, evidence, platform)
        else:
            protected, result = self._any(state, evidence, platform, knobs)
        if result is not None:
            return result
        return self._services(ctx, state, protected=protected, evidence=evidence,
                              platform=platform, knobs=knobs)

    def _every_active(self, state: FirewallState, evidence: dict[str, object],
                      platform: Platform) -> tuple[tuple[Profile, ...], Result | None]:
        if not state.profiles:
            return (), self.error(
                N_("Could not read the Windows Firewall settings"),
                fix=[N_("Make sure the \"Windows Defender Firewall\" service is running (Start > "
                        "type services.msc > Windows Defender Firewall > Start), then check "
                        "again."), *TURN_ON[platform]],
                evidence=evidence)
        guarding = state.guarding
        off = [p for p in guarding if not p.enabled]
        if off:
            return (), self.fail(
                N_("Windows Firewall is off for the network in use: {profiles}"),
                fix=TURN_ON[platform], evidence=evidence, profiles=_names(off))
        if state.unreadable or not guarding:
            return (), self.error(
                N_("Could not read the Windows Firewall settings of every network in use "
                   "({sources})"),
                fix=[N_("Check again; if it happens again, save the diagnostic file and send "
                        "it to the Hello Work staff."),
                     *TURN_ON[platform]],
                evidence=evidence,
                sources=tuple(s for s, _ in state.unreadable) or ("windows firewall",))
        return guarding, None

    def _any(self, state: FirewallState, evidence: dict[str, object], platform: Platform,
             knobs: Mapping[str, Any]) -> tuple[tuple[Profile, ...], Result | None]:
        on = [p for p in state.profiles if p.enabled and p.verified]
        if on:
            return tuple(on), None
        from_config = [p for p in state.profiles if p.enabled and not p.verified]
        if from_config and knobs["trust_configuration_without_admin"]:
            evidence["verified"] = False
            return tuple(from_config), None
        needs_admin = [source for source, why in state.unreadable if why == "needs_admin"]
        if needs_admin:
            return (), self.error(
                N_("Could not tell whether a firewall is on: reading {sources} needs "
                   "administrator rights"),
                fix=[N_("Start precheck as the administrator (on Linux: \"sudo precheck\") "
                        "and check again."),
                     *TURN_ON[platform]],
                evidence=evidence, sources=tuple(needs_admin))
        if state.unreadable:
            return (), self.error(
                N_("Could not read the firewall settings ({sources})"),
                fix=[N_("Check again; if it happens again, save the diagnostic file and send "
                        "it to the Hello Work staff."),
                     *TURN_ON[platform]],
                evidence=evidence, sources=tuple(s for s, _ in state.unreadable))
        return (), self.fail(N_("No firewall is on"), fix=TURN_ON[platform], evidence=evidence)

    def _services(self, ctx: Context, state: FirewallState, *, protected: tuple[Profile, ...],
                  evidence: dict[str, object], platform: Platform,
                  knobs: Mapping[str, Any]) -> Result:
        names = _names(protected)
        if state.rule == "every_active":
            open_inbound = any(p.blocks_inbound is False for p in protected)
        else:
            open_inbound = all(p.blocks_inbound is False for p in protected)
        if open_inbound and knobs["warn_listening_when_inbound_allowed"]:
            listeners = firewall.listening(ctx.system)
            if listeners:
                ports = _ports(listeners)
                evidence["listening_ports"] = list(ports)
                return self.warn(
                    N_("The firewall is on ({firewalls}) but lets in any incoming connection, "
                       "and programs accept connections from the network on ports {ports}"),
                    fix=[BLOCK_INBOUND[platform],
                         N_("Quit programs you do not need that accept connections (file "
                            "sharing, remote access, game or media servers).")],
                    evidence=evidence, firewalls=names, ports=ports)
            if listeners is None:
                evidence["listening_ports"] = None
        off_elsewhere = [p for p in state.profiles if not p.enabled and p not in protected]
        if off_elsewhere and knobs["warn_inactive_profiles_off"]:
            return self.warn(
                N_("The firewall is on for the network in use, but off for {profiles}: it will "
                   "be off if this computer joins such a network"),
                fix=TURN_ON[platform], evidence=evidence, profiles=_names(off_elsewhere))
        if not any(p.verified for p in protected):  # trusted from configuration (see _any)
            return self.passed(
                N_("The firewall is on ({firewalls}), as its settings say; its live rules can "
                   "only be listed with administrator rights"), evidence=evidence,
                firewalls=names)
        return self.passed(N_("The firewall is on ({firewalls})"), evidence=evidence,
                           firewalls=names)


def _names(profiles: list[Profile] | tuple[Profile, ...]) -> tuple[object, ...]:
    return tuple(Message.of(PROFILE_NAMES[p.name]) if p.name in PROFILE_NAMES else p.name
                 for p in profiles)


def _ports(listeners: tuple[Listener, ...]) -> tuple[int, ...]:
    return tuple(sorted({x.port for x in listeners}))[:20]

"""Linux: ufw, firewalld, nftables and iptables, each read on its own.

Linux has no single source of truth, and the usual shortcuts fail:

* ``systemctl is-active ufw`` says "active" even when ufw is disabled (its start script always
  exits 0), so ufw is judged by ``ufw status verbose`` and, without root, by ``ENABLED=`` in
  ``/etc/ufw/ufw.conf`` plus ``DEFAULT_INPUT_POLICY`` in ``/etc/default/ufw``;
* ``ufw status`` is translated ("Status: Aktiv" in German): it runs with ``LC_ALL=C``, and the
  parser accepts only the exact English words, so a translated answer is "unknown", never "off";
* a ruleset holding only Docker or Tailscale chains is not a firewall: nftables and iptables count
  only when the chain on the ``input`` hook drops or rejects what no rule accepted;
* listing nftables or iptables rules needs root: that is recorded as "needs administrator
  rights", never read as "no firewall".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from precheck.errors import ProbeError
from precheck.probes._linux import parse_os_release
from precheck.probes.firewall import FirewallState, Profile, Unreadable

if TYPE_CHECKING:
    from precheck.system import System

C_LOCALE = {"LC_ALL": "C"}
DENIED = re.compile(r"need to be root|must be root|permission denied|operation not permitted",
                    re.IGNORECASE)


# -- ufw -----------------------------------------------------------------------------------------

def parse_ufw_status(text: str) -> tuple[bool | None, bool | None]:
    """(active, blocks incoming by default) from ``LC_ALL=C ufw status verbose``.

    Only the untranslated words count: anything else is (None, None), "could not tell".
    """
    status = re.search(r"^Status: (active|inactive)\s*$", text, re.MULTILINE)
    active = None if status is None else status.group(1) == "active"
    default = re.search(r"^Default: (\w+) \(incoming\)", text, re.MULTILINE)
    blocks = None if default is None else default.group(1) in ("deny", "reject")
    return active, blocks


def _ufw(system: System) -> tuple[Profile | None, Unreadable | None]:
    conf = system.read_text("/etc/ufw/ufw.conf")
    if conf is None:
        return None, None  # ufw is not installed
    try:
        done = system.command(["ufw", "status", "verbose"], env=C_LOCALE)
    except ProbeError as exc:
        if exc.kind != "denied":
            raise
        done = None
    if done is not None:
        active, blocks = parse_ufw_status(done.stdout)
        if active is not None:
            return Profile("ufw", enabled=active, active=True,
                           blocks_inbound=blocks if active else None), None
    # Not root (or ufw did not say): fall back to the configuration ufw starts from. Both files
    # are shell-style KEY=value lines, the syntax of os-release(5).
    enabled = parse_os_release(conf).get("ENABLED", "no").lower() == "yes"
    defaults = system.read_text("/etc/default/ufw") or ""
    policy = parse_os_release(defaults).get("DEFAULT_INPUT_POLICY", "DROP").upper()
    profile = Profile("ufw", enabled=enabled, active=True,
                      blocks_inbound=policy in ("DROP", "REJECT") if enabled else None,
                      verified=False)
    return profile, "needs_admin" if enabled else None


# -- firewalld -----------------------------------------------------------------------------------

def _firewalld(system: System) -> Profile | None:
    try:
        state = system.command(["firewall-cmd", "--state"], env=C_LOCALE)
    except ProbeError as exc:
        if exc.kind == "not_found":
            return None
        raise
    if state.stdout.strip() != "running":
        return Profile("firewalld", enabled=False, active=True, blocks_inbound=None)
    zone = system.command(["firewall-cmd", "--get-default-zone"], env=C_LOCALE).stdout.strip()
    # Every predefined zone rejects unsolicited incoming traffic except "trusted" (accepts all).
    return Profile("firewalld", enabled=True, active=True, blocks_inbound=zone != "trusted")


# -- nftables ------------------------------------------------------------------------------------

CHAIN = re.compile(r"^\s*chain\s+\S+\s*\{", re.MULTILINE)
TABLE = re.compile(r"^\s*table\s+(\w+)\s+\S+\s*\{", re.MULTILINE)


def parse_nft_ruleset(text: str) -> bool:
    """Does an IP ``input``-hook filter chain drop what it did not accept?

    True: yes; False: there is none (or every one accepts by default and ends accepting; an
    empty ruleset has none).
    """
    blocking = False
    for family, body in _nft_chains(text):
        if family not in ("ip", "ip6", "inet"):
            continue  # bridge and arp hooks do not filter IP traffic to this machine
        if not re.search(r"type\s+filter\s+hook\s+input\b", body):
            continue
        if re.search(r"\bpolicy\s+(drop|reject)\s*;", body):
            blocking = True
            continue
        statements = [s.strip() for s in body.splitlines() if s.strip()]
        last = statements[-1] if statements else ""
        if re.search(r"(^|\s)(drop|reject)(\s|$)", last) and not re.search(
                r"\b(saddr|daddr|dport|sport|iif|iifname|ct state)\b", last):
            blocking = True
    return blocking


def _nft_chains(text: str) -> list[tuple[str, str]]:
    """(table family, chain body) for every chain, braces matched (sets inside rules too)."""
    chains: list[tuple[str, str]] = []
    family = ""
    position = 0
    while True:
        chain = CHAIN.search(text, position)
        if chain is None:
            return chains
        for table in TABLE.finditer(text, 0, chain.start()):
            family = table.group(1)
        depth, index = 1, chain.end()
        while index < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[index], 0)
            index += 1
        chains.append((family, text[chain.end():index - 1]))
        position = index


# -- iptables ------------------------------------------------------------------------------------

def parse_iptables_input(text: str) -> bool:
    """Does ``iptables -S INPUT`` drop or reject by default (policy, or a final catch-all)?"""
    lines = [line.split() for line in text.splitlines() if line.strip()]
    for words in lines:
        if words[:2] == ["-P", "INPUT"] and len(words) > 2 and words[2] in ("DROP", "REJECT"):
            return True
    rules = [w for w in lines if w[:2] == ["-A", "INPUT"]]
    if rules:
        last = rules[-1]
        # A catch-all: only "-j DROP/REJECT" and its options, no match on address or port.
        return len(last) >= 4 and last[2] == "-j" and last[3] in ("DROP", "REJECT")
    return False


# -- nftables and iptables: listing the rules needs root ----------------------------------------

def _ruleset(system: System, name: str, argv: list[str],
             blocking: Callable[[str], bool]) -> tuple[Profile | None, Unreadable | None]:
    """nftables or iptables: its listing judged by ``blocking``; listing needs root."""
    try:
        done = system.command(argv, env=C_LOCALE)
    except ProbeError as exc:
        if exc.kind == "not_found":
            return None, None
        if exc.kind == "denied":
            return None, "needs_admin"
        raise
    if not done.ok:
        return None, "needs_admin" if DENIED.search(done.stderr + done.stdout) else "error"
    blocks = blocking(done.stdout)
    return Profile(name, enabled=blocks, active=True, blocks_inbound=blocks), None


def firewall(system: System) -> FirewallState:
    profiles: list[Profile] = []
    unreadable: list[tuple[str, Unreadable]] = []
    sources = (
        ("ufw", _ufw(system)),
        ("nftables", _ruleset(system, "nftables", ["nft", "list", "ruleset"], parse_nft_ruleset)),
        ("iptables", _ruleset(system, "iptables", ["iptables", "-S", "INPUT"],
                              parse_iptables_input)),
    )
    for name, (profile, why) in sources:
        if profile is not None:
            profiles.append(profile)
        if why is not None:
            unreadable.append((name, why))
    firewalld = _firewalld(system)
    if firewalld is not None:
        profiles.append(firewalld)
    return FirewallState(rule="any", profiles=tuple(profiles), unreadable=tuple(unreadable))

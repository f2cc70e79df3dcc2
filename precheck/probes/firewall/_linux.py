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
import shlex
from typing import TYPE_CHECKING

from precheck.errors import ProbeError
from precheck.probes.firewall import FirewallState, Profile, Unreadable

if TYPE_CHECKING:
    from precheck.system import System

C_LOCALE = {"LC_ALL": "C"}
DENIED = re.compile(r"need to be root|must be root|permission denied|operation not permitted",
                    re.IGNORECASE)


# -- ufw -----------------------------------------------------------------------------------------

def parse_shell_assignments(text: str) -> dict[str, str]:
    """KEY=value lines of a shell-style configuration file (ufw.conf, /etc/default/ufw)."""
    values: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        try:
            words = shlex.split(value, comments=True)
        except ValueError:
            words = [value.strip("\"'")]
        values[key.strip()] = words[0] if words else ""
    return values


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
    # Not root (or ufw did not say): fall back to the configuration ufw starts from.
    enabled = parse_shell_assignments(conf).get("ENABLED", "no").lower() == "yes"
    defaults = system.read_text("/etc/default/ufw") or ""
    policy = parse_shell_assignments(defaults).get("DEFAULT_INPUT_POLICY", "DROP").upper()
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


def parse_nft_ruleset(text: str) -> bool | None:
    """Does an IP ``input``-hook filter chain drop what it did not accept?

    True: yes; False: there is none (or every one accepts by default and ends accepting);
    None: the text holds no ruleset at all (empty output means no rules: False).
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


def _nftables(system: System) -> tuple[Profile | None, Unreadable | None]:
    try:
        done = system.command(["nft", "list", "ruleset"], env=C_LOCALE)
    except ProbeError as exc:
        if exc.kind == "not_found":
            return None, None
        if exc.kind == "denied":
            return None, "needs_admin"
        raise
    if not done.ok:
        return None, "needs_admin" if DENIED.search(done.stderr) else "error"
    blocking = bool(parse_nft_ruleset(done.stdout))
    return Profile("nftables", enabled=blocking, active=True, blocks_inbound=blocking), None


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


def _iptables(system: System) -> tuple[Profile | None, Unreadable | None]:
    try:
        done = system.command(["iptables", "-S", "INPUT"], env=C_LOCALE)
    except ProbeError as exc:
        if exc.kind == "not_found":
            return None, None
        if exc.kind == "denied":
            return None, "needs_admin"
        raise
    if not done.ok:
        return None, "needs_admin" if DENIED.search(done.stderr + done.stdout) else "error"
    blocking = parse_iptables_input(done.stdout)
    return Profile("iptables", enabled=blocking, active=True, blocks_inbound=blocking), None


def firewall(system: System) -> FirewallState:
    profiles: list[Profile] = []
    unreadable: list[tuple[str, Unreadable]] = []
    for name, read in (("ufw", _ufw), ("nftables", _nftables), ("iptables", _iptables)):
        profile, why = read(system)
        if profile is not None:
            profiles.append(profile)
        if why is not None:
            unreadable.append((name, why))
    firewalld = _firewalld(system)
    if firewalld is not None:
        profiles.append(firewalld)
    return FirewallState(rule="any", profiles=tuple(profiles), unreadable=tuple(unreadable))

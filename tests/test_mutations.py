"""Unknown never passes: no mutation of a real answer that does not pass makes it pass.

Every fixture answer of the project (the bundles of tests/fixtures/bundles, and each loose fixture
of tests/fixtures/{windows,macos,linux} put into the bundle slot its probe fills) is cut off at
each line, cut inside a line, stripped of each line, reordered by blocks, given in the other
language precheck reads and in a language it does not read, and emptied; structured answers (WMI
instances, registry values) lose each instance and each property and get German values. The
checks of the bundle judge each mutated answer, and:

* no mutation raises (a crash is a defect; a ProbeError is the check's "could not tell");
* when the unmutated answer does not pass, no mutation of it passes, unless the mutation removed
  the very thing the verdict named (dropping the line that lists a file-sharing program makes a
  real answer of a machine without it; the verdict's own words must appear in the removed text).

Long answers are sampled deterministically (first and last lines, then evenly spread), so the
whole test stays well under a minute on the project's CI machine.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from precheck import bundle as bundles
from precheck import plugins
from precheck import policy as policies
from precheck.api import Context
from precheck.errors import ProbeError
from precheck.result import Result, Status
from precheck.system import JSON, Platform, Record, ReplayBackend, System
from tests.mutations import Mutation, command_mutations, json_mutations

FIXTURES = Path(__file__).resolve().parent / "fixtures"
BUNDLES = FIXTURES / "bundles"
#: Probe answers a parser reads (the others are measurements or the clock).
PARSED = ("cmd:", "file:", "wmi:", "reg:", "reg-subkeys:", "apps:")
#: Mutations of a command after which nothing is left to read: when the command decides the
#: verdict, a passing answer must not pass either.
UNREADABLE = ("no output at all", "failed with no output", "stdout empty")
#: Mutations that leave a well-formed answer of another machine (one line or item less).
DROPPED = re.compile(r"\b(line|item) \d+ dropped$")
#: Answers with no closing line: cut after a whole item, they are another machine's answer.
NO_TRAILER = {"cmd:softwareupdate -l"}
#: (check, probe) pairs where the answer only explains the verdict: the verdict is measured.
EXPLAINS_ONLY = {
    ("network.connectivity", "cmd:scutil --proxy"): "the proxy settings say which route the "
    "measured connection took (evidence 'proxy': 'unreadable'); the connection itself is tested",
}


@dataclass(frozen=True, slots=True)
class Slot:
    """Where a loose fixture goes: the bundle and probe it stands for, and how it is stored."""

    bundle: str
    probe: str
    form: str  # "stdout": a command's output; "json": a structured answer; "text": a file


NETSH = "cmd:netsh wlan show interfaces"
DPKG = "cmd:LC_ALL=C dpkg-query -W '-f=${db:Status-Abbrev}\\t${Package}\\t${Version}\\n'"
SLOTS: dict[str, Slot] = {
    "windows/network/netsh-": Slot("network-windows11-ja-home", NETSH, "stdout"),
    "windows/firewall/firewall-profiles-": Slot(
        "firewall-windows11-ja", "wmi:root/StandardCimv2:MSFT_NetFirewallProfile", "json"),
    "windows/firewall/connection-profile-": Slot(
        "firewall-windows11-ja", "wmi:root/StandardCimv2:MSFT_NetConnectionProfile", "json"),
    "windows/firewall/firewall-product-": Slot(
        "firewall-windows11-ja", "wmi:root/SecurityCenter2:FirewallProduct", "json"),
    "windows/antivirus/securitycenter-": Slot(
        "antivirus-windows11-ja", "wmi:root/SecurityCenter2:AntiVirusProduct", "json"),
    "windows/os/currentversion-": Slot(
        "os-support-windows11-23h2", "reg:HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion",
        "json"),
    "windows/patches/qfe-": Slot(
        "os-patches-windows11-home", "wmi:root/cimv2:Win32_QuickFixEngineering", "json"),
    "windows/software/uninstall-hklm": Slot(
        "windows-p2p",
        "reg-subkeys:HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall", "json"),
    "windows/browser/uninstall-hklm-": Slot(
        "browser-windows11-ja-current",
        "reg-subkeys:HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall", "json"),
    "windows/browser/uninstall-hklm32-": Slot(
        "browser-windows11-ja-current",
        "reg-subkeys:HKLM\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall",
        "json"),
    "windows/software/uninstall-hkcu": Slot(
        "windows-p2p",
        "reg-subkeys:HKCU\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall", "json"),
    "macos/firewall/socketfilterfw-": Slot(
        "firewall-macos15",
        "cmd:/usr/libexec/ApplicationFirewall/socketfilterfw --getglobalstate", "stdout"),
    "macos/network/profiler-": Slot(
        "network-macos15-hidden-pac", "cmd:system_profiler SPAirPortDataType -json", "stdout"),
    "macos/network/networksetup-": Slot(
        "network-macos15-hidden-pac", "cmd:networksetup -listallhardwareports", "stdout"),
    "macos/network/scutil-": Slot("network-macos15-hidden-pac", "cmd:scutil --proxy", "stdout"),
    "macos/os/sw_vers-": Slot("os-support-macos15", "cmd:sw_vers", "stdout"),
    "macos/patches/softwareupdate-": Slot("os-patches-macos26", "cmd:softwareupdate -l",
                                          "stdout"),
    "macos/antivirus/xprotect-info": Slot(
        "antivirus-macos15",
        "file:/var/protected/xprotect/XProtect.bundle/Contents/Info.plist", "text"),
    "macos/software/applications": Slot("macos-clean", "apps:/Applications", "json"),
    "linux/firewall/nft-": Slot("firewall-linux-debian12-nonroot", "cmd:LC_ALL=C nft list ruleset",
                                "stdout"),
    "linux/firewall/iptables-": Slot("firewall-linux-debian12-nonroot",
                                     "cmd:LC_ALL=C iptables -S INPUT", "stdout"),
    "linux/os/os-release-": Slot("os-support-linux-debian12", "file:/etc/os-release", "text"),
    "linux/patches/apt-get-": Slot("os-patches-linux-debian12",
                                   "cmd:LC_ALL=C apt-get -s dist-upgrade", "stdout"),
    "linux/software/debian12-dpkg-": Slot("linux-transmission", DPKG, "stdout"),
    "linux/browser/ubuntu": Slot("browser-linux-ubuntu-snap128", "cmd:LC_ALL=C snap list",
                                 "stdout"),
}
#: Loose fixtures no bundle slot takes, and why they are covered elsewhere.
UNSLOTTED = {
    "linux/browser/debian12-apt-cache-policy.txt": "apt-cache policy is not a probe (a test "
    "helper's reference for the Debian package versions)",
    "linux/software/debian12-apt-cache-search.txt": "reference list of package names for the "
    "policy's P2P table, not a probe answer",
    "linux/devices/": "measurements (frames, audio levels), not text a parser reads",
    "windows/devices/": "registry answers already inside devices-windows11-camera-denied",
    "windows/antivirus/mpcomputerstatus-": "text form of the Defender instance mutated in "
    "antivirus-windows-server2022 and the threats bundles",
    "windows/threats/": "text forms of the WMI instances mutated in the threats-windows bundles",
    "windows/recording/": "process lists: dropping a process makes a real answer",
    "windows/running/": "process lists (HiJackThis logs) read into names by a test helper: "
    "dropping a process makes a real answer; their bundle forms are mutated",
    "linux/running/": "a process list (volatility pslist) read into names by a test helper",
    "macos/running/": "a process list (ps) read into names by a test helper",
    "windows/antivirus/hijackthis-": "process lists showing which product runs, read into "
    "names by a test helper (the Security Center answers are slotted)",
    "linux/firewall/ufw-": "ufw status needs root: the probe reads /etc/ufw/ufw.conf instead "
    "(unit tests cover the localised texts)",
    "linux/firewall/iptables-nonroot": "a refusal (stderr) already in the bundle",
    "linux/firewall/nft-nonroot": "a refusal (stderr) already in the bundle",
    "linux/network/": "nmcli and iw answers: no Linux Wi-Fi bundle yet; unit tests cover them",
    "linux/patches/dnf-": "no Fedora bundle yet; unit tests cover it",
}


def _loose_fixtures() -> list[Path]:
    return sorted(p for p in FIXTURES.rglob("*")
                  if p.is_file() and "bundles" not in p.parts and not p.name.startswith("SOURCES")
                  and p.name != "README.md")


def _slot(path: Path) -> Slot | None:
    rel = path.relative_to(FIXTURES).as_posix()
    return next((slot for prefix, slot in SLOTS.items() if rel.startswith(prefix)), None)


def test_every_loose_fixture_has_a_slot_or_a_reason() -> None:
    missing = []
    for path in _loose_fixtures():
        rel = path.relative_to(FIXTURES).as_posix()
        if _slot(path) is None and not any(rel.startswith(p) for p in UNSLOTTED):
            missing.append(rel)
    assert not missing, f"add these fixtures to SLOTS or UNSLOTTED: {missing}"


@dataclass(frozen=True, slots=True)
class Case:
    """One set of answers to mutate: a bundle, or a bundle with a loose fixture in a slot."""

    name: str
    platform: Platform
    checks: tuple[str, ...]
    records: dict[str, Record]
    probes: tuple[str, ...]  # the answers to mutate


def _bundle(name: str) -> bundles.Bundle:
    return bundles.read(BUNDLES / name)


def _cases() -> Iterator[Case]:
    for folder in sorted(p for p in BUNDLES.iterdir() if p.is_dir()):
        read = _bundle(folder.name)
        probes = tuple(n for n, r in read.records.items()
                       if n.startswith(PARSED) and r.error_kind is None and r.value is not None)
        yield Case(folder.name, read.platform, read.checks, dict(read.records), probes)
    for path in _loose_fixtures():
        slot = _slot(path)
        if slot is None:
            continue
        read = _bundle(slot.bundle)
        text = path.read_text("utf-8")
        value: JSON
        if slot.form == "stdout":
            value = {"returncode": 0, "stdout": text, "stderr": ""}
            if "nonroot" in path.name or path.name.endswith(".stderr.txt"):
                value = {"returncode": 1, "stdout": "", "stderr": text}
        elif slot.form == "json":
            value = json.loads(text)
        else:
            value = text
        records = dict(read.records)
        records[slot.probe] = Record(slot.probe, value=value)
        yield Case(path.relative_to(FIXTURES).as_posix(), read.platform, read.checks, records,
                   (slot.probe,))


CASES = list(_cases())
CATALOG = plugins.load()
POLICY = policies.builtin()


def _judge(case: Case, records: dict[str, Record]) -> dict[str, Result]:
    """Each of the case's checks run straight on the answers (no threads, no time limit); a
    ProbeError is the check's "could not tell", as the runner makes it."""
    ctx = Context(System(ReplayBackend(case.platform, records)), POLICY)
    results: dict[str, Result] = {}
    for check in CATALOG.checks:
        if check.id not in case.checks:
            continue
        try:
            results[check.id] = check().run(ctx)
        except ProbeError as exc:
            results[check.id] = check().error("probe error {probe}", probe=exc.probe)
    return results


def _named(result: Result) -> set[str]:
    """The words a verdict names (products, versions, ports), folded: a mutation that removed
    one of them removed the thing judged."""
    words: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, str):
            words.update(w.casefold() for w in value.replace("-", " ").split() if len(w) >= 4)
            if len(value) >= 3:
                words.add(value.casefold())
        elif isinstance(value, list | tuple | set):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif hasattr(value, "args"):
            walk(dict(value.args))
        elif isinstance(value, int) and not isinstance(value, bool):
            words.add(str(value))

    walk(dict(result.summary.args))
    return words


def _mutations(value: JSON) -> Iterator[Mutation]:
    if isinstance(value, dict) and {"returncode", "stdout"} <= value.keys():
        yield from command_mutations(value)
    else:
        yield from json_mutations(value)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_no_mutation_of_an_answer_that_does_not_pass_makes_it_pass(case: Case) -> None:
    base = _judge(case, case.records)
    failures: list[str] = []
    for probe in case.probes:
        # The checks this answer decides: without it, their verdict changes.
        without = _judge(case, {n: r for n, r in case.records.items() if n != probe})
        decided = {c for c, r in without.items()
                   if (r.status, r.summary.msgid) != (base[c].status, base[c].summary.msgid)}
        for mutation in _mutations(case.records[probe].value):
            records = {**case.records, probe: Record(probe, value=mutation.value)}
            try:
                judged = _judge(case, records)
            except Exception as exc:  # noqa: BLE001 - every crash is reported with its mutation
                failures.append(f"{probe}: {mutation.what}: raised {type(exc).__name__}: {exc}")
                continue
            for check_id, result in judged.items():
                before = base[check_id]
                if result.status is not Status.PASS:
                    continue
                if before.status is Status.PASS:
                    if check_id in decided and probe.startswith("cmd:") \
                            and (check_id, probe) not in EXPLAINS_ONLY \
                            and mutation.what.endswith(UNREADABLE):
                        failures.append(f"{probe}: {mutation.what}: {check_id} still passes "
                                        f"({result.summary.msgid})")
                    continue
                removed = mutation.removed.casefold()
                whole = DROPPED.search(mutation.what) or (
                    probe in NO_TRAILER and mutation.what.startswith("stdout truncated"))
                if whole and removed \
                        and any(word in removed for word in _named(before)):
                    continue  # one line or item less, the one the verdict named: a real answer
                failures.append(f"{probe}: {mutation.what}: {check_id} {before.status} -> pass "
                                f"({result.summary.msgid})")
    assert not failures, "\n".join(failures[:40])

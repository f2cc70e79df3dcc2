"""Linux: security updates not yet installed (apt or dnf) and a pending restart.

* apt (Debian, Ubuntu, Linux Mint): ``LC_ALL=C apt-get -s dist-upgrade`` simulates the upgrade
  without root. Each ``Inst NAME [OLD] (NEW ORIGIN, ORIGIN [ARCH])`` line is an update; it is a
  security update when one of its origins is a ``*-security`` suite
  (``Debian-Security:12/oldstable-security``, ``Ubuntu:24.04/noble-security``,
  ``UbuntuESM:jammy-infra-security``). The simulation uses the package lists of the last
  ``apt update`` (which needs root), so their age is read too (the newest file in
  ``/var/lib/apt/lists``): old lists understate what is pending. The answer counts only when
  its ``N upgraded, M newly installed`` line is there and matches the ``Inst`` and ``Conf`` lines.
* dnf (Fedora, RHEL, Rocky, AlmaLinux): ``LC_ALL=C dnf -q updateinfo list --security``; each
  advisory line (``FEDORA-2021-83fdddca0f Moderate/Sec.  curl-7.76.1-7.fc34.x86_64``, dnf5:
  a ``security`` type column) names a package with a pending security fix.
* apt, first and faster: the installed versions (``/var/lib/dpkg/status``) against the
  ``*-security`` suites' package lists, without running apt-get (``_aptlists``); the simulation
  answers only when those cannot tell.
* restart: ``/var/run/reboot-required`` (written by Debian and Ubuntu packages that need one,
  with update-notifier-common or needrestart installed); on dnf systems ``needs-restarting -r``
  (exit status 1: a restart is needed).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from precheck.errors import ProbeError
from precheck.probes.patches import PatchState
from precheck.system import JSON

if TYPE_CHECKING:
    from precheck.system import System

C_LOCALE = {"LC_ALL": "C"}
APT = ["apt-get", "-s", "dist-upgrade"]
DNF = ["dnf", "-q", "updateinfo", "list", "--security"]
NEEDS_RESTARTING = ["needs-restarting", "-r"]
APT_LISTS = "/var/lib/apt/lists"
LISTS_PROBE = f"mtime:{APT_LISTS}"
_INST = re.compile(r"^Inst (\S+)(?: \[[^\]]*\])? \((\S+) (.*?)(?: \[[^\]]*\])?\)")
_ADVISORY = re.compile(r"^\S+\s+\S+/Sec\.\s+(\S+)")  # dnf4: ID Severity/Sec. PACKAGE
_ADVISORY5 = re.compile(r"^\S+\s+security\s+\S+\s+(\S+)")  # dnf5: ID security SEVERITY PACKAGE


def parse_apt_simulation(text: str) -> tuple[tuple[str, ...], int]:
    """(packages with a security update, number of other updates) from ``apt-get -s``."""
    security: list[str] = []
    other = 0
    for line in text.splitlines():
        match = _INST.match(line)
        if match is None:
            continue
        origins = [o.strip() for o in match.group(3).split(",")]
        if any(o.rpartition("/")[2].endswith("-security") for o in origins):
            security.append(match.group(1))
        else:
            other += 1
    return tuple(security), other


def parse_dnf_security(text: str) -> tuple[str, ...]:
    """Packages named by security advisories in ``dnf updateinfo list --security``."""
    found: list[str] = []
    for line in text.splitlines():
        match = _ADVISORY.match(line.strip()) or _ADVISORY5.match(line.strip())
        if match and match.group(1) not in found:
            found.append(match.group(1))
    return tuple(found)


def _lists_mtime() -> JSON:
    folder = Path(APT_LISTS)
    try:
        stamps = [p.stat().st_mtime for p in folder.iterdir()
                  if p.name.endswith(("Release", "InRelease"))]
    except FileNotFoundError as exc:
        raise ProbeError(LISTS_PROBE, "missing", f"{APT_LISTS} does not exist") from exc
    if not stamps:
        raise ProbeError(LISTS_PROBE, "missing", "apt has never downloaded package lists")
    return datetime.fromtimestamp(max(stamps), UTC).isoformat()


_APT_SUMMARY = re.compile(r"^(\d+) upgraded, (\d+) newly installed", re.MULTILINE)


def apt_complete(text: str) -> bool:
    """Whether ``apt-get -s`` answered in full: its ``N upgraded, M newly installed, ...`` line
    is there, and as many ``Inst`` lines and ``Conf`` lines follow it as it counts. A cut-off or
    partly read answer would understate what is pending, so it is "could not tell"."""
    summary = _APT_SUMMARY.search(text)
    if summary is None:
        return False
    expected = int(summary.group(1)) + int(summary.group(2))
    lines = text[summary.end():].splitlines()
    installs = sum(1 for line in lines if _INST.match(line))
    configured = sum(1 for line in lines if line.startswith("Conf "))
    return installs == expected and configured == expected


def _apt(system: System, stdout: str) -> PatchState:
    if not apt_complete(stdout):
        return PatchState(source="apt", unreadable=(("apt", "error"),))
    security, other = parse_apt_simulation(stdout)
    try:
        stamp = datetime.fromisoformat(str(system.probe(LISTS_PROBE, _lists_mtime)))
        age: int | None = max(0, (system.now() - stamp).days)
    except ProbeError:
        age = None
    reboot = system.read_text("/var/run/reboot-required") is not None
    return PatchState(source="apt", pending_security=security, pending_other=other,
                      reboot_required=reboot, lists_age_days=age)


#: Lines of a dnf answer that are neither an advisory nor a sign of one: metadata notes, headers.
_DNF_NOISE = re.compile(r"^(Last metadata expiration check|Updating and loading repositories|"
                        r"Repositories loaded|Name\s+Type\s+Severity)", re.IGNORECASE)


def dnf_understood(text: str) -> bool:
    """Whether every line of a dnf answer is an advisory, a known note or blank: an answer that
    lists nothing precheck recognises is "could not tell", never "no security update"."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return all(_ADVISORY.match(line) or _ADVISORY5.match(line) or _DNF_NOISE.match(line)
               for line in lines)


def _dnf(system: System, stdout: str) -> PatchState:
    if not parse_dnf_security(stdout) and not dnf_understood(stdout):
        return PatchState(source="dnf", unreadable=(("dnf", "error"),))
    reboot: bool | None
    try:
        restart = system.command(NEEDS_RESTARTING, env=C_LOCALE)
        reboot = {0: False, 1: True}.get(restart.returncode)
    except ProbeError:
        reboot = None
    if system.read_text("/var/run/reboot-required") is not None:
        reboot = True
    return PatchState(source="dnf", pending_security=parse_dnf_security(stdout),
                      reboot_required=reboot)


#: (source, command, time-out in seconds, what its output says): the first one installed answers.
MANAGERS: tuple[tuple[str, list[str], float, Callable[[System, str], PatchState]], ...] = (
    ("apt", APT, 60.0, _apt),
    ("dnf", DNF, 90.0, _dnf),
)


def _apt_lists(system: System) -> PatchState | None:
    """The pending security updates from apt's own files (see ``_aptlists``), or None when they
    cannot tell (no dpkg, no security suite's list, a bundle recorded without them)."""
    from precheck.probes.patches import _aptlists

    try:
        raw = system.probe(_aptlists.PROBE, _aptlists.read_pending_security)
    except ProbeError:
        return None
    names = raw.get("pending_security") if isinstance(raw, dict) else None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        return None
    state = _apt(system, "")
    return PatchState(source="apt-lists", pending_security=tuple(names), pending_other=None,
                      reboot_required=state.reboot_required, lists_age_days=state.lists_age_days)


def patches(system: System) -> PatchState:
    fast = _apt_lists(system)
    if fast is not None:
        return fast
    for source, argv, timeout, judge in MANAGERS:
        try:
            done = system.command(argv, env=C_LOCALE, timeout=timeout)
        except ProbeError as exc:
            if exc.kind == "not_found":
                continue
            return PatchState(source=source, unreadable=((source, "error"),))
        if not done.ok:
            return PatchState(source=source, unreadable=((source, "error"),))
        return judge(system, done.stdout)
    return PatchState(unreadable=(("package manager", "error"),))

"""Installed and running software: the inventory shared by the file-sharing, recording and
browser checks.

The inventory stays on the machine (and in a diagnostic bundle only when the user sends one):
checks match it against the policy's signatures and report the matched product only, never the
list. Each OS module reads the sources its platform has:

* Windows: the uninstall registry keys (HKLM 64- and 32-bit views, HKCU), executables in Program
  Files, AppData, the Desktop and Downloads, and Start-menu shortcuts (portable and per-user
  programs leave traces there without an uninstall key);
* macOS: application bundles in /Applications and ~/Applications (name, CFBundleIdentifier,
  version);
* Linux: dpkg, rpm, flatpak and snap package lists (``LC_ALL=C``).

Running programs come from psutil (process names only: no command lines, no paths, no users).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from precheck.errors import ProbeError
from precheck.probes import platform_module
from precheck.system import JSON

if TYPE_CHECKING:
    from precheck.system import System

PROCESS_NAMES = "psutil:process_names"


@dataclass(frozen=True, slots=True)
class Program:
    """One installed program as its source names it."""

    name: str  # DisplayName, file or bundle name, package name
    version: str | None
    source: str  # "uninstall", "file", "shortcut", "app", "dpkg", "rpm", "flatpak", "snap"
    ident: str | None = None  # CFBundleIdentifier or flatpak application id
    publisher: str | None = None


@dataclass(frozen=True, slots=True)
class Inventory:
    """What is installed, and which sources could not be read (probe names)."""

    programs: tuple[Program, ...]
    read: tuple[str, ...]  # sources that answered
    unreadable: tuple[str, ...]  # sources that exist but could not be read


def installed(system: System) -> Inventory:
    """The programs installed on this machine, from every source its platform has."""
    inventory: Inventory = platform_module(__name__, system).installed(system)
    return inventory


def _read_process_names() -> JSON:
    import psutil

    names: set[str] = set()
    for process in psutil.process_iter(["name"]):
        name = process.info.get("name")
        if name:
            names.add(str(name))
    return sorted(names)


def process_names(system: System) -> tuple[str, ...]:
    """The names of the programs running now (each name once, sorted)."""
    raw = system.probe(PROCESS_NAMES, _read_process_names)
    if not isinstance(raw, list) or not all(isinstance(n, str) for n in raw):
        raise ProbeError(PROCESS_NAMES, "malformed", "the process list is not a list of names")
    return tuple(raw)


# -- matching against policy signatures ----------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Signature:
    """How one product shows itself (a policy entry). Every field matches exactly, ignoring case,
    except ``programs``: regular expressions that must match a whole uninstall DisplayName,
    Start-menu shortcut name or macOS bundle name (without ``.app``). ``processes`` are the
    program's executable names: they match running processes and, on Windows, executables found
    in the program folders."""

    name: str
    processes: frozenset[str] = frozenset()
    programs: tuple[re.Pattern[str], ...] = ()
    bundle_ids: frozenset[str] = frozenset()
    packages: frozenset[str] = frozenset()

    @classmethod
    def from_policy(cls, entry: Mapping[str, Any]) -> Signature:
        def lower(key: str) -> frozenset[str]:
            return frozenset(str(v).casefold() for v in entry.get(key, ()))

        return cls(
            name=str(entry["name"]),
            processes=lower("processes"),
            programs=tuple(re.compile(str(p), re.IGNORECASE) for p in entry.get("programs", ())),
            bundle_ids=lower("bundle_ids"),
            packages=lower("packages"),
        )

    def matches_program(self, program: Program) -> bool:
        if program.source == "file":
            return program.name.casefold() in self.processes
        if program.source in ("dpkg", "rpm", "snap"):
            return program.name.casefold() in self.packages
        if program.ident and program.ident.casefold() in self.bundle_ids:
            return True
        if program.source in ("uninstall", "shortcut", "app"):
            name = program.name.removesuffix(".app") if program.source == "app" else program.name
            return any(p.fullmatch(name.strip()) for p in self.programs)
        return False

    def matches_process(self, name: str) -> bool:
        return name.casefold() in self.processes


def signatures(entries: Iterable[Mapping[str, Any]]) -> tuple[Signature, ...]:
    return tuple(Signature.from_policy(e) for e in entries)


def installed_matches(inventory: Inventory, products: Sequence[Signature]
                      ) -> dict[str, list[Program]]:
    """Product name -> the installed programs that match its signature."""
    found: dict[str, list[Program]] = {}
    for signature in products:
        hits = [p for p in inventory.programs if signature.matches_program(p)]
        if hits:
            found[signature.name] = hits
    return found


def running_matches(names: Iterable[str], products: Sequence[Signature]) -> list[str]:
    """The products of which a process is running now."""
    running = list(names)
    return [s.name for s in products if any(s.matches_process(n) for n in running)]

"""Linux: installed packages from dpkg, rpm, flatpak and snap (whichever this system has).

Every command runs with ``LC_ALL=C`` and prints machine-oriented columns, so the output does not
depend on the user's language. A package manager that is not installed is simply absent; one that
is installed but fails makes the inventory incomplete, and the checks say so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from precheck.errors import ProbeError, ProbeMissing
from precheck.probes.software import Inventory, Program
from precheck.system import command_name

if TYPE_CHECKING:
    from precheck.system import System

C = {"LC_ALL": "C"}
DPKG = ["dpkg-query", "-W", "-f=${db:Status-Abbrev}\\t${Package}\\t${Version}\\n"]
RPM = ["rpm", "-qa", "--qf", "%{NAME}\\t%{VERSION}-%{RELEASE}\\n"]
FLATPAK = ["flatpak", "list", "--app", "--columns=application,version"]
SNAP = ["snap", "list"]


def parse_dpkg(text: str) -> list[Program]:
    """``dpkg-query -W -f='${db:Status-Abbrev}\\t${Package}\\t${Version}\\n'``: installed
    packages only (status ``ii``; ``rc`` means removed with its configuration left)."""
    programs: list[Program] = []
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) < 3 or not parts[0].startswith("ii"):
            continue
        programs.append(Program(parts[1].split(":")[0], parts[2] or None, "dpkg"))
    return programs


def parse_rpm(text: str) -> list[Program]:
    programs: list[Program] = []
    for line in text.splitlines():
        name, sep, version = line.partition("\t")
        if sep and name:
            programs.append(Program(name, version or None, "rpm"))
    return programs


def parse_flatpak(text: str) -> list[Program]:
    """``flatpak list --app --columns=application,version``: tab-separated, no header when the
    output is not a terminal."""
    programs: list[Program] = []
    for line in text.splitlines():
        parts = line.split("\t")
        app = parts[0].strip()
        if not app or app == "Application ID" or "." not in app:
            continue
        version = parts[1].strip() if len(parts) > 1 else ""
        programs.append(Program(app, version or None, "flatpak", ident=app))
    return programs


def parse_snap(text: str) -> list[Program]:
    """``snap list``: a header line ``Name Version Rev Tracking Publisher Notes`` and columns."""
    programs: list[Program] = []
    lines = text.splitlines()
    if not lines or not lines[0].startswith("Name"):
        return programs
    for line in lines[1:]:
        parts = line.split()
        if len(parts) >= 2:
            programs.append(Program(parts[0], parts[1], "snap"))
    return programs


def installed(system: System) -> Inventory:
    programs: list[Program] = []
    read: list[str] = []
    unreadable: list[str] = []
    for argv, parse in ((DPKG, parse_dpkg), (RPM, parse_rpm), (FLATPAK, parse_flatpak),
                        (SNAP, parse_snap)):
        name = command_name(argv, C)
        try:
            done = system.command(argv, env=C, timeout=30.0, encoding="utf-8")
        except ProbeMissing:
            raise
        except ProbeError as exc:
            if exc.kind != "not_found":
                unreadable.append(name)
            continue
        if not done.ok:
            unreadable.append(name)
            continue
        found = parse(done.stdout)
        if not found and (parse in (parse_dpkg, parse_rpm) or done.stdout.strip()):
            # dpkg and rpm always list the system's own packages, and flatpak or snap printing
            # something no line of which reads as an application was not understood: never
            # "nothing installed".
            unreadable.append(name)
            continue
        read.append(name)
        programs.extend(found)
    return Inventory(tuple(programs), tuple(read), tuple(unreadable))

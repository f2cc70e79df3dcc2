"""Windows: installed programs from the uninstall registry keys and from file-system traces.

``Programs and Features`` lists what has a key under one of the uninstall keys below (per machine
in the 64- and 32-bit registry views, and per user). osquery's ``programs`` table missed per-user
(HKCU) entries when run as SYSTEM (osquery#2732) and sees nothing without an uninstall key
(osquery#3043); precheck runs as the user, reads HKCU too, and also looks for the executables of
known products in the folders where per-user and unzipped ("portable") programs live, and for
their Start-menu shortcuts.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from precheck.errors import ProbeError, ProbeMissing
from precheck.probes.software import Inventory, Program
from precheck.system import JSON

if TYPE_CHECKING:
    from precheck.system import System

UNINSTALL = r"SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall"
UNINSTALL_KEYS = (
    ("HKLM", UNINSTALL),
    ("HKLM", r"SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall"),
    ("HKCU", UNINSTALL),
)
#: Folders whose executables (top level and one folder down) are looked at: where installers put
#: programs, where per-user programs go (uTorrent installs into %APPDATA%\uTorrent), and where
#: people unzip portable ones.
EXE_FOLDERS = (
    "%ProgramFiles%",
    "%ProgramFiles(x86)%",
    "%LOCALAPPDATA%\\Programs",
    "%APPDATA%",
    "%USERPROFILE%\\Desktop",
    "%USERPROFILE%\\Downloads",
)
SHORTCUT_FOLDERS = (
    "%ProgramData%\\Microsoft\\Windows\\Start Menu\\Programs",
    "%APPDATA%\\Microsoft\\Windows\\Start Menu\\Programs",
)
#: Values kept from each uninstall entry (the rest, e.g. install paths, stays out of bundles).
KEPT_VALUES = ("DisplayName", "DisplayVersion", "Publisher", "SystemComponent",
               "ParentKeyName", "WindowsInstaller")


def subkeys_probe_name(root: str, key: str) -> str:
    return f"reg-subkeys:{root}\\{key}"


def read_subkeys(system: System, root: str, key: str) -> dict[str, dict[str, JSON]] | None:
    """Each subkey of a registry key with its values, or None when the key does not exist."""
    name = subkeys_probe_name(root, key)
    raw = system.probe(name, lambda: _read_subkeys(name, root, key))
    if raw is not None and not (isinstance(raw, dict)
                                and all(isinstance(v, dict) for v in raw.values())):
        raise ProbeError(name, "malformed", "the recorded answer is not a mapping of subkeys")
    return raw


def parse_uninstall(entries: dict[str, dict[str, JSON]]) -> list[Program]:
    """Programs from an uninstall key's subkeys, as Programs and Features shows them: entries
    without a DisplayName, system components and updates of another entry are left out."""
    programs: list[Program] = []
    for values in entries.values():
        name = values.get("DisplayName")
        if not isinstance(name, str) or not name.strip():
            continue
        if values.get("SystemComponent") == 1 or values.get("ParentKeyName"):
            continue
        version = values.get("DisplayVersion")
        publisher = values.get("Publisher")
        programs.append(Program(
            name=name.strip(),
            version=str(version) if version not in (None, "") else None,
            source="uninstall",
            publisher=str(publisher) if publisher else None,
        ))
    return programs


def parse_files(listing: dict[str, list[str]], suffix: str, source: str) -> list[Program]:
    """Programs from a folder listing ``{subfolder or "": [file names]}``: each file with the
    suffix (``.exe`` executables, ``.lnk`` shortcuts; the shortcut's name without ``.lnk``)."""
    programs: list[Program] = []
    for files in listing.values():
        for file in files:
            if file.casefold().endswith(suffix):
                name = file[: -len(suffix)] if source == "shortcut" else file
                programs.append(Program(name=name, version=None, source=source))
    return programs


def _folder(system: System, kind: str, folder: str, suffix: str) -> dict[str, list[str]] | None:
    name = f"{kind}:{folder}"
    raw = system.probe(name, lambda: scan_folder(name, folder, suffix))
    if raw is not None and not isinstance(raw, dict):
        raise ProbeError(name, "malformed", "the recorded answer is not a folder listing")
    return raw


def installed(system: System) -> Inventory:
    programs: list[Program] = []
    read: list[str] = []
    unreadable: list[str] = []
    for root, key in UNINSTALL_KEYS:
        try:
            entries = read_subkeys(system, root, key)
        except ProbeMissing:
            raise
        except ProbeError:
            unreadable.append(subkeys_probe_name(root, key))
            continue
        read.append(subkeys_probe_name(root, key))
        programs.extend(parse_uninstall(entries or {}))
    for kind, folders, suffix, source in (("dir-exe", EXE_FOLDERS, ".exe", "file"),
                                          ("dir-lnk", SHORTCUT_FOLDERS, ".lnk", "shortcut")):
        for folder in folders:
            try:
                listing = _folder(system, kind, folder, suffix)
            except ProbeMissing:
                raise
            except ProbeError:
                unreadable.append(f"{kind}:{folder}")
                continue
            read.append(f"{kind}:{folder}")
            programs.extend(parse_files(listing or {}, suffix, source))
    return Inventory(tuple(programs), tuple(read), tuple(unreadable))


# -- live producers --------------------------------------------------------------------------------

def scan_folder(name: str, folder: str, suffix: str) -> JSON:
    """``{"": [files at the top], "Sub": [files one folder down]}`` keeping names that end with
    ``suffix``; None when the folder does not exist. Works on any OS (tests use it on Linux)."""
    path = os.path.expandvars(folder)
    if "%" in path or not Path(path).is_dir():
        return None
    found: dict[str, list[str]] = {}
    try:
        with os.scandir(path) as top:
            for entry in top:
                if entry.is_file() and entry.name.casefold().endswith(suffix):
                    found.setdefault("", []).append(entry.name)
                elif entry.is_dir(follow_symlinks=False):
                    inner = _files_in(entry.path, suffix)
                    if inner:
                        found[entry.name] = inner
    except PermissionError as exc:
        raise ProbeError(name, "denied", f"not allowed to list {folder}") from exc
    except OSError as exc:
        raise ProbeError(name, "os_error", f"could not list {folder}: {exc.strerror}") from exc
    return {k: sorted(v) for k, v in sorted(found.items())}


def _files_in(path: str, suffix: str) -> list[str]:
    try:
        with os.scandir(path) as inner:
            return [e.name for e in inner
                    if e.name.casefold().endswith(suffix) and e.is_file()]
    except OSError:  # one unreadable subfolder does not hide the others
        return []


if sys.platform == "win32":
    import winreg

    from precheck._windows import KEY_ACCESS, key_values, open_key

    def _read_subkeys(name: str, root: str, key: str) -> JSON:
        handle = open_key(name, root, key)
        if handle is None:
            return None
        result: dict[str, JSON] = {}
        with handle:
            index = 0
            while True:
                try:
                    sub = winreg.EnumKey(handle, index)
                except OSError:
                    break
                index += 1
                try:
                    with winreg.OpenKey(handle, sub, 0, KEY_ACCESS) as child:
                        result[sub] = key_values(child, KEPT_VALUES)
                except OSError:
                    continue  # a key removed meanwhile, or one we may not read
        return result

else:

    def _read_subkeys(name: str, root: str, key: str) -> JSON:
        raise ProbeError(name, "not_found", "the Windows registry exists only on Windows")

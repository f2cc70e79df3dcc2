"""macOS: application bundles in /Applications and ~/Applications.

Each bundle's ``Contents/Info.plist`` gives its identifier (``CFBundleIdentifier``, which a
renamed bundle keeps) and version (``CFBundleShortVersionString``). Folders that are not bundles
(``/Applications/Utilities``, a vendor's folder) are looked into one level down.
"""

from __future__ import annotations

import plistlib
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from precheck.errors import ProbeError, ProbeMissing
from precheck.probes.software import Inventory, Program
from precheck.system import JSON

if TYPE_CHECKING:
    from precheck.system import System

APP_FOLDERS = ("/Applications", "~/Applications")


def parse_apps(entries: list[dict[str, JSON]]) -> list[Program]:
    programs: list[Program] = []
    for entry in entries:
        bundle = entry.get("bundle")
        if not isinstance(bundle, str):
            continue
        ident, version = entry.get("id"), entry.get("version")
        programs.append(Program(
            name=bundle,
            version=str(version) if version else None,
            source="app",
            ident=str(ident) if ident else None,
        ))
    return programs


def installed(system: System) -> Inventory:
    programs: list[Program] = []
    read: list[str] = []
    unreadable: list[str] = []
    for folder in APP_FOLDERS:
        name = f"apps:{folder}"
        try:
            raw = system.probe(name, partial(scan_apps, name, folder))
            if raw is not None and not isinstance(raw, list):
                raise ProbeError(name, "malformed", "the recorded answer is not a list of apps")
        except ProbeMissing:
            raise
        except ProbeError:
            unreadable.append(name)
            continue
        read.append(name)
        programs.extend(parse_apps(raw or []))
    return Inventory(tuple(programs), tuple(read), tuple(unreadable))


# -- live producer (plain file reads: runs on any OS) ----------------------------------------------

def scan_apps(name: str, folder: str) -> JSON:
    """``[{"bundle", "id", "version"}]`` for each ``.app`` in the folder (and one level down in
    folders that are not bundles); None when the folder does not exist."""
    path = Path(folder).expanduser()
    if not path.is_dir():
        return None
    apps: list[JSON] = []
    try:
        for entry in sorted(path.iterdir()):
            if entry.name.endswith(".app"):
                apps.append(_bundle(entry))
            elif entry.is_dir() and not entry.name.startswith("."):
                apps.extend(_bundle(inner) for inner in _inner_apps(entry))
    except PermissionError as exc:
        raise ProbeError(name, "denied", f"not allowed to list {folder}") from exc
    except OSError as exc:
        raise ProbeError(name, "os_error", f"could not list {folder}: {exc.strerror}") from exc
    return apps


def _inner_apps(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if p.name.endswith(".app"))
    except OSError:  # one unreadable folder does not hide the others
        return []


def _bundle(path: Path) -> JSON:
    info: dict[str, object] = {}
    try:
        with (path / "Contents" / "Info.plist").open("rb") as handle:
            loaded = plistlib.load(handle)
        if isinstance(loaded, dict):
            info = loaded
    except (OSError, plistlib.InvalidFileException, ValueError):
        pass  # a bundle without a readable Info.plist still counts by its name
    ident = info.get("CFBundleIdentifier")
    version = info.get("CFBundleShortVersionString") or info.get("CFBundleVersion")
    return {"bundle": path.name, "id": str(ident) if ident else None,
            "version": str(version) if version else None}

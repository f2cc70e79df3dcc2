"""The plugin's probe: free space on the disk the system runs from.

One named, recordable probe (``diskspace:usage <path>``) with a plain JSON answer, and a pure
parser into a frozen dataclass. The path depends on the platform the answers come from (the
system's, never the one the replay runs on).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass

from precheck.api import JSON, Platform, ProbeError, System

#: The disk each platform runs from (Windows: the system drive).
SYSTEM_DISK = {Platform.WINDOWS: "C:\\", Platform.MACOS: "/", Platform.LINUX: "/"}


@dataclass(frozen=True, slots=True)
class DiskUsage:
    """Sizes of one disk, in bytes."""

    path: str
    total: int
    free: int


def probe_name(path: str) -> str:
    return f"diskspace:usage {path}"


def disk_usage(system: System) -> DiskUsage:
    """The system disk's size and free space; ProbeError when the disk cannot be read."""
    path = SYSTEM_DISK[system.platform]
    name = probe_name(path)
    return parse_usage(name, path, system.probe(name, lambda: _measure(name, path)))


def _measure(name: str, path: str) -> JSON:
    try:
        usage = shutil.disk_usage(path)
    except OSError as exc:
        raise ProbeError(name, "os_error", f"could not read {path}: {exc.strerror}") from exc
    return {"total": usage.total, "free": usage.free}


def parse_usage(name: str, path: str, raw: JSON) -> DiskUsage:
    """The recorded answer as a :class:`DiskUsage`; a malformed answer is a ProbeError."""
    if not isinstance(raw, dict):
        raise ProbeError(name, "malformed", "the recorded answer is not a mapping of sizes")
    total, free = raw.get("total"), raw.get("free")
    if not isinstance(total, int) or not isinstance(free, int) or not 0 <= free <= total:
        raise ProbeError(name, "malformed", "the recorded sizes are not 0 <= free <= total")
    return DiskUsage(path, total, free)

"""Linux: facts from /etc/os-release and friends."""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

from precheck.errors import ProbeError
from precheck.probes import OsInfo, machine_arch
from precheck.system import Platform

if TYPE_CHECKING:
    from precheck.system import System


def parse_os_release(text: str) -> dict[str, str]:
    """Parse os-release(5): KEY=value lines, values optionally shell-quoted."""
    fields: dict[str, str] = {}
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        try:
            words = shlex.split(value)
        except ValueError:
            words = [value.strip("\"'")]
        fields[key.strip()] = words[0] if words else ""
    return fields


def os_info(system: System) -> OsInfo:
    text = system.read_text("/etc/os-release")
    if text is None:
        text = system.read_text("/usr/lib/os-release")
    if text is None:
        raise ProbeError("file:/etc/os-release", "missing", "this Linux has no os-release file")
    fields = parse_os_release(text)
    return OsInfo(
        family=Platform.LINUX,
        id=fields.get("ID", "linux"),
        name=fields.get("NAME", "Linux"),
        version=fields.get("VERSION_ID", ""),
        build=fields.get("BUILD_ID"),
        arch=machine_arch(system),
    )


def machine_id(system: System) -> str | None:
    for path in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        text = system.read_text(path)
        if text and text.strip():
            return text.strip()
    return None

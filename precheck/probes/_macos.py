"""macOS: facts from sw_vers and the I/O Registry."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from precheck.errors import ProbeError
from precheck.probes import OsInfo, machine_arch
from precheck.system import Platform

if TYPE_CHECKING:
    from precheck.system import System


def parse_sw_vers(text: str) -> dict[str, str]:
    """``sw_vers`` prints ``ProductName:\\tmacOS`` lines (labels are not localised)."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip()] = value.strip()
    return fields


def os_info(system: System) -> OsInfo:
    done = system.command(["sw_vers"])
    fields = parse_sw_vers(done.stdout)
    if not done.ok or "ProductVersion" not in fields:
        raise ProbeError("cmd:sw_vers", "malformed", "sw_vers printed no ProductVersion")
    return OsInfo(
        family=Platform.MACOS,
        id="macos",
        name=fields.get("ProductName", "macOS"),
        version=fields["ProductVersion"],
        build=fields.get("BuildVersion"),
        arch=machine_arch(system),
    )


_UUID = re.compile(r'"IOPlatformUUID"\s*=\s*"([0-9A-Fa-f-]+)"')


def machine_id(system: System) -> str | None:
    done = system.command(["ioreg", "-rd1", "-c", "IOPlatformExpertDevice"])
    found = _UUID.search(done.stdout)
    return found.group(1) if found else None

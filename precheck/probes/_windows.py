"""Windows: facts from the registry and WMI.

The parsers here run on any OS; the live readers behind ``System.registry_values`` and
``System.wmi`` are the core's (:mod:`precheck._windows`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from precheck.errors import ProbeError
from precheck.probes import OsInfo, machine_arch
from precheck.system import JSON, Platform

if TYPE_CHECKING:
    from precheck.system import System

CURRENT_VERSION = r"SOFTWARE\Microsoft\Windows NT\CurrentVersion"
#: Windows 11 kept "Windows 10" in ProductName; the build number tells them apart.
FIRST_WINDOWS_11_BUILD = 22000


def parse_current_version(values: dict[str, JSON]) -> OsInfo:
    """Name, release and build from HKLM\\...\\Windows NT\\CurrentVersion."""
    build = str(values.get("CurrentBuild") or values.get("CurrentBuildNumber") or "")
    product = str(values.get("ProductName") or "Windows")
    if build.isdigit() and int(build) >= FIRST_WINDOWS_11_BUILD:
        product = product.replace("Windows 10", "Windows 11")
    release = str(values.get("DisplayVersion") or values.get("ReleaseId") or "")
    ubr = values.get("UBR")
    full_build = f"{build}.{ubr}" if build and isinstance(ubr, int) else (build or None)
    edition = values.get("EditionID")
    return OsInfo(
        family=Platform.WINDOWS,
        id="windows",
        name=product,
        version=release,
        build=full_build,
        edition=str(edition) if edition else None,
    )


def os_info(system: System) -> OsInfo:
    values = system.registry_values("HKLM", CURRENT_VERSION)
    if not values:
        raise ProbeError(f"reg:HKLM\\{CURRENT_VERSION}", "missing", "no Windows version key")
    info = parse_current_version(values)
    return OsInfo(info.family, info.id, info.name, info.version, info.build, info.edition,
                  machine_arch(system))


def machine_id(system: System) -> str | None:
    values = system.registry_values("HKLM", r"SOFTWARE\Microsoft\Cryptography")
    guid = (values or {}).get("MachineGuid")
    return str(guid) if guid else None


def wmi_bool(value: JSON) -> bool | None:
    """A WMI boolean as recorded (a bool, "True"/"False" text, or 0/1); None when absent."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().casefold() in ("true", "false"):
        return value.strip().casefold() == "true"
    if isinstance(value, int):
        return value != 0
    return None


def wmi_int(value: JSON) -> int | None:
    """A WMI integer as recorded (a number or its text); None when absent or not a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None

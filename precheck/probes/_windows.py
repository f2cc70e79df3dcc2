"""Windows: facts from the registry and WMI.

The live producers (``read_registry``, ``query_wmi``) import winreg, wmi and pythoncom inside the
function, so this module imports, and its parsers run, on any OS.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

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


# -- live producers (Windows only) -------------------------------------------------------------

def _plain(value: Any) -> JSON:
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


if sys.platform == "win32":
    import winreg

    _HIVES = {"HKLM": winreg.HKEY_LOCAL_MACHINE, "HKCU": winreg.HKEY_CURRENT_USER}
    #: Read the 64-bit view, also from a 32-bit Python (WOW6432Node is then named explicitly).
    KEY_ACCESS = winreg.KEY_READ | winreg.KEY_WOW64_64KEY

    def open_key(name: str, root: str, key: str) -> winreg.HKEYType | None:
        """A registry key (``root`` is HKLM or HKCU) opened for reading; None when absent."""
        try:
            return winreg.OpenKey(_HIVES[root], key, 0, KEY_ACCESS)
        except FileNotFoundError:
            return None
        except PermissionError as exc:
            raise ProbeError(name, "denied", "not allowed to read this registry key") from exc

    def key_values(handle: winreg.HKEYType,
                   wanted: tuple[str, ...] | None = None) -> dict[str, JSON]:
        """The values of an open key, or only the ``wanted`` ones that exist."""
        values: dict[str, JSON] = {}
        if wanted is not None:
            for value_name in wanted:
                try:
                    data, _kind = winreg.QueryValueEx(handle, value_name)
                except OSError:
                    continue
                values[value_name] = _plain(data)
            return values
        index = 0
        while True:
            try:
                value_name, data, _kind = winreg.EnumValue(handle, index)
            except OSError:
                break
            values[value_name] = _plain(data)
            index += 1
        return values

    def read_registry(name: str, root: str, key: str) -> JSON:
        handle = open_key(name, root, key)
        if handle is None:
            return None
        with handle:
            return key_values(handle)

    def query_wmi(name: str, namespace: str, cls: str) -> JSON:
        import pythoncom  # type: ignore[import-untyped]  # pywin32 ships no type information
        import wmi

        pythoncom.CoInitialize()  # WMI needs COM set up in every thread that uses it
        try:
            try:
                connection = wmi.WMI(namespace=namespace)
                instances = getattr(connection, cls)()
            except wmi.x_wmi as exc:
                raise ProbeError(name, "wmi_error", f"WMI query failed: {exc}") from exc
            return [{prop: _plain(getattr(obj, prop)) for prop in obj.properties}
                    for obj in instances]
        finally:
            pythoncom.CoUninitialize()

else:

    def read_registry(name: str, root: str, key: str) -> JSON:
        raise ProbeError(name, "not_found", "the Windows registry exists only on Windows")

    def query_wmi(name: str, namespace: str, cls: str) -> JSON:
        raise ProbeError(name, "not_found", "WMI exists only on Windows")

"""Windows: the live readers of the registry and WMI behind ``System.registry_values`` and
``System.wmi``.

winreg exists only on Windows, and wmi and pythoncom are imported inside :func:`query_wmi`, so
this module imports on any OS; elsewhere each reader raises :class:`ProbeError` ("not_found").
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from precheck.errors import ProbeError

if TYPE_CHECKING:
    from precheck.system import JSON  # for the type checker only: the core imports this module


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

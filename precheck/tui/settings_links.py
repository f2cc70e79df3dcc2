"""The operating system's own page for a fix, opened with one key (O) from a check's details.

Windows has ``ms-settings:`` links to its Settings pages and ``windowsdefender:`` to Windows
Security; macOS ``x-apple.systempreferences:`` links to System Settings panes. Linux desktops
have no common scheme, so Linux gets none. Every link is opened through :func:`open_setting`,
the only place that starts another program; after it, the job seeker fixes the setting there and
presses R to check the item again.

Sources: Microsoft, "Launch the Windows Settings app" (ms-settings URI list: privacy-webcam,
privacy-microphone, privacy-location, windowsupdate, network-wifi); "windowsdefender:" opens
Windows Security; Apple's System Settings panes as ``x-apple.systempreferences:`` URLs
(com.apple.preference.security?Privacy_Camera, ?Privacy_Microphone, ?Firewall,
com.apple.Software-Update-Settings.extension).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

from precheck.system import Platform

#: (check id, platform) -> the settings page that fixes it.
LINKS: dict[tuple[str, Platform], str] = {
    ("device.camera", Platform.WINDOWS): "ms-settings:privacy-webcam",
    ("device.microphone", Platform.WINDOWS): "ms-settings:privacy-microphone",
    ("environment.noise", Platform.WINDOWS): "ms-settings:privacy-microphone",
    ("network.wifi", Platform.WINDOWS): "ms-settings:privacy-location",
    ("os.patches", Platform.WINDOWS): "ms-settings:windowsupdate",
    ("security.antivirus", Platform.WINDOWS): "windowsdefender:",
    ("security.threats", Platform.WINDOWS): "windowsdefender:",
    ("security.firewall", Platform.WINDOWS): "windowsdefender:",
    ("device.camera", Platform.MACOS):
        "x-apple.systempreferences:com.apple.preference.security?Privacy_Camera",
    ("device.microphone", Platform.MACOS):
        "x-apple.systempreferences:com.apple.preference.security?Privacy_Microphone",
    ("environment.noise", Platform.MACOS):
        "x-apple.systempreferences:com.apple.preference.security?Privacy_Microphone",
    ("security.firewall", Platform.MACOS):
        "x-apple.systempreferences:com.apple.preference.security?Firewall",
    ("os.patches", Platform.MACOS):
        "x-apple.systempreferences:com.apple.Software-Update-Settings.extension",
}


def link_for(check_id: str, platform: Platform) -> str | None:
    """The settings page for a check on a platform, or None."""
    return LINKS.get((check_id, platform))


def _launch(uri: str) -> None:
    if sys.platform == "win32":
        import os

        os.startfile(uri)  # type: ignore[attr-defined]  # noqa: S606 - a fixed ms-settings: link
    elif sys.platform == "darwin":
        subprocess.run(["/usr/bin/open", uri], check=False, timeout=10)
    else:
        msg = f"no settings link on this platform: {uri}"
        raise OSError(msg)


def open_setting(uri: str, launch: Callable[[str], None] | None = None) -> bool:
    """Open ``uri`` (one of :data:`LINKS`' values only); True when the OS took it."""
    if uri not in LINKS.values():
        return False
    try:
        (launch or _launch)(uri)
    except (OSError, subprocess.SubprocessError):
        return False
    return True

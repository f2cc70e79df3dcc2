"""macOS: XProtect, the signatures built into macOS.

Up to macOS 14 XProtect lives in ``/Library/Apple/System/Library/CoreServices/XProtect.bundle``
(since macOS 11; osquery#7137) and is updated by Software Update ("Install Security Responses and
system files"). macOS 15 Sequoia adds ``/var/protected/xprotect/XProtect.bundle``, updated over
iCloud rather than Software Update, and uses whichever is newer (macmegasite.com, "How XProtect
has changed in macOS Sequoia", 2024-09-25; osquery#8573 logs "Using meta-plist from:
/var/protected/xprotect/..."). Both are read; the newer one counts.

The version is ``CFBundleShortVersionString`` in the bundle's ``Contents/Info.plist`` (an XML
property list, e.g. ``5272``); the freshness is the bundle's modification time, as CIS-based
checks do (mondoohq/mql PR #7934). Both are readable without administrator rights where the
folder itself is; the newer location may be closed to ordinary users, which is then recorded as
unreadable, never as "no XProtect".
"""

from __future__ import annotations

import plistlib
from typing import TYPE_CHECKING
from xml.parsers.expat import ExpatError

from precheck.probes.antivirus import AntivirusState, signature_sets

if TYPE_CHECKING:
    from precheck.system import System

XPROTECT_BUNDLES = (
    "/Library/Apple/System/Library/CoreServices/XProtect.bundle",
    "/var/protected/xprotect/XProtect.bundle",
)


def parse_info_plist(text: str) -> str | None:
    """The bundle version from an Info.plist's text; None when it is not a property list."""
    try:
        info = plistlib.loads(text.encode("utf-8"))
    except (plistlib.InvalidFileException, ValueError, ExpatError, IndexError, KeyError,
            TypeError, AttributeError):
        return None  # cut off or not a property list: the version is unknown, never guessed
    if not isinstance(info, dict):
        return None
    version = info.get("CFBundleShortVersionString") or info.get("CFBundleVersion")
    return str(version) if version else None


def _version(system: System, bundle: str) -> str | None:
    text = system.read_text(f"{bundle}/Contents/Info.plist")
    return parse_info_plist(text) if text else None


def antivirus(system: System) -> AntivirusState:
    # Before macOS 15 the second bundle does not exist and is left out.
    return signature_sets(system, "XProtect", XPROTECT_BUNDLES, _version)

"""Antivirus facts: which antivirus protects this machine and how fresh its signatures are.

Each OS module turns its own sources into one :class:`AntivirusState`:

* Windows: the products registered in Security Center (``root/SecurityCenter2``
  ``AntiVirusProduct``, decoded and merged by name in :mod:`precheck.probes.security_center`) and
  Microsoft Defender's own status (``root/Microsoft/Windows/Defender`` ``MSFT_MpComputerStatus``:
  running mode, real-time protection, signature date). Windows Server has no Security Center, so
  there Defender's status is all there is. Both are WMI: numbers, booleans and fixed names in
  every display language, readable without administrator rights.
* macOS: XProtect, Apple's built-in signatures: the version in each XProtect bundle's
  ``Info.plist`` and the bundle's modification time, in the old place
  (``/Library/Apple/System/Library/CoreServices/XProtect.bundle``) and in macOS 15's
  (``/var/protected/xprotect/XProtect.bundle``, updated separately from the first).
* Linux: the ClamAV virus database (``daily.cld`` / ``daily.cvd`` in ``/var/lib/clamav``) and its
  modification time, which freshclam sets when it installs a new database.

Third-party products without a readable signature date are recognised by the check from the
shared software inventory (running processes), against the policy's product list.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from precheck.errors import ProbeError, ProbeMissing
from precheck.probes import platform_module
from precheck.system import JSON, read_path

if TYPE_CHECKING:
    from collections.abc import Callable

    from precheck.probes.security_center import RegisteredProduct
    from precheck.system import System

#: AMRunningMode values (MSFT_MpComputerStatus; Microsoft "Microsoft Defender Antivirus
#: compatibility with other security products", mondoohq/mql#10381). Only "Normal" protects.
NORMAL = "normal"


@dataclass(frozen=True, slots=True)
class Defender:
    """Microsoft Defender Antivirus's own status (MSFT_MpComputerStatus)."""

    running_mode: str | None  # "Normal", "Passive Mode", "SxS Passive Mode", "EDR Block Mode" ...
    service_enabled: bool | None  # AMServiceEnabled
    antivirus_enabled: bool | None  # AntivirusEnabled
    real_time: bool | None  # RealTimeProtectionEnabled
    signatures_updated: datetime | None  # AntivirusSignatureLastUpdated
    signature_age_days: int | None  # AntivirusSignatureAge, as Defender counts it
    signature_version: str | None = None

    @property
    def passive(self) -> bool:
        """Defender stands aside for another product (passive, side-by-side passive or EDR in
        block mode, which only remediates what endpoint detection finds)."""
        mode = (self.running_mode or "").strip().casefold()
        return bool(mode) and mode != NORMAL and "not running" not in mode

    @property
    def protecting(self) -> bool:
        """Defender is the active antivirus: normal mode (or a version that does not report a
        mode), service and antivirus enabled, real-time protection on."""
        mode = (self.running_mode or NORMAL).strip().casefold()
        return (mode == NORMAL and self.service_enabled is not False
                and self.antivirus_enabled is True and self.real_time is True)

    def age_days(self, now: datetime) -> int | None:
        """Whole days since the signatures were published to this machine."""
        if self.signatures_updated is not None:
            return max(0, (now - self.signatures_updated) // timedelta(days=1))
        return self.signature_age_days


@dataclass(frozen=True, slots=True)
class SignatureSet:
    """A signature database with a date: XProtect (macOS), the ClamAV database (Linux)."""

    name: str  # "XProtect", "ClamAV"
    path: str
    version: str | None
    updated: datetime | None

    def age_days(self, now: datetime) -> int | None:
        if self.updated is None:
            return None
        return max(0, (now - self.updated) // timedelta(days=1))


@dataclass(frozen=True, slots=True)
class AntivirusState:
    """What the antivirus sources of one machine said."""

    #: Windows: Security Center products, merged by name; None when Security Center is not
    #: there (Windows Server) or could not be read.
    registered: tuple[RegisteredProduct, ...] | None = None
    defender: Defender | None = None
    signatures: tuple[SignatureSet, ...] = ()
    unreadable: tuple[str, ...] = ()  # sources that exist but could not be read


def antivirus(system: System) -> AntivirusState:
    state: AntivirusState = platform_module(__name__, system).antivirus(system)
    return state


# -- file modification times: one probe per path, on every OS -------------------------------------

def mtime_probe_name(path: str) -> str:
    return f"mtime:{path}"


def _mtime(path: str) -> JSON:
    stamp = os.stat(path).st_mtime  # noqa: PTH116 - a plain stat, like the probe's name
    return datetime.fromtimestamp(stamp, UTC).isoformat()


def modified(system: System, path: str) -> datetime | None:
    """When a file or folder was last modified; None when it does not exist."""
    name = mtime_probe_name(path)
    raw = system.probe(name, lambda: read_path(name, path, _mtime))
    if raw is None:
        return None
    try:
        stamp = datetime.fromisoformat(str(raw))
    except ValueError as exc:
        raise ProbeError(name, "malformed", "the recorded answer is not a date") from exc
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def signature_sets(system: System, name: str, paths: tuple[str, ...],
                   version: Callable[[System, str], str | None] | None = None) -> AntivirusState:
    """The signature databases found at ``paths``, each dated by its modification time (and
    versioned by ``version(system, path)`` when given); a path that exists but cannot be read is
    recorded as unreadable, never as absent."""
    found: list[SignatureSet] = []
    unreadable: list[str] = []
    for path in paths:
        try:
            updated = modified(system, path)
            if updated is None:
                continue
            number = version(system, path) if version else None
        except ProbeMissing:
            raise
        except ProbeError:
            unreadable.append(path)
            continue
        found.append(SignatureSet(name, path, number, updated))
    return AntivirusState(signatures=tuple(found), unreadable=tuple(unreadable))

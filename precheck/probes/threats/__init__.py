"""Threat detections: what the antivirus found on this machine and whether it is dealt with.

Only Microsoft Defender keeps a list that a program without special rights may query: the WMI
classes ``MSFT_MpThreat`` (one instance per threat ever detected, with ``IsActive``) and
``MSFT_MpThreatDetection`` (one per detection, with its ``ThreatStatusID``) in
``root/Microsoft/Windows/Defender`` (:mod:`._windows`). macOS's XProtect and Linux's ClamAV keep
no detection state precheck can read: there the check reports that it cannot tell.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from precheck.system import Platform

if TYPE_CHECKING:
    from precheck.system import System


@dataclass(frozen=True, slots=True)
class Threat:
    """One threat Defender detected, with the state of its detections."""

    threat_id: int
    name: str  # Defender's threat name, e.g. "Trojan:Win64/Meterpreter.E"
    #: "active", "detected", "allowed", "remediation failed", "action needed" or "resolved"
    state: str
    severity: str | None = None
    #: what Defender still asks for (full scan, restart, manual steps, offline scan)
    actions: tuple[str, ...] = ()

    @property
    def unresolved(self) -> bool:
        return self.state in ("active", "detected", "allowed", "remediation failed")


@dataclass(frozen=True, slots=True)
class ThreatState:
    """What the platform's antivirus says about detections.

    ``threats`` is None when the threat list could not be read; ``problems`` maps each probe
    that failed to why: ``denied`` (needs administrator rights), ``unavailable`` (Defender is
    not running or not installed) or ``error``.
    """

    source: str | None  # "Microsoft Defender"; None where the platform keeps no such list
    threats: tuple[Threat, ...] | None
    detections_read: bool = False
    problems: tuple[tuple[str, str], ...] = ()

    @property
    def denied(self) -> bool:
        return any(kind == "denied" for _, kind in self.problems)


def threats(system: System) -> ThreatState:
    if system.platform is not Platform.WINDOWS:
        return ThreatState(source=None, threats=None)
    from precheck.probes.threats import _windows

    return _windows.threats(system)

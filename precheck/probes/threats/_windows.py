"""Windows: Microsoft Defender's threats (``MSFT_MpThreat``) and detections
(``MSFT_MpThreatDetection``), namespace ``root/Microsoft/Windows/Defender``.

What ``Get-MpThreat`` and ``Get-MpThreatDetection`` show, read over WMI: numbers, booleans and
Defender's threat names, the same in every display language (PowerShell's list labels are not
translated either; only its formatted dates follow the locale, and they are not used).

Values (Microsoft Learn, read 2026-11):

* ``ThreatStatusID`` = ``MPTHREAT_STATUS`` (learn.microsoft.com/windows/win32/lwef/mpthreat-status):
  0 unknown, 1 detected, 2 cleaned, 3 quarantined, 4 removed, 5 allowed, 6 blocked,
  102 clean failed, 103 quarantine failed, 104 remove failed, 105 allow failed, 106 abandoned,
  107 block failed. 2, 3, 4 and 6 are dealt with; 1, 5 and 100+ are not (5: the user chose to
  keep it).
* ``CurrentThreatExecutionStatusID`` = ``MPEXECUTION_STATUS`` (…/lwef/mpexecution-status):
  0 unknown, 1 blocked, 2 allowed, 3 executing, 4 not executing. It describes the moment of the
  detection, not now: a real detection shows 3 (executing) with status 4 (removed), so it is
  kept as evidence but never decides alone.
* ``AdditionalActionsBitMask`` (learn.microsoft.com/previous-versions/windows/desktop/defender/
  msft-mpthreatdetection): 4 full scan required, 8 restart required, 16 manual steps required,
  32768 offline scan required; Windows Security shows such a threat under "Actions needed".
* ``MSFT_MpThreat.IsActive``: Defender's own "current threat" flag. ``RollupStatus`` (1, 33, 65
  in real outputs with ``IsActive`` False) is undocumented and not used. ``SeverityID``:
  0 unknown, 1 low, 2 moderate, 4 high, 5 severe.

Some Defender classes refuse standard users ("Access denied", WBEM_E_ACCESS_DENIED 0x80041003,
E_ACCESSDENIED 0x80070005); when Defender's service is not running the provider answers
0x800106BA. The recorded probe error keeps WMI's message, which these codes are read from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from precheck.errors import ProbeError, ProbeMissing
from precheck.probes._windows import wmi_bool, wmi_int
from precheck.probes.threats import Threat, ThreatState
from precheck.system import JSON

if TYPE_CHECKING:
    from precheck.system import System

NAMESPACE = "root/Microsoft/Windows/Defender"
THREAT_CLASS = "MSFT_MpThreat"
DETECTION_CLASS = "MSFT_MpThreatDetection"
THREAT_PROBE = f"wmi:{NAMESPACE}:{THREAT_CLASS}"
DETECTION_PROBE = f"wmi:{NAMESPACE}:{DETECTION_CLASS}"

DETECTED, ALLOWED = 1, 5
RESOLVED = {2, 3, 4, 6}  # cleaned, quarantined, removed, blocked
FAILED = {102, 103, 104, 105, 106, 107}
ACTIONS = {4: "full scan", 8: "restart", 16: "manual steps", 32768: "offline scan"}
SEVERITY = {1: "low", 2: "moderate", 4: "high", 5: "severe"}

_DENIED = ("0x80041003", "-2147217405", "0x80070005", "-2147024891", "access denied",
           "access is denied")
_UNAVAILABLE = ("0x800106ba", "-2147416390", "invalid namespace", "0x8004100e",
                "-2147217394", "invalid class", "0x80041010", "-2147217392")


def classify(error: ProbeError) -> str:
    """Why a Defender query failed: ``denied``, ``unavailable`` or ``error``."""
    text = error.message.casefold()
    if error.kind == "denied" or any(code in text for code in _DENIED):
        return "denied"
    if error.kind == "not_found" or any(code in text for code in _UNAVAILABLE):
        return "unavailable"
    return "error"


def parse_threats(threats: list[dict[str, JSON]],
                  detections: list[dict[str, JSON]] | None) -> tuple[Threat, ...]:
    """Each threat with its state, from the two classes' instances (detections may be None
    when they could not be read: then ``IsActive`` alone decides)."""
    names: dict[int, tuple[str, bool | None, str | None]] = {}
    for item in threats:
        ident = wmi_int(item.get("ThreatID"))
        if ident is None:
            continue
        name = item.get("ThreatName")
        level = wmi_int(item.get("SeverityID"))
        names[ident] = (str(name).strip() if name else f"threat {ident}",
                        wmi_bool(item.get("IsActive")), SEVERITY.get(level or 0))
    statuses: dict[int, list[tuple[int | None, int]]] = {}
    for item in detections or ():
        ident = wmi_int(item.get("ThreatID"))
        if ident is None:
            continue
        mask = wmi_int(item.get("AdditionalActionsBitMask")) or 0
        statuses.setdefault(ident, []).append((wmi_int(item.get("ThreatStatusID")), mask))
        names.setdefault(ident, (f"threat {ident}", None, None))
    found: list[Threat] = []
    for ident, (name, active, severity) in sorted(names.items()):
        seen = statuses.get(ident, [])
        codes = {code for code, _ in seen}
        actions = tuple(label for bit, label in ACTIONS.items()
                        if any(mask & bit for _, mask in seen))
        if active:
            state = "active"
        elif codes & FAILED:
            state = "remediation failed"
        elif ALLOWED in codes:
            state = "allowed"
        elif DETECTED in codes:
            state = "detected"
        elif actions:
            state = "action needed"
        elif active is None and not (codes - {None}):
            state = "unknown"  # neither IsActive nor a detection status: never "resolved"
        else:
            state = "resolved"
        found.append(Threat(ident, name, state, severity, actions))
    return tuple(found)


def threats(system: System) -> ThreatState:
    problems: list[tuple[str, str]] = []
    raw_threats: list[dict[str, JSON]] | None = None
    raw_detections: list[dict[str, JSON]] | None = None
    for probe, cls in ((THREAT_PROBE, THREAT_CLASS), (DETECTION_PROBE, DETECTION_CLASS)):
        try:
            answer = system.wmi(NAMESPACE, cls)
        except ProbeMissing:
            raise
        except ProbeError as exc:
            problems.append((probe, classify(exc)))
            continue
        if cls == THREAT_CLASS:
            raw_threats = answer
        else:
            raw_detections = answer
    parsed = None if raw_threats is None else parse_threats(raw_threats, raw_detections)
    return ThreatState(source="Microsoft Defender", threats=parsed,
                       detections_read=raw_detections is not None, problems=tuple(problems))

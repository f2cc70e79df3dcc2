"""A check's evidence as a job seeker reads it, and the rest for the staff.

The report keeps evidence as the checks wrote it (keys such as ``duration_s``, JSON values such
as ``null``). The app shows the keys it can name in the job seeker's language, with values in
words (はい / いいえ / —, units spelt out); everything else (the raw keys, errors, probe names,
nested data) goes to a separate 職員向けの詳細 part, unchanged, for the Hello Work staff.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from precheck.result import N_

if TYPE_CHECKING:
    from precheck.tui.text import Words

#: Evidence keys a job seeker can read, and the unit of their value (if any).
LABELS: dict[str, tuple[str, str | None]] = {
    "cameras": (N_("Cameras found"), None),
    "width": (N_("Picture width"), N_("{value} pixels")),
    "height": (N_("Picture height"), N_("{value} pixels")),
    "fps": (N_("Frames per second"), None),
    "input": (N_("Microphone found"), None),
    "output": (N_("Speaker found"), None),
    "played": (N_("Test tone played"), None),
    "heard": (N_("You heard the tone"), None),
    "maximum_dbfs": (N_("Loudest sound"), N_("{value} dBFS")),
    "noise_floor_dbfs": (N_("Background noise"), N_("{value} dBFS")),
    "cpu_count": (N_("Processor cores"), None),
    "cpu_percent": (N_("Processor in use (all programs)"), N_("{value} %")),
    "precheck_cpu_percent": (N_("Processor in use by precheck itself"), N_("{value} %")),
    "memory_total_mb": (N_("Memory"), N_("{value} MB")),
    "memory_available_mb": (N_("Memory free"), N_("{value} MB")),
    "percent": (N_("Battery charge"), N_("{value} %")),
    "plugged": (N_("Charger connected"), None),
    "minutes_left": (N_("Battery time left"), N_("{value} minutes")),
    "medium": (N_("Connection"), None),
    "captive_portal": (N_("Login page of a public Wi-Fi"), None),
    "down": (N_("Download speed"), N_("{value} Mbit/s")),
    "up": (N_("Upload speed"), N_("{value} Mbit/s")),
    "rtt_ms": (N_("Round trip"), N_("{value} ms")),
    "jitter_ms": (N_("Jitter"), N_("{value} ms")),
    "loss_percent": (N_("Packet loss"), N_("{value} %")),
    "pending_security": (N_("Security updates not installed"), None),
    "pending_other": (N_("Other updates not installed"), None),
    "reboot_required": (N_("Restart needed"), None),
    "package_lists_age_days": (N_("Age of the update lists"), N_("{value} days")),
    "newest_update": (N_("Newest update installed on"), None),
    "days_since_update": (N_("Days since the newest update"), N_("{value} days")),
    "products": (N_("Programs found"), None),
    "running_products": (N_("Programs running"), None),
    "browsers": (N_("Browsers"), None),
    "threats": (N_("Threats"), None),
    "profiles": (N_("Networks without a firewall"), None),
    "declared": (N_("Confirmed by you"), None),
    "measured": (N_("Measured by precheck"), None),
    "os": (N_("Operating system"), None),
    "version": (N_("Version"), None),
    "end": (N_("Support ends on"), None),
    "duration_s": (N_("Time taken"), N_("{value} seconds")),
}
#: Values in words (the checks' own vocabulary).
WORDS = {
    "wired": N_("cable (wired)"), "wifi": N_("Wi-Fi"), "mobile": N_("mobile data"),
    "unknown": N_("unknown"),
}
YES = N_("yes")
NO = N_("no")
NONE = "—"  # nothing recorded: the same mark in every language
EVIDENCE = N_("What the check found")
STAFF = N_("Details for the staff")


@dataclass(frozen=True, slots=True)
class Shown:
    """The evidence split for the screen: (label, value) rows, and the raw rest for staff."""

    rows: tuple[tuple[str, str], ...]
    staff: tuple[tuple[str, str], ...]


def split(evidence: Mapping[str, Any], words: Words) -> Shown:
    rows: list[tuple[str, str]] = []
    staff: list[tuple[str, str]] = []
    for key, value in evidence.items():
        known = LABELS.get(key)
        said = None if known is None else _value(value, known[1], words)
        if known is None or said is None:
            staff.append((key, value if isinstance(value, str)
                          else json.dumps(value, ensure_ascii=False)))
        else:
            rows.append((words(known[0]), said))
    return Shown(tuple(rows), tuple(staff))


def _value(value: Any, unit: str | None, words: Words) -> str | None:
    """The value in words, or None when it is not plain enough for a job seeker."""
    if value is None:
        return NONE
    if isinstance(value, bool):
        return words(YES if value else NO)
    if isinstance(value, int | float):
        text = f"{value:g}" if isinstance(value, float) else str(value)
        return words(unit, value=text) if unit else text
    if isinstance(value, str):
        return words(WORDS[value]) if value in WORDS else value
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        if not value:
            return NONE
        return ("、" if words.language == "ja" else ", ").join(str(v) for v in value)
    return None  # nested data: for the staff

"""macOS: recommended updates not yet installed, from ``softwareupdate -l``.

Each pending item is a ``* Label: NAME`` line followed by a ``Title: ..., Recommended: YES|NO``
line; "No new software available." means none. The listing asks Apple's servers, so it can take
tens of seconds and fails without a network: that is "could not tell", never "up to date".
Security items (macOS updates, Background Security Improvements, Safari) are all marked
Recommended: YES; items marked NO (optional upgrades such as a new major version offered to a
managed Mac) are counted as "other".
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from precheck.errors import ProbeError
from precheck.probes.patches import PatchState

if TYPE_CHECKING:
    from precheck.system import System

ARGV = ["softwareupdate", "-l"]
_LABEL = re.compile(r"^\s*\*\s*Label:\s*(.+?)\s*$")
_RECOMMENDED = re.compile(r"Recommended:\s*(YES|NO)", re.IGNORECASE)
#: A new major version is an upgrade, offered but not required to stay patched.
_MAJOR_UPGRADE = re.compile(r"^macOS \d+-")


def parse_softwareupdate(text: str) -> tuple[tuple[str, ...], int] | None:
    """(recommended labels, other count), or None when the output says neither."""
    lines = text.splitlines()
    recommended: list[str] = []
    other = 0
    for index, line in enumerate(lines):
        match = _LABEL.match(line)
        if match is None:
            continue
        label = match.group(1)
        detail = lines[index + 1] if index + 1 < len(lines) else ""
        flag = _RECOMMENDED.search(detail)
        if _MAJOR_UPGRADE.match(label) or (flag is not None and flag.group(1).upper() == "NO"):
            other += 1
        else:
            recommended.append(label)
    if recommended or other:
        return tuple(recommended), other
    if "No new software available" in text:
        return (), 0
    return None


def patches(system: System) -> PatchState:
    try:
        done = system.command(ARGV, timeout=90.0)
    except ProbeError as exc:
        return PatchState(source="softwareupdate", unreadable=(
            ("softwareupdate", "needs_admin" if exc.kind == "denied" else "error"),))
    parsed = parse_softwareupdate(done.stdout + "\n" + done.stderr)
    if parsed is None:
        return PatchState(source="softwareupdate", unreadable=(("softwareupdate", "error"),))
    return PatchState(source="softwareupdate", pending_security=parsed[0],
                      pending_other=parsed[1])

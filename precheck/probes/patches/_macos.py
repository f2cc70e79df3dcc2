"""macOS: recommended updates not yet installed, from ``softwareupdate -l``.

Each pending item is a ``* Label: NAME`` line followed by a ``Title: ..., Recommended: YES|NO``
line (macOS 10.15 and later); macOS 10.14 and earlier print ``   * NAME`` followed by
``\tTitle (version), SIZE [recommended] [restart]`` (``-`` instead of ``*`` for an item not
recommended). "No new software available." means none. The listing asks Apple's servers, so it
can take tens of seconds and fails without a network: that is "could not tell", never "up to
date".
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
#: macOS 10.14 and earlier: ``   * NAME`` (``-`` for an item not recommended) and on the next
#: line ``\tTitle (version), 1633218K [recommended] [restart]``.
_OLD_ITEM = re.compile(r"^\s*([*-])\s+(?!Label:)(\S.*?)\s*$")
_OLD_RECOMMENDED = re.compile(r"\[recommended\]", re.IGNORECASE)
_OLD_DETAIL = re.compile(r"\([^)]*\),?\s*\d+K\b")
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
            old = _OLD_ITEM.match(line)
            if old is None:
                continue
            detail = lines[index + 1] if index + 1 < len(lines) else ""
            if detail.strip() and not _OLD_DETAIL.search(detail):
                return None  # an item line without the old format's detail: not understood
            if old.group(1) == "-" or (detail and not _OLD_RECOMMENDED.search(detail)):
                other += 1
            else:  # marked recommended, or its detail line is cut off: counted as needed
                recommended.append(old.group(2))
            continue
        label = match.group(1)
        detail = lines[index + 1] if index + 1 < len(lines) else ""
        flag = _RECOMMENDED.search(detail)
        if flag is None and detail.strip():
            return None  # a detail line without "Recommended:": cut off or not understood
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

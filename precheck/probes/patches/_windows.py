"""Windows: installed quality updates (WMI) and updates waiting for a restart (registry).

``Win32_QuickFixEngineering`` lists the updates installed by Component Based Servicing, which
includes the monthly cumulative (quality) updates. Its ``InstalledOn`` is a plain string and
has known flaws, each handled here:

* it is ``M/D/YYYY`` on English and on other display languages alike (``wmic qfe`` on a Chinese
  Windows 11 prints ``10/12/2023``), but some systems write ``D/M/YYYY``: the order is decided
  for the whole list (a first field above 12 means day first; a second field above 12 means
  month first) and, when every date fits both, the month-first default is used and recorded;
* ``YYYY/M/D`` and ``YYYY-MM-DD`` forms are read as such;
* older Windows wrote a 16-digit hexadecimal FILETIME;
* it is often empty: such rows count as installed but undated.

``Get-HotFix`` is not used: it formats the date in the user's culture. Updates installed
through MSI or the Store are not listed (Microsoft's class documentation); the cumulative
update is, and that is the one that matters here.

A restart is pending when ``...\\WindowsUpdate\\Auto Update\\RebootRequired`` or
``...\\Component Based Servicing\\RebootPending`` exists. Both are readable without
administrator rights on a default Windows; if one is not, that is recorded.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from precheck.errors import ProbeError
from precheck.probes.patches import PatchState, Unreadable
from precheck.system import JSON

if TYPE_CHECKING:
    from precheck.system import System

QFE = ("root/cimv2", "Win32_QuickFixEngineering")
REBOOT_KEYS = (
    r"SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired",
    r"SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending",
)
_NUMERIC = re.compile(r"^\s*(\d{1,4})[/.\-](\d{1,2})[/.\-](\d{1,4})")
_FILETIME = re.compile(r"^[0-9A-Fa-f]{16}$")
MONTH_FIRST, DAY_FIRST = "M/D/Y", "D/M/Y"
YEAR, MONTHS = 1000, 12  # a first field of four digits is a year; months stop at 12


def parse_installed_on(values: list[str]) -> tuple[list[date | None], str | None]:
    """Dates for each InstalledOn string (None when unreadable), and how the list was read."""
    triples: list[tuple[int, int, int] | None] = []
    for value in values:
        match = _NUMERIC.match(value or "")
        triples.append(None if match is None else (
            int(match.group(1)), int(match.group(2)), int(match.group(3))))
    short = [t for t in triples if t is not None and t[0] < YEAR]
    day_first = any(a > MONTHS for a, _, _ in short)
    month_first = any(b > MONTHS for _, b, _ in short)
    order = DAY_FIRST if day_first and not month_first else MONTH_FIRST
    dates: list[date | None] = []
    for value, triple in zip(values, triples, strict=True):
        if triple is None:
            dates.append(_filetime(value))
            continue
        a, b, c = triple
        if a >= YEAR:
            year, month, day = a, b, c
        elif a > MONTHS or (order == DAY_FIRST and b <= MONTHS):
            year, month, day = c, b, a
        else:
            year, month, day = c, a, b
        try:
            dates.append(date(year, month, day))
        except ValueError:
            dates.append(None)
    if not short:
        used = "Y/M/D" if any(t is not None for t in triples) else None
    elif day_first or month_first:
        used = order
    else:
        used = MONTH_FIRST + " (assumed: every date fits both orders)"
    return dates, used


def _filetime(value: str) -> date | None:
    text = (value or "").strip()
    if not _FILETIME.match(text):
        return None
    ticks = int(text, 16)
    try:
        moment = datetime(1601, 1, 1, tzinfo=UTC) + timedelta(microseconds=ticks // 10)
    except OverflowError:
        return None
    return moment.date()


def parse_qfe(instances: list[dict[str, JSON]], today: date) -> PatchState:
    """The newest installed update from the WMI rows; dates after ``today`` are ignored."""
    values = [str(i.get("InstalledOn") or "") for i in instances]
    dates, order = parse_installed_on(values)
    valid = [d for d in dates if d is not None and d <= today + timedelta(days=1)]
    return PatchState(
        source="Win32_QuickFixEngineering", newest_update=max(valid, default=None),
        updates_listed=len(instances), undated=len(instances) - len(valid), date_order=order)


def patches(system: System) -> PatchState:
    today = system.now().date()
    unreadable: list[tuple[str, Unreadable]] = []
    try:
        state = parse_qfe(system.wmi(*QFE), today)
    except ProbeError as exc:
        state = PatchState()
        unreadable.append(("Win32_QuickFixEngineering",
                           "needs_admin" if exc.kind == "denied" else "error"))
    reboot: bool | None = False
    for key in REBOOT_KEYS:
        try:
            if system.registry_values("HKLM", key) is not None:
                reboot = True
        except ProbeError as exc:
            if reboot is False:
                reboot = None
            unreadable.append((key.rsplit("\\", 1)[-1],
                               "needs_admin" if exc.kind == "denied" else "error"))
    return replace(state, reboot_required=reboot, unreadable=tuple(unreadable))

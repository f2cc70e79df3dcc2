"""Patch facts: when updates were last installed, which security updates wait, and reboots.

Each OS module turns its own sources into one :class:`PatchState`:

* Windows: ``Win32_QuickFixEngineering`` (the newest ``InstalledOn``) and the registry keys
  Windows Update and Component Based Servicing create while an update waits for a restart;
* macOS: ``softwareupdate -l`` (recommended updates not yet installed);
* Linux: ``apt-get -s dist-upgrade`` or ``dnf updateinfo list --security`` (security updates not
  yet installed), ``/var/run/reboot-required`` and ``needs-restarting -r``.

None of them needs administrator rights; a source that refuses is recorded as unreadable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Literal

from precheck.probes import platform_module

if TYPE_CHECKING:
    from precheck.system import System

#: Why a source could not be read.
Unreadable = Literal["needs_admin", "error"]


@dataclass(frozen=True, slots=True)
class PatchState:
    """What the update sources of one machine said. ``None`` means "could not tell"."""

    source: str | None = None  # "Win32_QuickFixEngineering", "softwareupdate", "apt", "dnf"
    newest_update: date | None = None  # Windows: the newest InstalledOn
    updates_listed: int = 0  # Windows: installed updates listed (with or without a date)
    undated: int = 0  # Windows: listed without a readable InstalledOn
    date_order: str | None = None  # Windows: how InstalledOn was read ("M/D/Y", "D/M/Y", ...)
    pending_security: tuple[str, ...] | None = None  # names of security updates not installed
    pending_other: int | None = None  # other updates not installed
    reboot_required: bool | None = None
    lists_age_days: int | None = None  # apt: age of the package lists pending updates come from
    unreadable: tuple[tuple[str, Unreadable], ...] = ()


def patches(system: System) -> PatchState:
    state: PatchState = platform_module(__name__, system).patches(system)
    return state

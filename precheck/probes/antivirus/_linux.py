"""Linux: the ClamAV virus database.

freshclam keeps the daily signatures in ``/var/lib/clamav/daily.cvd`` (a whole download) or
``daily.cld`` (after incremental updates), and writes the file each time it installs a newer one,
so the file's modification time is when the signatures were last updated (Debian, Ubuntu and
Fedora's ``clamav-freshclam`` use this folder). Reading the time needs no administrator rights.
Other products (Microsoft Defender for Endpoint, CrowdStrike, Sophos ...) are recognised by the
check from the running processes; their signature dates cannot be read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from precheck.probes.antivirus import AntivirusState, signature_sets

if TYPE_CHECKING:
    from precheck.system import System

CLAMAV_DIR = "/var/lib/clamav"
CLAMAV_DAILY = (f"{CLAMAV_DIR}/daily.cld", f"{CLAMAV_DIR}/daily.cvd")


def antivirus(system: System) -> AntivirusState:
    return signature_sets(system, "ClamAV", CLAMAV_DAILY)

"""Windows: Security Center's antivirus products and Microsoft Defender's own status.

* ``root/SecurityCenter2:AntiVirusProduct``: every registered antivirus with its ``productState``
  (decoded and merged by display name in :mod:`precheck.probes.security_center`). Missing on
  Windows Server: the query fails with "Invalid namespace" (glpi-agent#565, osquery#6389).
* ``root/Microsoft/Windows/Defender:MSFT_MpComputerStatus``: what ``Get-MpComputerStatus``
  shows, without PowerShell's display formatting (whose dates follow the user's locale:
  ``18-10-2022 09:18:29 AM``, ``6/4/2024 8:06:27 AM``, ``2024/06/04 8:06:27`` on Japanese
  Windows). WMI gives booleans, numbers and CIM dates (``20240601094035.000000+000``) in every
  language. Fields used: ``AMRunningMode`` ("Normal", "Passive Mode", "SxS Passive Mode",
  "EDR Block Mode"; absent before Defender platform 4.18.2x), ``AMServiceEnabled``,
  ``AntivirusEnabled``, ``RealTimeProtectionEnabled``, ``AntivirusSignatureLastUpdated``,
  ``AntivirusSignatureAge``, ``AntivirusSignatureVersion``.

``AntivirusEnabled`` alone says nothing: it is True with Defender active and with Defender passive
behind Symantec (MicrosoftDocs/windows-itpro-docs#7929), and a passive Defender reports every
protection switch as on (mondoohq/mql#10381). The running mode decides.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING

from precheck.errors import ProbeError, ProbeMissing
from precheck.probes._windows import wmi_bool, wmi_int
from precheck.probes.antivirus import AntivirusState, Defender
from precheck.probes.security_center import merge_by_name, registered_products
from precheck.system import JSON

if TYPE_CHECKING:
    from precheck.system import System

DEFENDER_NAMESPACE = "root/Microsoft/Windows/Defender"
DEFENDER_CLASS = "MSFT_MpComputerStatus"
SECURITY_CENTER = "wmi:root/SecurityCenter2:AntiVirusProduct"
DEFENDER_PROBE = f"wmi:{DEFENDER_NAMESPACE}:{DEFENDER_CLASS}"

_CIM = re.compile(r"^(\d{14})(?:\.(\d{1,6}))?([+-])(\d{3})$")
_DOTNET = re.compile(r"^/Date\((-?\d+)\)/$")
#: WMI's "no date": the DMTF zero date, or the Windows epoch 1601-01-01 as .NET shows it.
_NO_DATE_BEFORE = datetime(1970, 1, 2, tzinfo=UTC)


def parse_wmi_date(value: JSON) -> datetime | None:
    """A date as WMI (``20240601094035.000000+000``, offset in minutes), PowerShell's
    ``ConvertTo-Json`` (``/Date(1717229195000)/``) or ISO 8601 gives it; None when absent."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    found = _CIM.match(text)
    if found:
        digits, micro, sign, minutes = found.groups()
        offset = timedelta(minutes=int(minutes)) * (1 if sign == "+" else -1)
        try:
            stamp = datetime.strptime(digits, "%Y%m%d%H%M%S").replace(
                microsecond=int((micro or "0").ljust(6, "0")), tzinfo=timezone(offset))
        except ValueError:
            return None
    elif (dotnet := _DOTNET.match(text)) is not None:
        stamp = datetime.fromtimestamp(int(dotnet.group(1)) / 1000, UTC)
    else:
        try:
            stamp = datetime.fromisoformat(text)
        except ValueError:
            return None
        stamp = stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
    return None if stamp < _NO_DATE_BEFORE else stamp.astimezone(UTC)


def parse_defender(instances: list[dict[str, JSON]]) -> Defender | None:
    """Defender's status from the MSFT_MpComputerStatus instance; None when there is none."""
    if not instances:
        return None
    status = instances[0]
    mode = status.get("AMRunningMode")
    version = status.get("AntivirusSignatureVersion")
    age = wmi_int(status.get("AntivirusSignatureAge"))
    if wmi_bool(status.get("AntivirusEnabled")) is None \
            or wmi_bool(status.get("RealTimeProtectionEnabled")) is None:
        # Without these two, whether Defender protects cannot be told (a cut-off answer).
        raise ProbeError(DEFENDER_PROBE, "malformed",
                         "Defender's status lacks AntivirusEnabled or RealTimeProtectionEnabled")
    return Defender(
        running_mode=str(mode).strip() if mode else None,
        service_enabled=wmi_bool(status.get("AMServiceEnabled")),
        antivirus_enabled=wmi_bool(status.get("AntivirusEnabled")),
        real_time=wmi_bool(status.get("RealTimeProtectionEnabled")),
        signatures_updated=parse_wmi_date(status.get("AntivirusSignatureLastUpdated")),
        # 4294967295 (UInt32 -1) and 65535 mean "never updated"
        signature_age_days=None if age is None or not 0 <= age < 65535 else age,
        signature_version=str(version) if version else None,
    )


def antivirus(system: System) -> AntivirusState:
    unreadable: list[str] = []
    registered = None
    try:
        products = registered_products(system, "AntiVirusProduct")
        registered = tuple(merge_by_name([p for p in products if p.name]))
    except ProbeMissing:
        raise
    except ProbeError:
        pass  # Windows Server (no Security Center), or its service stopped: Defender decides
    defender = None
    try:
        defender = parse_defender(system.wmi(DEFENDER_NAMESPACE, DEFENDER_CLASS))
    except ProbeMissing:
        raise
    except ProbeError as exc:
        if exc.kind != "not_found":
            unreadable.append(DEFENDER_PROBE)
    return AntivirusState(registered=registered, defender=defender,
                          unreadable=tuple(unreadable))

"""Japan's time zone: the one every office, booking and report time is shown in.

``Asia/Tokyo`` from the time-zone database: the system's, or the ``tzdata`` package's where the
system has none (Windows). A calendar file names the zone by that id (``TZID=Asia/Tokyo``), so the
named zone is what a calendar program understands. Should even ``tzdata`` be missing (a trimmed
install), the fixed UTC+09:00 it equals is exact: Japan has kept UTC+9 without daylight saving
since 1951, long before any date precheck shows. The app, the reports and the booking gateway
all use this one object.
"""

from __future__ import annotations

from datetime import timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["JAPAN"]


def _japan() -> tzinfo:
    try:
        return ZoneInfo("Asia/Tokyo")
    except ZoneInfoNotFoundError:
        return timezone(timedelta(hours=9), "JST")


JAPAN: tzinfo = _japan()

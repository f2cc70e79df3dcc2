"""Japan's time zone: the one every office, booking and report time is shown in.

Japan has kept UTC+9 without daylight saving since 1951, so a fixed offset is exact and needs no
time-zone database (which Windows lacks without the tzdata package). The app, the reports and the
booking gateway all use this one object.
"""

from __future__ import annotations

from datetime import timedelta, timezone

__all__ = ["JAPAN"]

JAPAN = timezone(timedelta(hours=9), "JST")

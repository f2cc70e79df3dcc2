"""A booking's date and time as people read them, always in Japan time.

One formatter for the booking pages, the staff console, the booking mails and the app, so a job
seeker reads the same session the same way everywhere: Japanese with the full-width weekday
(``2026年6月9日（火） 10:00``), English in its natural order (``Tue 9 Jun 2026, 10:00``). Any other
language falls back to the English form. Neither the gateway nor the app is imported here.
"""

from __future__ import annotations

from datetime import date, datetime

from precheck.japan import JAPAN

__all__ = ["day_label", "japan_time", "span", "when"]

WEEKDAYS = {
    "ja": ("月", "火", "水", "木", "金", "土", "日"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
#: What a mail adds so nobody abroad reads the time as their own.
JAPAN_TIME = {"ja": "（日本時間）", "en": " (Japan time)"}


def day_label(day: date, lang: str) -> str:
    """A day with its weekday: ``2026年6月9日（火）`` / ``Tue 9 Jun 2026``."""
    if lang == "ja":
        return f"{day.year}年{day.month}月{day.day}日（{WEEKDAYS['ja'][day.weekday()]}）"
    return f"{WEEKDAYS['en'][day.weekday()]} {day.day} {day:%b} {day.year}"


def when(moment: datetime, lang: str) -> str:
    """A moment in Japan time: ``2026年6月9日（火） 10:00`` / ``Tue 9 Jun 2026, 10:00``."""
    local = moment.astimezone(JAPAN)
    separator = " " if lang == "ja" else ", "
    return f"{day_label(local.date(), lang)}{separator}{local:%H:%M}"


def span(start: datetime, end: datetime, lang: str) -> str:
    """A session from start to end: ``2026年6月9日（火） 10:00〜10:30`` / ``… 10:00–10:30``."""
    dash = "〜" if lang == "ja" else "–"
    return f"{when(start, lang)}{dash}{end.astimezone(JAPAN):%H:%M}"


def japan_time(text: str, lang: str) -> str:
    """``text`` saying it is Japan time (for mails, which may be read abroad)."""
    return text + JAPAN_TIME.get(lang, JAPAN_TIME["en"])

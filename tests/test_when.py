"""One way to say a booking's time: full-width weekday in Japanese, natural English, Japan time."""

from __future__ import annotations

from datetime import UTC, date, datetime

from precheck.when import day_label, japan_time, span, when

START = datetime(2026, 6, 9, 1, 0, tzinfo=UTC)  # 10:00 in Japan, a Tuesday
END = datetime(2026, 6, 9, 1, 30, tzinfo=UTC)


def test_a_day_reads_with_its_weekday() -> None:
    assert day_label(date(2026, 6, 9), "ja") == "2026年6月9日（火）"
    assert day_label(date(2026, 6, 9), "en") == "Tue 9 Jun 2026"


def test_a_moment_is_said_in_japan_time_whatever_its_zone() -> None:
    assert when(START, "ja") == "2026年6月9日（火） 10:00"
    assert when(START, "en") == "Tue 9 Jun 2026, 10:00"


def test_a_session_runs_from_start_to_end() -> None:
    assert span(START, END, "ja") == "2026年6月9日（火） 10:00〜10:30"
    assert japan_time(span(START, END, "en"), "en") == "Tue 9 Jun 2026, 10:00–10:30 (Japan time)"

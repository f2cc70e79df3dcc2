"""The offices' booking rules: calendar, slots, deadlines, cancellation, no-shows and the form."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest

from precheck.gateway import rules
from precheck.gateway.offices import TOKYO, OfficeProfile, load_offices
from precheck.gateway.rules import (
    HolidayDataMissing,
    InvalidJobseekerNumber,
    normalize_jobseeker_number,
)
from precheck.i18n import Translator

OFFICES = load_offices()
KAGOSHIMA = OFFICES["kagoshima"]  # kind 1: by the previous day, two windows
TENMONKAN = OFFICES["tenmonkan"]  # kind 2: web booking, 1-hour link
NAMERIKAWA = OFFICES["namerikawa"]  # kind 3: 2 business days ahead, 10:00-16:00
PATTERN = KAGOSHIMA.jobseeker_number_pattern


def jst(y: int, m: int, d: int, hh: int = 0, mm: int = 0, *, ss: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=TOKYO)


def code(office: OfficeProfile, start: datetime, now: datetime) -> str | None:
    violation = rules.check_bookable(office, start, now)
    return None if violation is None else violation.code


# -- the calendar ---------------------------------------------------------------------------------

@pytest.mark.parametrize("day", [
    # 2019: the enthronement (4/30, 5/1, 5/2 国民の休日) and the ceremony (10/22)
    date(2019, 4, 30), date(2019, 5, 1), date(2019, 5, 2), date(2019, 10, 22),
    # 2020 and 2021: the Olympic moves, with the substitute holiday of 2021-08-09
    date(2020, 7, 23), date(2020, 7, 24), date(2020, 8, 10),
    date(2021, 7, 22), date(2021, 7, 23), date(2021, 8, 9),
    # 振替休日 (substitute holidays)
    date(2008, 5, 6), date(2019, 5, 6), date(2024, 2, 12), date(2025, 11, 24), date(2026, 5, 6),
    date(2027, 3, 22),
    # 国民の休日 (a weekday between two holidays)
    date(2009, 9, 22), date(2015, 9, 22), date(2026, 9, 22), date(2032, 9, 21), date(2037, 9, 22),
    # equinoxes
    date(2025, 3, 20), date(2025, 9, 23), date(2026, 3, 20), date(2027, 3, 21),
])
def test_national_holidays_include_substitute_and_citizens_holidays(day: date) -> None:
    assert rules.national_holiday(day) is not None
    reason = rules.closed_reason(NAMERIKAWA, day)
    assert reason is not None
    if day.weekday() < 5:
        assert reason.msgid.startswith("{date} is a national holiday")


@pytest.mark.parametrize("day", [date(2020, 7, 20), date(2020, 10, 12), date(2021, 7, 19),
                                 date(2026, 5, 7), date(2026, 9, 24)])
def test_moved_or_ordinary_days_are_working_days(day: date) -> None:
    assert rules.national_holiday(day) is None
    assert rules.closed_reason(NAMERIKAWA, day) is None


def test_the_substitute_holiday_is_named() -> None:
    reason = rules.closed_reason(NAMERIKAWA, date(2026, 5, 6))
    assert reason is not None
    assert reason.args["holiday"] == "振替休日"
    ja = Translator("ja").render(reason, domain=rules.DOMAIN)
    assert "振替休日" in ja
    assert "2026-05-06" in ja


@pytest.mark.parametrize("day", [date(2026, 6, 6), date(2026, 6, 7)])
def test_saturdays_and_sundays_are_closed(day: date) -> None:
    reason = rules.closed_reason(KAGOSHIMA, day)
    assert reason is not None
    assert "Saturday or Sunday" in reason.msgid
    assert rules.day_slots(KAGOSHIMA, day) == []


@pytest.mark.parametrize("day", [date(2026, 12, 29), date(2026, 12, 30), date(2026, 12, 31),
                                 date(2027, 1, 1), date(2027, 1, 2), date(2027, 1, 3),
                                 date(2025, 12, 29), date(2026, 1, 2)])
def test_the_year_end_break_is_closed_on_weekdays_too(day: date) -> None:
    reason = rules.closed_reason(NAMERIKAWA, day)
    assert reason is not None
    assert rules.day_slots(NAMERIKAWA, day) == []


@pytest.mark.parametrize("day", [date(2026, 12, 28), date(2027, 1, 4), date(2026, 1, 5)])
def test_the_days_around_the_break_are_open(day: date) -> None:
    assert rules.closed_reason(NAMERIKAWA, day) is None
    assert len(rules.day_slots(NAMERIKAWA, day)) == 12


def test_an_office_may_close_extra_days_and_move_its_break() -> None:
    office = dataclasses.replace(NAMERIKAWA, closed_dates=frozenset({date(2026, 6, 10)}),
                                 year_end_break=((12, 27), (1, 4)))
    assert rules.closed_reason(office, date(2026, 6, 10)) is not None
    assert rules.closed_reason(office, date(2026, 6, 11)) is None
    assert rules.closed_reason(office, date(2027, 1, 4)) is not None
    assert rules.closed_reason(NAMERIKAWA, date(2027, 1, 4)) is None


@pytest.mark.parametrize("day", [date(2100, 1, 4), date(2100, 1, 1), date(2100, 1, 2),
                                 date(1948, 6, 1)])
def test_a_year_the_holiday_data_does_not_cover_is_an_error_never_open(day: date) -> None:
    # holidays answers "no holidays" for 2100 without complaint; the gateway must not.
    with pytest.raises(HolidayDataMissing) as caught:
        rules.closed_reason(NAMERIKAWA, day)
    assert caught.value.year == day.year
    with pytest.raises(HolidayDataMissing):
        rules.day_slots(NAMERIKAWA, day)
    en = Translator("en").render(caught.value.message, domain=rules.DOMAIN)
    assert str(day.year) in en


def test_an_uncovered_year_refuses_a_booking_with_a_clear_rule() -> None:
    violation = rules.check_bookable(NAMERIKAWA, jst(2100, 1, 4, 10), jst(2099, 12, 1, 9))
    assert violation is not None
    assert violation.code == "calendar_unknown"


def test_the_last_covered_year_still_works() -> None:
    assert rules.national_holiday(date(2099, 1, 1)) == "元日"
    assert rules.is_open(NAMERIKAWA, date(2099, 1, 5))


# -- slots ----------------------------------------------------------------------------------------

def test_namerikawa_has_twelve_30_minute_sessions_from_10_to_16() -> None:
    slots = rules.day_slots(NAMERIKAWA, date(2026, 6, 9))
    assert slots[0] == jst(2026, 6, 9, 10, 0)
    assert slots[-1] == jst(2026, 6, 9, 15, 30)  # ends at 16:00
    assert len(slots) == 12
    assert all(b - a == timedelta(minutes=30) for a, b in itertools.pairwise(slots))
    assert all(s.tzinfo is TOKYO for s in slots)


def test_kagoshima_skips_its_lunch_hour() -> None:
    times = [s.time() for s in rules.day_slots(KAGOSHIMA, date(2026, 6, 9))]
    assert time(11, 30) in times
    assert time(12, 0) not in times
    assert time(12, 30) not in times
    assert time(13, 0) in times
    assert len(times) == 10


def test_tokyo_slots_in_utc_have_a_fixed_nine_hour_offset_all_year() -> None:
    # Japan has no daylight saving time: a 10:00 session is 01:00 UTC in winter and summer alike.
    for day in (date(2026, 1, 13), date(2026, 3, 30), date(2026, 7, 15), date(2026, 11, 2)):
        first = rules.day_slots(NAMERIKAWA, day)[0]
        assert first.astimezone(UTC) == datetime.combine(day, time(1, 0), UTC)


def test_a_slot_start_given_in_another_zone_is_judged_in_tokyo() -> None:
    start_utc = datetime(2026, 6, 9, 1, 0, tzinfo=UTC)  # 10:00 JST
    new_york = start_utc.astimezone(timezone(timedelta(hours=-4)))  # 21:00 on June 8th there
    assert rules.is_slot_start(NAMERIKAWA, start_utc)
    assert rules.is_slot_start(NAMERIKAWA, new_york)
    assert rules.check_bookable(NAMERIKAWA, new_york, jst(2026, 6, 1, 9)) is None
    assert not rules.is_slot_start(NAMERIKAWA, datetime(2026, 6, 9, 10, 0, tzinfo=UTC))


@pytest.mark.parametrize(("hh", "mm"), [(9, 30), (10, 15), (12, 0), (12, 30), (16, 0), (15, 45)])
def test_a_time_off_the_grid_or_outside_the_windows_is_not_a_slot(hh: int, mm: int) -> None:
    assert code(KAGOSHIMA, jst(2026, 6, 9, hh, mm), jst(2026, 6, 1, 9)) == "not_a_slot"


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        rules.check_bookable(KAGOSHIMA, datetime(2026, 6, 9, 10),  # noqa: DTZ001
                             jst(2026, 6, 1))


# -- deadlines ------------------------------------------------------------------------------------

def test_kind_1_takes_bookings_until_the_end_of_the_previous_day_even_a_sunday() -> None:
    monday = jst(2026, 6, 8, 10, 0)
    assert rules.last_booking_day(KAGOSHIMA, monday.date()) == date(2026, 6, 7)
    assert rules.booking_deadline(KAGOSHIMA, monday) == jst(2026, 6, 8, 0, 0)
    assert code(KAGOSHIMA, monday, jst(2026, 6, 5, 16)) is None  # Friday
    assert code(KAGOSHIMA, monday, jst(2026, 6, 7, 23, 59, ss=59)) is None  # Sunday night
    assert code(KAGOSHIMA, monday, jst(2026, 6, 8, 0, 0)) == "too_late"  # the day itself
    assert code(KAGOSHIMA, monday, jst(2026, 6, 8, 9, 0)) == "too_late"


def test_kind_1_after_a_holiday_counts_calendar_days() -> None:
    thursday = jst(2026, 5, 7, 10, 0)  # after Golden Week's substitute holiday (5/6)
    assert code(KAGOSHIMA, thursday, jst(2026, 5, 6, 20)) is None


def test_kind_3_needs_two_business_days_across_a_weekend() -> None:
    tuesday = jst(2026, 6, 9, 10, 0)
    assert rules.last_booking_day(NAMERIKAWA, tuesday.date()) == date(2026, 6, 5)  # Friday
    assert code(NAMERIKAWA, tuesday, jst(2026, 6, 5, 23, 59, ss=59)) is None
    assert code(NAMERIKAWA, tuesday, jst(2026, 6, 6, 0, 0)) == "too_late"  # Saturday
    assert code(NAMERIKAWA, tuesday, jst(2026, 6, 8, 9, 0)) == "too_late"  # Monday
    violation = rules.check_bookable(NAMERIKAWA, tuesday, jst(2026, 6, 6, 12))
    assert violation is not None
    ja = Translator("ja").render(violation.message, domain=rules.DOMAIN)
    assert "2026-06-05" in ja


def test_kind_3_counts_over_golden_week() -> None:
    thursday = date(2026, 5, 7)  # 5/2-5/6: Saturday, Sunday, 3 holidays (5/6 substitute)
    assert rules.last_booking_day(NAMERIKAWA, thursday) == date(2026, 4, 30)
    assert code(NAMERIKAWA, jst(2026, 5, 7, 10), jst(2026, 4, 30, 18)) is None
    assert code(NAMERIKAWA, jst(2026, 5, 7, 10), jst(2026, 5, 1, 9)) == "too_late"


def test_kind_3_counts_over_the_year_end_break() -> None:
    first_monday = date(2027, 1, 4)  # 12/29-1/3 closed, 12/26-27 weekend
    assert rules.last_booking_day(NAMERIKAWA, first_monday) == date(2026, 12, 25)
    assert code(NAMERIKAWA, jst(2027, 1, 4, 10), jst(2026, 12, 25, 23)) is None
    assert code(NAMERIKAWA, jst(2027, 1, 4, 10), jst(2026, 12, 28, 10)) == "too_late"


def test_the_deadline_is_judged_in_tokyo_when_now_is_given_in_utc() -> None:
    # Easy!Appointments #961/#1789: the wrong day for clients far from the server's zone.
    tuesday = jst(2026, 6, 9, 10, 0)
    just_before = datetime(2026, 6, 5, 14, 59, 59, tzinfo=UTC)  # Friday 23:59:59 JST
    just_after = datetime(2026, 6, 5, 15, 0, 0, tzinfo=UTC)  # Saturday 00:00 JST
    assert code(NAMERIKAWA, tuesday, just_before) is None
    assert code(NAMERIKAWA, tuesday, just_after) == "too_late"


def test_past_slots_and_slots_too_far_ahead_are_refused() -> None:
    assert code(TENMONKAN, jst(2026, 6, 9, 10), jst(2026, 6, 9, 10)) in ("past", "too_late")
    assert code(TENMONKAN, jst(2026, 6, 9, 10), jst(2026, 6, 10, 10)) == "past"
    now = jst(2026, 6, 1, 9)
    assert TENMONKAN.horizon_days == 60
    last = date(2026, 7, 31)  # 60 days on, a Friday
    assert code(TENMONKAN, jst(2026, 7, 31, 15, 30), now) is None
    assert code(TENMONKAN, jst(2026, 8, 3, 10), now) == "too_far"  # the next Monday
    assert rules.bookable_slots(TENMONKAN, last + timedelta(days=1),
                                last + timedelta(days=7), now) == []


def test_closed_days_are_refused_with_the_reason() -> None:
    violation = rules.check_bookable(NAMERIKAWA, jst(2026, 5, 6, 10), jst(2026, 4, 1))
    assert violation is not None
    assert violation.code == "closed"
    assert violation.field == "start"
    assert violation.message.args["holiday"] == "振替休日"


def test_bookable_slots_use_the_same_rule_as_booking() -> None:
    now = jst(2026, 6, 5, 12)  # Friday noon
    slots = rules.bookable_slots(NAMERIKAWA, date(2026, 6, 5), date(2026, 6, 12), now)
    days = sorted({s.date() for s in slots})
    # Tuesday 9th is the first day 2 business days away; the weekend is closed.
    assert days == [date(2026, 6, 9), date(2026, 6, 10), date(2026, 6, 11), date(2026, 6, 12)]
    assert all(rules.check_bookable(NAMERIKAWA, s, now) is None for s in slots)
    assert rules.bookable_slots(NAMERIKAWA, date(2099, 12, 28), date(2100, 1, 8),
                                jst(2099, 12, 1)) != []  # the covered days still list


# -- after booking --------------------------------------------------------------------------------

def test_only_the_web_office_has_a_one_hour_confirmation_link() -> None:
    made = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
    assert rules.confirmation_expires(TENMONKAN, made) == jst(2026, 6, 1, 13, 0)
    assert rules.confirmation_expires(KAGOSHIMA, made) is None
    assert rules.confirmation_expires(NAMERIKAWA, made) is None


def test_online_cancellation_ends_when_the_session_day_begins_in_tokyo() -> None:
    start = jst(2026, 6, 9, 15, 30)
    assert rules.can_cancel_online(TENMONKAN, start, jst(2026, 6, 8, 23, 59, ss=59))
    assert not rules.can_cancel_online(TENMONKAN, start, jst(2026, 6, 9, 0, 0))
    assert not rules.can_cancel_online(TENMONKAN, start, jst(2026, 6, 9, 15, 0))
    assert not rules.can_cancel_online(TENMONKAN, start, jst(2026, 6, 10, 9, 0))
    # 2026-06-08 15:00 UTC is already the 9th in Tokyo.
    assert not rules.can_cancel_online(TENMONKAN, start, datetime(2026, 6, 8, 15, 0, tzinfo=UTC))
    assert rules.can_cancel_online(TENMONKAN, start, datetime(2026, 6, 8, 14, 59, tzinfo=UTC))


def test_a_same_day_refusal_gives_the_phone_number_when_the_office_has_one() -> None:
    start = jst(2026, 6, 9, 10)
    assert rules.cancel_refusal(NAMERIKAWA, start, jst(2026, 6, 8, 12)) is None
    refusal = rules.cancel_refusal(NAMERIKAWA, start, jst(2026, 6, 9, 8))
    assert refusal is not None
    assert refusal.code == "same_day_cancel"
    for language in ("ja", "en"):
        text = Translator(language).render(refusal.message, domain=rules.DOMAIN)
        assert "076-475-0324" in text
        assert "ハローワーク滑川" in text
    unnumbered = rules.cancel_refusal(KAGOSHIMA, start, jst(2026, 6, 9, 8))
    assert unnumbered is not None
    assert "phone" not in unnumbered.message.args


def test_a_no_show_is_ten_minutes_after_the_start_without_check_in() -> None:
    start = jst(2026, 6, 9, 10)
    assert rules.no_show_at(NAMERIKAWA, start) == jst(2026, 6, 9, 10, 10)
    assert not rules.is_no_show(NAMERIKAWA, start, jst(2026, 6, 9, 10, 9, ss=59), checked_in=False)
    assert rules.is_no_show(NAMERIKAWA, start, jst(2026, 6, 9, 10, 10), checked_in=False)
    assert not rules.is_no_show(NAMERIKAWA, start, jst(2026, 6, 9, 11), checked_in=True)
    assert rules.is_no_show(NAMERIKAWA, start, datetime(2026, 6, 9, 1, 10, tzinfo=UTC),
                            checked_in=False)


def test_the_policy_number_of_no_shows_blocks_online_booking() -> None:
    limit = KAGOSHIMA.no_show_limit
    assert not rules.is_blocked(KAGOSHIMA, limit - 1)
    assert rules.is_blocked(KAGOSHIMA, limit)
    strict = dataclasses.replace(KAGOSHIMA, no_show_limit=1)
    assert rules.is_blocked(strict, 1)
    violation = rules.blocked_violation(KAGOSHIMA)
    assert violation.code == "blocked"
    assert "ハローワーク鹿児島" in Translator("en").render(violation.message, domain=rules.DOMAIN)


# -- 求職番号 and the form -------------------------------------------------------------------------

@pytest.mark.parametrize("typed", [
    "12345-678901", "１２３４５－６７８９０１", "12345ー678901", "12345ｰ678901", "12345−678901",
    "12345–678901", "12345—678901", "12345‐678901", "12345‑678901", "12345―678901",
    "12345─678901", "12345﹣678901", " 12345 - 678901 ", "12345 678901", "12345　678901",
    "12345678901", "１２３４５６７８９０１",
])
def test_a_jobseeker_number_is_accepted_as_people_type_it(typed: str) -> None:
    assert normalize_jobseeker_number(typed, PATTERN) == "12345-678901"


@pytest.mark.parametrize("number", ["12345-6789", "12345-67890123"])
def test_the_serial_may_have_four_to_eight_digits(number: str) -> None:
    assert normalize_jobseeker_number(number, PATTERN) == number


@pytest.mark.parametrize("typed", ["", "   ", "1234-567890", "123456-78901", "12345-678",
                                   "12345-123456789", "abcde-12345", "12345-6789O1",
                                   "12345/678901", "12345-678901-1"])
def test_a_wrong_jobseeker_number_says_how_to_type_it(typed: str) -> None:
    with pytest.raises(InvalidJobseekerNumber) as caught:
        normalize_jobseeker_number(typed, PATTERN)
    assert isinstance(caught.value, ValueError)
    ja = Translator("ja").render(caught.value.message, domain=rules.DOMAIN)
    assert "求職番号" in ja


def test_the_pattern_is_configurable() -> None:
    assert normalize_jobseeker_number("ＡＢ１２３", r"[A-Z]{2}\d{3}") == "AB123"
    with pytest.raises(InvalidJobseekerNumber):
        normalize_jobseeker_number("12345-678901", r"[A-Z]{2}\d{3}")


@pytest.mark.parametrize(("typed", "clean"), [
    ("076-475-0324", "076-475-0324"), ("０７６ー４７５ー０３２４", "076-475-0324"),
    ("090 1234 5678", "090-1234-5678"), ("09012345678", "09012345678"),
    ("+81 90-1234-5678", "090-1234-5678"), ("(076) 475-0324", "076-475-0324"),
])
def test_phone_numbers_are_folded(typed: str, clean: str) -> None:
    assert rules.normalize_phone(typed) == clean


@pytest.mark.parametrize("typed", ["", "12345", "abc-defg-hijk", "090-1234-56789", "1-800-555"])
def test_wrong_phone_numbers_are_refused(typed: str) -> None:
    with pytest.raises(ValueError, match="not a phone number"):
        rules.normalize_phone(typed)


def test_emails_are_folded_and_checked() -> None:
    assert rules.normalize_email(" Taro@Example.JP ") == "Taro@example.jp"
    assert rules.normalize_email("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ") == "taro@example.jp"
    for bad in ("taro", "taro@", "@example.jp", "taro@example", "ta ro@example.jp",
                "a@b@example.jp"):
        with pytest.raises(ValueError, match="not an email"):
            rules.normalize_email(bad)


def test_check_fields_keeps_only_the_offices_fields_and_names_each_problem() -> None:
    clean, problems = rules.check_fields(NAMERIKAWA, {
        "name": "  滑川　太郎 ", "jobseeker_number": "１６０７０ー１２３４５６",
        "email": "t@example.jp", "phone": "090-1234-5678", "note": "通訳が必要です\n",
    })
    assert problems == []
    assert clean == {"name": "滑川 太郎", "jobseeker_number": "16070-123456",
                     "email": "t@example.jp", "note": "通訳が必要です"}  # no phone kept


def test_check_fields_reports_missing_and_invalid_fields() -> None:
    clean, problems = rules.check_fields(KAGOSHIMA, {
        "name": "", "jobseeker_number": "12-34", "email": "nope", "phone": "0",
    })
    assert clean == {}
    found = {(p.field, p.code) for p in problems}
    assert found == {("name", "missing"), ("jobseeker_number", "invalid"),
                     ("email", "invalid"), ("phone", "invalid")}
    for problem in problems:
        for language in ("ja", "en"):
            assert Translator(language).render(problem.message, domain=rules.DOMAIN)


def test_the_web_office_takes_the_number_as_optional() -> None:
    clean, problems = rules.check_fields(TENMONKAN, {
        "name": "天文館 花子", "email": "h@example.jp", "phone": "099-000-0000",
    })
    assert problems == []
    assert "jobseeker_number" not in clean
    _, problems = rules.check_fields(TENMONKAN, {
        "name": "天文館 花子", "email": "h@example.jp", "phone": "099-000-0000",
        "jobseeker_number": "wrong",
    })
    assert [p.field for p in problems] == ["jobseeker_number"]


def test_names_and_notes_are_bounded_and_lose_control_characters() -> None:
    _, problems = rules.check_fields(KAGOSHIMA, {"name": "x" * 101})
    assert ("name", "invalid") in {(p.field, p.code) for p in problems}
    clean, _ = rules.check_fields(KAGOSHIMA, {"note": "a\x00b\tc\nd"})
    assert clean["note"] == "ab\tc\nd"
    _, problems = rules.check_fields(KAGOSHIMA, {"note": "x" * 1001})
    assert ("note", "invalid") in {(p.field, p.code) for p in problems}

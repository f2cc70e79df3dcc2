"""Office profiles: the shipped offices say what the terms say, and a wrong file is named."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from precheck.gateway.offices import TOKYO
from precheck.offices import (
    DEFAULT_PATH,
    KIND_BUSINESS_DAYS,
    KIND_PREVIOUS_DAY,
    KIND_WEB_CONFIRM,
    Lead,
    OfficeConfigError,
    load_offices,
)


def test_the_offices_named_in_the_terms_are_shipped() -> None:
    offices = load_offices()
    names = {o.id: o.name_ja for o in offices.values()}
    assert names == {
        "kagoshima": "ハローワーク鹿児島",
        "kagoshima-shinsotsu": "鹿児島新卒応援ハローワーク",
        "kagoshima-mothers": "マザーズハローワーク鹿児島",
        "tenmonkan": "ワークプラザ天文館",
        "namerikawa": "ハローワーク滑川",
    }
    assert all(o.name_en for o in offices.values())


@pytest.mark.parametrize("office_id", ["kagoshima", "kagoshima-shinsotsu", "kagoshima-mothers"])
def test_kind_1_books_by_the_previous_day_with_name_number_time_email_and_phone(
        office_id: str) -> None:
    office = load_offices()[office_id]
    assert office.kind == KIND_PREVIOUS_DAY
    assert office.lead == Lead(1, business_days=False)
    assert office.required_fields == ("name", "jobseeker_number", "start", "email", "phone")
    assert office.confirmation_ttl is None
    # The terms leave the two daily windows blank: the stated default has a lunch hour.
    assert office.windows == ((time(10), time(12)), (time(13), time(16)))
    assert (office.opens, office.closes) == (time(10), time(16))
    assert office.phone is None  # not in the terms: configuration, never invented


def test_kind_2_is_a_web_booking_with_a_one_hour_link_and_an_optional_number() -> None:
    office = load_offices()["tenmonkan"]
    assert office.kind == KIND_WEB_CONFIRM
    assert office.required_fields == ("name", "start", "email", "phone")
    assert office.optional_fields == ("jobseeker_number", "note")
    assert office.confirmation_ttl == timedelta(hours=1)


def test_kind_3_is_namerikawa_weekdays_10_to_16_two_business_days_ahead() -> None:
    office = load_offices()["namerikawa"]
    assert office.kind == KIND_BUSINESS_DAYS
    assert office.phone == "076-475-0324"
    assert office.email == "16070hw01@mhlw.go.jp"
    assert office.windows == ((time(10), time(16)),)
    assert office.lead == Lead(2, business_days=True)
    assert office.required_fields == ("name", "jobseeker_number", "start", "email")
    assert "phone" not in office.fields  # the terms ask only for an email address
    assert office.confirmation_ttl is None


def test_every_office_has_30_minute_sessions_a_10_minute_no_show_rule_and_the_year_end_break(
) -> None:
    for office in load_offices().values():
        assert office.slot == timedelta(minutes=30)
        assert office.no_show_after == timedelta(minutes=10)
        assert office.no_show_limit >= 1
        assert office.year_end_break == ((12, 29), (1, 3))
        assert office.video_app == "TeleOffice"
        assert office.fields[0] == "name"


def test_local_time_is_tokyo_and_a_naive_datetime_is_refused() -> None:
    office = load_offices()["namerikawa"]
    utc = datetime(2026, 6, 8, 15, 0, tzinfo=UTC)
    assert office.local(utc) == datetime(2026, 6, 9, 0, 0, tzinfo=TOKYO)
    assert office.local(utc).utcoffset() == timedelta(hours=9)
    with pytest.raises(ValueError, match="no time zone"):
        office.local(datetime(2026, 6, 9, 10, 0))  # noqa: DTZ001 - the point of the test


def test_names_follow_the_language() -> None:
    office = load_offices()["namerikawa"]
    assert office.name("ja") == "ハローワーク滑川"
    assert office.name("en") == "Hello Work Namerikawa"


def test_every_value_in_the_shipped_file_cites_its_source() -> None:
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    # Each office block is preceded by the terms' lines it comes from; blanks say DEFAULT.
    for quote in ("前日までに予約が完了", "1時間以内にクリック", "2営業日まで", "10分経過",
                  "TEL 076-475-0324", "16070hw01@mhlw.go.jp", "DEFAULT"):
        assert quote in text, quote


# -- a wrong file is named precisely --------------------------------------------------------------

GOOD = """
[defaults]
slot_minutes = 30
no_show_after_minutes = 10
no_show_limit = 2
year_end_break = ["12-29", "01-03"]
closed_dates = []
horizon_days = 60
jobseeker_number_pattern = '\\d{5}-\\d{4,8}'
video_app = "TeleOffice"
phone = ""
email = ""

[[office]]
id = "test"
name_ja = "テスト"
name_en = "Test"
kind = 1
windows = [["10:00", "16:00"]]
lead = { days = 1, business_days = false }
required_fields = ["name", "start", "email"]
optional_fields = []
confirmation_ttl_minutes = 0
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "offices.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_minimal_file_loads_with_its_defaults(tmp_path: Path) -> None:
    office = load_offices(write(tmp_path, GOOD))["test"]
    assert office.phone is None
    assert office.closed_dates == frozenset()
    assert office.fields == ("name", "start", "email")


def test_closed_dates_accept_toml_dates_and_strings(tmp_path: Path) -> None:
    text = GOOD.replace("closed_dates = []", 'closed_dates = [2026-06-10, "2026-06-11"]')
    office = load_offices(write(tmp_path, text))["test"]
    assert office.closed_dates == {date(2026, 6, 10), date(2026, 6, 11)}


@pytest.mark.parametrize(("old", "new", "key"), [
    ('kind = 1', 'kind = 4', "kind"),
    ('kind = 1', 'kind = true', "kind"),
    ('windows = [["10:00", "16:00"]]', 'windows = [["10:00", "10:20"]]', "windows"),
    ('windows = [["10:00", "16:00"]]', 'windows = [["13:00", "16:00"], ["10:00", "12:00"]]',
     "windows"),
    ('windows = [["10:00", "16:00"]]', 'windows = [["10", "16"]]', "windows"),
    ('windows = [["10:00", "16:00"]]', 'windows = []', "windows"),
    ('required_fields = ["name", "start", "email"]', 'required_fields = ["name", "start"]',
     "required_fields"),
    ('optional_fields = []', 'optional_fields = ["shoe_size"]', "optional_fields"),
    ('optional_fields = []', 'optional_fields = ["email"]', "optional_fields"),
    ('id = "test"', 'id = "Has Spaces"', "id"),
    ('slot_minutes = 30', 'slot_minutes = 0', "slot_minutes"),
    ("'\\d{5}-\\d{4,8}'", "'(unclosed'", "jobseeker_number_pattern"),
    ('year_end_break = ["12-29", "01-03"]', 'year_end_break = ["12-32", "01-03"]',
     "year_end_break"),
    ('closed_dates = []', 'closed_dates = ["next tuesday"]', "closed_dates"),
    ('lead = { days = 1, business_days = false }', 'lead = { days = 1 }', "lead"),
    ('lead = { days = 1, business_days = false }', 'lead = { days = -1, business_days = true }',
     "lead"),
    ('confirmation_ttl_minutes = 0', 'confirmation_ttl_minutes = 0\nopening_hours = "9-5"',
     "opening_hours"),
    ('kind = 1', 'kind = 2', "confirmation_ttl_minutes"),
    ('name_en = "Test"', 'name_en = ""', "name_ja"),
])
def test_a_wrong_value_names_the_office_and_the_key(tmp_path: Path, old: str, new: str,
                                                    key: str) -> None:
    assert old in GOOD
    with pytest.raises(OfficeConfigError, match=rf"office '[^']*', key '{key}'"):
        load_offices(write(tmp_path, GOOD.replace(old, new, 1)))


def test_a_duplicate_id_is_refused(tmp_path: Path) -> None:
    office = GOOD[GOOD.index("[[office]]"):]
    with pytest.raises(OfficeConfigError, match="used twice"):
        load_offices(write(tmp_path, GOOD + office))


def test_a_missing_or_broken_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(OfficeConfigError, match="cannot read the office profiles"):
        load_offices(tmp_path / "nope.toml")
    with pytest.raises(OfficeConfigError, match="not valid TOML"):
        load_offices(write(tmp_path, "[defaults\n"))
    with pytest.raises(OfficeConfigError, match="at least one"):
        load_offices(write(tmp_path, "[defaults]\n"))


def test_offices_and_rules_import_no_web_or_database_library() -> None:
    # The job seeker's install reads office profiles and has neither FastAPI nor SQLAlchemy;
    # holidays is loaded only when a calendar is asked for.
    code = ("import sys, precheck.offices, precheck.gateway.offices, precheck.gateway.rules;"
            "print(sorted(m for m in ('fastapi', 'sqlalchemy', 'starlette', 'holidays')"
            " if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60)
    assert out.stdout.strip() == "[]"

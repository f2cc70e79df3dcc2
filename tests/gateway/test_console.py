"""The staff desk (/staff/desk) and the job seeker's booking page (/bookings/manage/...) through
TestClient on the whole application: login and CSRF, a phone booking, a closure and its
reopening, a move, meeting addresses, the CSV over a range, and a change of time by the link."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import icalendar
import pytest
from sqlalchemy import select

from precheck.gateway.db import session_factory
from precheck.gateway.models import Booking, Closure, OutboxMail, Status
from precheck.gateway.offices import TOKYO
from tests.gateway.pages_support import Site, csrf_of
from tests.gateway.test_staff import SLOT, book, log_in, staffed_site

DESK = {"office": "namerikawa", "day": "2026-06-03"}


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    yield from staffed_site(tmp_path, "tanaka")


def desk_form(site: Site) -> str:
    page = site.client.get("/staff/desk", params={**DESK, "lang": "ja"})
    assert page.status_code == 200
    return csrf_of(page.text)


def rows(site: Site) -> list[Booking]:
    with session_factory(site.engine)() as db:
        return list(db.execute(select(Booking).order_by(Booking.id)).scalars())


def test_the_desk_needs_a_login_and_its_forms_need_the_token(site: Site) -> None:
    assert site.client.get("/staff/desk", follow_redirects=False).status_code == 303
    log_in(site)
    refused = site.client.post("/staff/desk/close", data={**DESK, "scope": "day",
                                                          "reason": "x", "csrf_token": "no"})
    assert refused.status_code == 403
    with session_factory(site.engine)() as db:
        assert db.execute(select(Closure)).first() is None


def test_a_phone_booking_from_the_desk_shows_that_it_has_no_report(site: Site) -> None:
    log_in(site)
    answer = site.client.post("/staff/desk/book", data={
        **DESK, "csrf_token": desk_form(site), "start": "11:00", "name": "電話 花子",
        "email": "hanako@example.jp", "phone": "090-0000-1111",
        "jobseeker_number": "16070-654321", "lang": "ja"})
    assert answer.status_code == 200
    assert "予約しました" in answer.text
    [row] = rows(site)
    assert row.booked_by is not None
    assert row.booked_by.startswith("staff:")
    assert row.report == {}
    day = site.client.get("/staff", params=DESK)
    assert "no-report" in day.text
    # The same office rules: a Saturday is refused with the reason.
    saturday = site.client.post("/staff/desk/book", data={
        "office": "namerikawa", "day": "2026-06-06", "csrf_token": desk_form(site),
        "start": "11:00", "name": "電話 花子", "email": "hanako@example.jp",
        "jobseeker_number": "16070-654321"})
    assert saturday.status_code == 422


def test_closing_a_morning_from_the_desk_and_reopening_it(site: Site) -> None:
    log_in(site)
    closed = site.client.post("/staff/desk/close", data={
        **DESK, "csrf_token": desk_form(site), "scope": "morning", "reason": "館内点検"})
    assert closed.status_code == 200
    assert "館内点検" in closed.text
    office_page = site.client.get("/offices/namerikawa", params={"day": "2026-06-03"})
    assert office_page.status_code == 200
    refused = book(site, SLOT)  # 10:00 that morning
    assert refused.status_code == 422
    assert "館内点検" in refused.text
    with session_factory(site.engine)() as db:
        closure = db.execute(select(Closure)).scalar_one()
    reopened = site.client.post(f"/staff/desk/closures/{closure.id}/lift",
                                data={**DESK, "csrf_token": desk_form(site)})
    assert reopened.status_code == 200
    assert book(site, SLOT).status_code == 201


def test_moving_a_booking_and_setting_its_meeting_address_mail_the_job_seeker(
        site: Site) -> None:
    assert book(site, SLOT).status_code == 201
    log_in(site)
    [row] = rows(site)
    moved = site.client.post(f"/staff/desk/bookings/{row.id}/move", data={
        **DESK, "csrf_token": desk_form(site), "to_day": "2026-06-03", "to_time": "14:00"})
    assert moved.status_code == 200, moved.text
    [row] = rows(site)
    assert row.slot_start == datetime(2026, 6, 3, 14, 0, tzinfo=TOKYO)
    meeting = site.client.post(f"/staff/desk/bookings/{row.id}/meeting", data={
        **DESK, "csrf_token": desk_form(site), "meeting_url": "https://zoom.example/j/99"})
    assert meeting.status_code == 200
    bad = site.client.post("/staff/desk/meeting", data={
        **DESK, "csrf_token": desk_form(site), "meeting_url": "http://plain.example/"})
    assert bad.status_code == 422
    kinds = [m.kind for m in site.outbox()]
    assert kinds == ["booked", "moved", "meeting"]
    assert "https://zoom.example/j/99" in site.outbox()[-1].body


def test_the_csv_covers_a_range_of_days(site: Site) -> None:
    book(site, SLOT)
    book(site, SLOT + timedelta(days=1), person={"name": "木曜 次郎", "email": "j@example.jp",
                                                 "jobseeker_number": "16070-111111"})
    log_in(site)
    answer = site.client.get("/staff/desk/export.csv", params={
        "office": "namerikawa", "first": "2026-06-03", "last": "2026-06-04"})
    assert answer.status_code == 200
    table = list(csv.reader(io.StringIO(answer.text.lstrip("\ufeff"))))
    assert len(table) == 3
    assert [line[1][:10] for line in table[1:]] == ["2026-06-03", "2026-06-04"]
    wrong = site.client.get("/staff/desk/export.csv", params={
        "office": "namerikawa", "first": "2026-06-04", "last": "2026-06-03"})
    assert wrong.status_code == 422


def test_the_job_seeker_changes_the_time_through_the_mailed_link(site: Site) -> None:
    assert book(site, SLOT).status_code == 201
    link = site.link("manage")
    page = site.client.get(link, params={"day": "2026-06-05"})
    assert page.status_code == 200
    assert "2026-06-05T10:00:00+09:00" in page.text
    calendar = site.client.get(link + "/calendar.ics")
    assert calendar.headers["content-type"].startswith("text/calendar")
    event = icalendar.Calendar.from_ical(calendar.text).walk("VEVENT")[0]
    assert event.decoded("DTSTART") == SLOT
    moved = site.client.post(link + "/move", data={"csrf_token": csrf_of(page.text),
                                                   "start": "2026-06-05T10:00:00+09:00"})
    assert moved.status_code == 200, moved.text
    [row] = rows(site)
    assert row.slot_start == datetime(2026, 6, 5, 10, 0, tzinfo=TOKYO)
    assert row.status == Status.CONFIRMED
    with session_factory(site.engine)() as db:
        kinds = [m.kind for m in db.execute(select(OutboxMail).order_by(OutboxMail.id))
                 .scalars()]
    assert kinds == ["booked", "moved"]
    # Too late for the office's rule (2 business days ahead) is refused with the rule.
    too_late = site.client.post(link + "/move", data={"csrf_token": csrf_of(page.text),
                                                      "start": "2026-06-02T10:00:00+09:00"})
    assert too_late.status_code == 422


def test_a_form_naming_no_office_changes_nothing(site: Site) -> None:
    log_in(site)
    answer = site.client.post("/staff/desk/close", data={
        "office": "nowhere\x00", "day": "2026-06-03", "csrf_token": desk_form(site),
        "scope": "day", "reason": "点検"})
    assert answer.status_code == 422
    with session_factory(site.engine)() as db:
        assert db.execute(select(Closure)).first() is None


def test_a_time_without_offset_on_the_booking_page_is_office_time(site: Site) -> None:
    assert book(site, SLOT).status_code == 201
    link = site.link("manage")
    page = site.client.get(link)
    moved = site.client.post(link + "/move", data={"csrf_token": csrf_of(page.text),
                                                   "start": "2026-06-05T11:00"})
    assert moved.status_code == 200
    [row] = rows(site)
    assert row.slot_start == datetime(2026, 6, 5, 11, 0, tzinfo=TOKYO)
    garbage = site.client.post(link + "/move", data={"csrf_token": csrf_of(page.text),
                                                     "start": "next friday"})
    assert garbage.status_code == 422

"""The job seeker's pages, through FastAPI's TestClient against a real SQLite gateway.

Every action is a button (POST with a CSRF token); every link only opens a page. Each test says
which rule of issue 7 or booking-anchors.md it holds.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from precheck.gateway.db import session_factory
from precheck.gateway.models import Booking, BookingEvent, Challenge, Status
from precheck.gateway.offices import TOKYO
from precheck.gateway.settings import RateLimit
from precheck.result import Status as CheckStatus
from tests.gateway.conftest import make_report, memory_identity
from tests.gateway.pages_support import Site, build_site, csrf_of, nonce_of

#: Work Plaza Tenmonkan (kind 2: emailed link, 1 hour) on Wednesday 3 June 2026, 10:00.
TENMONKAN_SLOT = datetime(2026, 6, 3, 10, 0, tzinfo=TOKYO)
#: Hello Work Namerikawa (kind 3: 2 business days ahead, booked at once).
NAMERIKAWA_SLOT = datetime(2026, 6, 3, 14, 30, tzinfo=TOKYO)
FORM = {"name": "天文館 花子", "email": "hanako@example.jp", "phone": "０９０ー１２３４ー５６７８",
        "jobseeker_number": "４６０１０ー１２３４５６", "note": ""}


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    yield from build_site(tmp_path)


def count(site: Site, model: Any, *where: Any) -> int:
    with session_factory(site.engine)() as db:
        return int(db.execute(select(func.count()).select_from(model).where(*where))
                   .scalar_one())


def booking_status(site: Site) -> list[str]:
    with session_factory(site.engine)() as db:
        return [b.status for b in db.execute(select(Booking).order_by(Booking.id)).scalars()]


def start_booking(site: Site, office: str, slot: datetime) -> tuple[str, str]:
    """Open the slot's page and press its button: the form's CSRF token and the nonce."""
    page = site.client.get(f"/offices/{office}/book",
                           params={"start": slot.strftime("%Y-%m-%dT%H:%M")})
    assert page.status_code == 200
    form = site.client.post(f"/offices/{office}/challenge",
                            data={"csrf_token": csrf_of(page.text), "start": slot.isoformat()})
    assert form.status_code == 200, form.text
    return csrf_of(form.text), nonce_of(form.text)


def send_form(site: Site, office: str, slot: datetime, csrf: str, nonce: str, *,
              fields: dict[str, str] | None = None, report: Any = None,
              report_bytes: bytes | None = None, lang: str = "ja") -> Any:
    document = report if report is not None else make_report(
        memory_identity(), nonce, created=site.clock.moment)
    body = report_bytes if report_bytes is not None else json.dumps(document).encode()
    return site.client.post(
        f"/offices/{office}/book", params={"lang": lang},
        data={"csrf_token": csrf, "start": slot.isoformat(), "nonce": nonce,
              **(FORM if fields is None else fields)},
        files={"report": ("precheck-report.json", body, "application/json")})


def book(site: Site, office: str = "tenmonkan", slot: datetime = TENMONKAN_SLOT, **kw: Any
         ) -> Any:
    csrf, nonce = start_booking(site, office, slot)
    return send_form(site, office, slot, csrf, nonce, **kw)


# -- the office's page ----------------------------------------------------------------------------

def test_the_front_page_lists_the_offices_in_japanese_first(site: Site) -> None:
    page = site.client.get("/")
    assert page.status_code == 200
    assert '<html lang="ja">' in page.text
    for name in ("ハローワーク鹿児島", "ワークプラザ天文館", "ハローワーク滑川"):
        assert name in page.text
    english = site.client.get("/", params={"lang": "en"})
    assert '<html lang="en">' in english.text
    assert "Hello Work Namerikawa" in english.text
    assert english.cookies.get("lang") == "en"
    assert '<html lang="en">' in site.client.get("/").text  # the switch is remembered


def test_the_office_page_lists_only_free_bookable_slots(site: Site) -> None:
    # Monday 09:00; Namerikawa needs 2 business days: Wednesday is the first day with slots.
    page = site.client.get("/offices/namerikawa")
    assert page.status_code == 200
    assert "076-475-0324" in page.text
    assert "start=2026-06-03T10:00" in page.text
    assert "start=2026-06-03T15:30" in page.text
    assert "start=2026-06-02T" not in page.text
    assert "2026-06-06は土曜日か日曜日のため、お休みです。" in page.text


def test_a_taken_slot_disappears_from_the_list(site: Site) -> None:
    assert book(site).status_code == 201
    page = site.client.get("/offices/tenmonkan")
    assert "start=2026-06-03T10:00" not in page.text
    assert "start=2026-06-03T10:30" in page.text


def test_the_office_page_shows_holidays_and_the_year_end_break(site: Site) -> None:
    site.clock.moment = datetime(2026, 12, 21, 9, 0, tzinfo=TOKYO)
    page = site.client.get("/offices/kagoshima", params={"start": "2026-12-28"})
    assert "2026-12-29は年末年始のため、お休みです。" in page.text
    assert "start=2026-12-28T10:00" in page.text  # Monday 28th is open
    assert "start=2027-01-04T10:00" in page.text
    assert "start=2027-01-01" not in page.text
    assert "2027-01-01は年末年始のため、お休みです。" in page.text


def test_an_uncovered_year_says_the_calendar_is_unknown_instead_of_listing_slots(
        site: Site) -> None:
    site.clock.moment = datetime(2099, 12, 1, 9, 0, tzinfo=TOKYO)
    page = site.client.get("/offices/tenmonkan", params={"start": "2099-12-28"})
    assert page.status_code == 200
    assert "2100年の窓口の暦はまだ用意されていません" in page.text
    assert "book?start=2100-" not in page.text


def test_an_unknown_office_is_a_plain_404_page(site: Site) -> None:
    page = site.client.get("/offices/nowhere")
    assert page.status_code == 404
    assert "ページが見つかりません" in page.text or "Page not found" in page.text
    assert "Traceback" not in page.text


# -- GET never changes anything -------------------------------------------------------------------

def test_opening_a_slot_page_issues_no_challenge(site: Site) -> None:
    for _ in range(3):
        page = site.client.get("/offices/tenmonkan/book", params={"start": "2026-06-03T10:00"})
        assert page.status_code == 200
    assert count(site, Challenge) == 0


def test_opening_the_confirmation_link_confirms_nothing(site: Site) -> None:
    # Mail scanners and "safe links" open every link (E!A #1178, Nextcloud Appointments #293).
    assert book(site).status_code == 201
    link = site.link("confirm")
    for _ in range(3):
        page = site.client.get(link)
        assert page.status_code == 200
        assert "予約を確定する" in page.text
    assert booking_status(site) == [Status.PENDING]
    assert count(site, BookingEvent) == 1


def test_opening_the_cancel_link_cancels_nothing(site: Site) -> None:
    assert book(site, "namerikawa", NAMERIKAWA_SLOT).status_code == 201
    page = site.client.get(site.link("cancel"))
    assert page.status_code == 200
    assert "予約を取り消す" in page.text
    assert booking_status(site) == [Status.CONFIRMED]


# -- CSRF -----------------------------------------------------------------------------------------

def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(site: Site) -> None:
    site.client.get("/offices/tenmonkan")  # the browser has its cookie
    refused = site.client.post("/offices/tenmonkan/challenge",
                               data={"start": TENMONKAN_SLOT.isoformat()})
    assert refused.status_code == 403
    assert "何も変更されていません" in refused.text
    assert count(site, Challenge) == 0


def test_a_token_without_its_cookie_is_refused(site: Site) -> None:
    page = site.client.get("/offices/tenmonkan/book", params={"start": "2026-06-03T10:00"})
    token = csrf_of(page.text)
    site.client.cookies.clear()
    refused = site.client.post("/offices/tenmonkan/challenge",
                               data={"csrf_token": token, "start": TENMONKAN_SLOT.isoformat()})
    assert refused.status_code == 403


def test_a_post_from_another_site_is_refused_even_with_a_token(site: Site) -> None:
    page = site.client.get("/offices/tenmonkan/book", params={"start": "2026-06-03T10:00"})
    refused = site.client.post("/offices/tenmonkan/challenge",
                               headers={"Origin": "https://evil.example"},
                               data={"csrf_token": csrf_of(page.text),
                                     "start": TENMONKAN_SLOT.isoformat()})
    assert refused.status_code == 403
    assert count(site, Challenge) == 0


def test_confirming_without_the_token_is_refused(site: Site) -> None:
    assert book(site).status_code == 201
    link = site.link("confirm")
    site.client.get(link)
    assert site.client.post(link, data={}).status_code == 403
    assert site.client.post(link, data={"csrf_token": "x" * 43}).status_code == 403
    assert booking_status(site) == [Status.PENDING]


# -- booking --------------------------------------------------------------------------------------

def test_a_web_booking_waits_for_its_link_then_confirms_once(site: Site) -> None:
    answer = book(site)
    assert answer.status_code == 201, answer.text
    assert "メールを確認してください" in answer.text
    assert "hanako@example.jp" in answer.text
    assert booking_status(site) == [Status.PENDING]
    with session_factory(site.engine)() as db:
        stored = db.execute(select(Booking)).scalar_one()
        assert stored.jobseeker_number == "46010-123456"  # full-width digits and ー folded
        assert stored.phone == "090-1234-5678"
    link = site.link("confirm")
    page = site.client.get(link)
    confirmed = site.client.post(link, data={"csrf_token": csrf_of(page.text)})
    assert confirmed.status_code == 200, confirmed.text
    assert "予約が確定しました" in confirmed.text
    assert "/bookings/cancel/" in confirmed.text  # the cancel link is on the page too
    assert booking_status(site) == [Status.CONFIRMED]
    again = site.client.post(link, data={"csrf_token": csrf_of(page.text)})
    assert again.status_code in (409, 410)
    assert booking_status(site) == [Status.CONFIRMED]
    assert count(site, BookingEvent) == 2
    kinds = [m.kind for m in site.outbox()]
    assert kinds == ["confirm", "confirmed"]


def test_the_confirmation_link_lapses_after_one_hour_and_frees_the_slot(site: Site) -> None:
    assert book(site).status_code == 201
    link = site.link("confirm")
    page = site.client.get(link)
    site.clock.advance(hours=1)
    lapsed = site.client.post(link, data={"csrf_token": csrf_of(page.text)})
    assert lapsed.status_code == 410
    assert booking_status(site) == [Status.PENDING]  # lapsed: holds nothing, swept later
    assert "start=2026-06-03T10:00" in site.client.get("/offices/tenmonkan").text
    assert site.client.get(link).status_code == 410


def test_a_previous_day_office_books_at_once_with_the_cancel_link(site: Site) -> None:
    answer = book(site, "namerikawa", NAMERIKAWA_SLOT,
                  fields={"name": "滑川 太郎", "email": "taro@example.jp",
                          "jobseeker_number": "16070-123456", "note": "通訳が同席します"})
    assert answer.status_code == 201, answer.text
    assert "予約が完了しました" in answer.text
    assert "/bookings/cancel/" in answer.text
    assert booking_status(site) == [Status.CONFIRMED]
    assert [m.kind for m in site.outbox()] == ["booked"]


def test_a_missing_field_keeps_everything_typed_and_names_the_field(site: Site) -> None:
    answer = book(site, fields={**FORM, "email": "", "name": "<b>花子</b>"})
    assert answer.status_code == 422
    assert "「メールアドレス」を入力してください。" in answer.text
    assert "&lt;b&gt;花子&lt;/b&gt;" in answer.text  # kept, and shown as text
    assert 'value="０９０ー１２３４ー５６７８"' in answer.text
    assert count(site, Booking) == 0


def test_a_wrong_jobseeker_number_says_how_to_type_it(site: Site) -> None:
    answer = book(site, fields={**FORM, "jobseeker_number": "12-34"}, lang="en")
    assert answer.status_code == 422
    assert "Enter it as printed on your Hello Work card" in answer.text
    assert count(site, Booking) == 0


def test_a_missing_or_unreadable_report_is_named(site: Site) -> None:
    csrf, nonce = start_booking(site, "tenmonkan", TENMONKAN_SLOT)
    answer = send_form(site, "tenmonkan", TENMONKAN_SLOT, csrf, nonce, report_bytes=b"{not json")
    assert answer.status_code == 422
    assert "レポートのファイルを読めませんでした" in answer.text
    assert nonce in answer.text  # the code is still there to run precheck with
    assert count(site, Booking) == 0


def test_a_failing_report_is_refused_with_the_reason_and_the_nonce_stays_usable(
        site: Site) -> None:
    csrf, nonce = start_booking(site, "tenmonkan", TENMONKAN_SLOT)
    failing = make_report(memory_identity(), nonce, created=site.clock.moment,
                          statuses={"security.firewall": CheckStatus.FAIL})
    refused = send_form(site, "tenmonkan", TENMONKAN_SLOT, csrf, nonce, report=failing)
    assert refused.status_code == 422
    assert "予約はまだできていません" in refused.text
    assert "「ファイアウォール」が合格していません" in refused.text
    assert count(site, Booking) == 0
    fixed = send_form(site, "tenmonkan", TENMONKAN_SLOT, csrf, nonce)
    assert fixed.status_code == 201, fixed.text


def test_a_reused_nonce_is_refused(site: Site) -> None:
    csrf, nonce = start_booking(site, "tenmonkan", TENMONKAN_SLOT)
    assert send_form(site, "tenmonkan", TENMONKAN_SLOT, csrf, nonce).status_code == 201
    later = TENMONKAN_SLOT + timedelta(hours=1)
    again = send_form(site, "tenmonkan", later, csrf, nonce)
    assert again.status_code == 422
    assert count(site, Booking) == 1


def test_the_second_booking_of_a_slot_is_told_it_is_taken(site: Site) -> None:
    assert book(site).status_code == 201
    taken = book(site, fields={**FORM, "email": "other@example.jp"})
    assert taken.status_code == 409
    assert "ほかの方が予約しました" in taken.text or "taken" in taken.text
    assert count(site, Booking) == 1


def test_a_booking_after_the_deadline_is_refused(site: Site) -> None:
    site.clock.moment = datetime(2026, 6, 2, 0, 0, tzinfo=TOKYO)  # Tuesday: too late for Wed
    page = site.client.get("/offices/namerikawa/book", params={"start": "2026-06-03T14:30"})
    assert "2026-06-01" in page.text
    assert 'action="/offices/namerikawa/challenge' not in page.text


# -- cancelling -----------------------------------------------------------------------------------

def test_cancelling_the_day_before_works_with_the_button(site: Site) -> None:
    assert book(site, "namerikawa", NAMERIKAWA_SLOT).status_code == 201
    link = site.link("cancel")
    site.clock.moment = datetime(2026, 6, 2, 23, 59, tzinfo=TOKYO)
    page = site.client.get(link)
    done = site.client.post(link, data={"csrf_token": csrf_of(page.text)})
    assert done.status_code == 200, done.text
    assert "予約を取り消しました" in done.text
    assert booking_status(site) == [Status.CANCELLED_BY_USER]
    assert [m.kind for m in site.outbox()] == ["booked", "cancelled"]
    # The slot is free again.
    site.clock.moment = datetime(2026, 6, 1, 9, 0, tzinfo=TOKYO)
    assert "start=2026-06-03T14:30" in site.client.get("/offices/namerikawa").text


def test_cancelling_on_the_day_is_refused_with_the_phone_number(site: Site) -> None:
    assert book(site, "namerikawa", NAMERIKAWA_SLOT).status_code == 201
    link = site.link("cancel")
    token = csrf_of(site.client.get(link).text)
    site.clock.moment = datetime(2026, 6, 3, 0, 0, tzinfo=TOKYO)
    page = site.client.get(link)
    assert page.status_code == 200
    assert "当日のキャンセルは電話でのみ受け付けます" in page.text
    assert "076-475-0324" in page.text
    assert "予約を取り消す</button>" not in page.text
    forced = site.client.post(link, data={"csrf_token": token})  # a hand-made POST
    assert forced.status_code == 422
    assert "076-475-0324" in forced.text
    assert booking_status(site) == [Status.CONFIRMED]


def test_an_unknown_link_is_a_page_not_a_traceback(site: Site) -> None:
    for path in ("/bookings/confirm/" + "A" * 43, "/bookings/cancel/" + "B" * 43):
        page = site.client.get(path)
        assert page.status_code == 404
        assert "このリンクは使えません" in page.text
        assert "Traceback" not in page.text


def test_pages_send_no_referrer_and_cannot_be_framed(site: Site) -> None:
    page = site.client.get("/offices/tenmonkan")
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    css = site.client.get("/static/gateway.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")


def test_the_language_switch_of_a_page_that_answers_a_post_opens_a_page(site: Site) -> None:
    # A link cannot repeat a POST: the switch leads to the page the form came from.
    page = site.client.get("/offices/tenmonkan/book", params={"start": "2026-06-03T10:00"})
    form = site.client.post("/offices/tenmonkan/challenge",
                            data={"csrf_token": csrf_of(page.text),
                                  "start": TENMONKAN_SLOT.isoformat()})
    switch = re.search(r'<a class="switch" href="([^"]+)"', form.text)
    assert switch is not None
    target = html.unescape(switch[1])
    assert target == "/offices/tenmonkan/book?start=2026-06-03T10:00&lang=en"
    english = site.client.get(target)
    assert english.status_code == 200
    assert "Book this time" in english.text


def test_too_many_challenges_from_one_address_are_refused_with_retry_after(
        tmp_path: Path) -> None:
    for site in build_site(tmp_path, challenge_limit=RateLimit(2, timedelta(minutes=1))):
        page = site.client.get("/offices/tenmonkan/book", params={"start": "2026-06-03T10:00"})
        data = {"csrf_token": csrf_of(page.text), "start": TENMONKAN_SLOT.isoformat()}
        for _ in range(2):
            assert site.client.post("/offices/tenmonkan/challenge", data=data).status_code == 200
        refused = site.client.post("/offices/tenmonkan/challenge", data=data)
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) >= 1
        assert "秒待ってから、もう一度お試しください" in refused.text
        assert count(site, Challenge) == 2

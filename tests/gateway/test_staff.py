"""The staff console through TestClient: login, the day view with readiness, status changes
(compare-and-swap), no-show blocks, reports, bundles and the CSV export."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from precheck.gateway import auth
from precheck.gateway.db import session_factory
from precheck.gateway.models import Booking, BookingEvent, Status
from precheck.gateway.offices import TOKYO
from precheck.result import Status as CheckStatus
from tests.gateway.conftest import make_report, memory_identity
from tests.gateway.pages_support import Site, build_site, csrf_of, nonce_of

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "bundles"
PASSWORD = "correct horse battery staple"
SLOT = datetime(2026, 6, 3, 10, 0, tzinfo=TOKYO)  # Namerikawa, Wednesday: booked at once
DAY = {"office": "namerikawa", "day": "2026-06-03"}
PERSON = {"name": "滑川 太郎", "email": "taro@example.jp", "jobseeker_number": "16070-123456"}


def staffed_site(tmp_path: Path, *names: str) -> Iterator[Site]:
    """A site with a staff account of each name, all with PASSWORD."""
    for built in build_site(tmp_path):
        with session_factory(built.engine)() as db:
            for name in names:
                auth.create_staff(db, name, PASSWORD, built.clock.moment)
        yield built


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    yield from staffed_site(tmp_path, "tanaka", "suzuki")


def log_in(site: Site, username: str = "tanaka", password: str = PASSWORD) -> Any:
    page = site.client.get("/staff/login")
    return site.client.post("/staff/login", data={
        "csrf_token": csrf_of(page.text), "username": username, "password": password},
        follow_redirects=False)


def book(site: Site, slot: datetime = SLOT, person: dict[str, str] | None = None,
         **report_options: Any) -> Any:
    page = site.client.get("/offices/namerikawa/book",
                           params={"start": slot.strftime("%Y-%m-%dT%H:%M")})
    form = site.client.post("/offices/namerikawa/challenge",
                            data={"csrf_token": csrf_of(page.text), "start": slot.isoformat()})
    nonce = nonce_of(form.text)
    document = make_report(memory_identity(), nonce, created=site.clock.moment,
                           **report_options)
    return site.client.post(
        "/offices/namerikawa/book",
        data={"csrf_token": csrf_of(form.text), "start": slot.isoformat(), "nonce": nonce,
              **(person or PERSON)},
        files={"report": ("precheck-report.json", json.dumps(document).encode(),
                          "application/json")})


def bookings(site: Site) -> list[Booking]:
    with session_factory(site.engine)() as db:
        return list(db.execute(select(Booking).order_by(Booking.id)).scalars())


def events(site: Site) -> int:
    with session_factory(site.engine)() as db:
        return int(db.execute(select(func.count()).select_from(BookingEvent)).scalar_one())


def day_view(site: Site, **params: str) -> Any:
    return site.client.get("/staff", params={**DAY, **params})


def press(site: Site, booking: Booking, new: str, *, expected: str | None = None,
          token: str | None = None, headers: dict[str, str] | None = None) -> Any:
    if token is None:
        token = csrf_of(day_view(site).text)
    return site.client.post(f"/staff/bookings/{booking.id}/status", headers=headers or {},
                            data={"csrf_token": token, "expected": expected or booking.status,
                                  "new": new, **DAY})


# -- login ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/staff", "/staff/export.csv", "/staff/bookings/1/report"])
def test_every_staff_page_needs_a_login(site: Site, path: str) -> None:
    answer = site.client.get(path, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/staff/login")


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(site: Site) -> None:
    wrong = log_in(site, password="not the password")
    unknown = log_in(site, username="nobody")
    for answer in (wrong, unknown):
        assert answer.status_code == 401
        assert "ユーザー名かパスワードが違います。" in answer.text
        assert "precheck_staff" not in answer.cookies
    assert site.client.get("/staff", follow_redirects=False).status_code == 303


def test_a_disabled_user_cannot_log_in(site: Site) -> None:
    with session_factory(site.engine)() as db:
        auth.set_disabled(db, "suzuki", site.clock.moment, disabled=True)
    assert log_in(site, "suzuki").status_code == 401


def test_the_login_form_needs_its_csrf_token(site: Site) -> None:
    site.client.get("/staff/login")
    answer = site.client.post("/staff/login", data={"username": "tanaka", "password": PASSWORD})
    assert answer.status_code == 403
    assert "precheck_staff" not in answer.cookies


def test_logging_in_and_out(site: Site) -> None:
    answer = log_in(site)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/staff")
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "samesite=strict" in cookie.lower()
    page = site.client.get("/staff")
    assert page.status_code == 200
    assert "ログアウト（tanaka）" in page.text
    out = site.client.post("/staff/logout", data={"csrf_token": csrf_of(page.text)},
                           follow_redirects=False)
    assert out.status_code == 303
    assert site.client.get("/staff", follow_redirects=False).status_code == 303


def test_an_ended_session_token_no_longer_works(site: Site) -> None:
    log_in(site)
    token = site.client.cookies.get("precheck_staff")
    page = site.client.get("/staff")
    site.client.post("/staff/logout", data={"csrf_token": csrf_of(page.text)})
    site.client.cookies.set("precheck_staff", token or "", path="/staff")
    assert site.client.get("/staff", follow_redirects=False).status_code == 303


# -- the day view ---------------------------------------------------------------------------------

def test_the_day_view_shows_each_booking_with_its_readiness(site: Site) -> None:
    assert book(site, statuses={"software.browser": CheckStatus.WARN}).status_code == 201
    log_in(site)
    page = day_view(site)
    assert page.status_code == 200
    (booking,) = bookings(site)
    assert booking.reference in page.text
    assert "滑川 太郎" in page.text
    assert "16070-123456" in page.text
    assert "準備できています" in page.text  # the verdict
    assert "! 注意 ブラウザーが最新" in page.text  # the warned check and its summary
    assert "Test outcome: warn" in page.text
    assert "チェックインしていません" in page.text
    assert "確定" in page.text  # the status


def test_the_day_view_shows_the_check_in(site: Site) -> None:
    assert book(site).status_code == 201
    (booking,) = bookings(site)
    site.clock.moment = datetime(2026, 6, 3, 9, 50, tzinfo=TOKYO)
    with session_factory(site.engine)() as db:
        fresh = make_report(memory_identity(), None, created=site.clock.moment)
        nonce = site.gateway.issue_challenge(db, "namerikawa", site.clock.moment).nonce
        fresh = make_report(memory_identity(), nonce, created=site.clock.moment)
        secret = site.link("cancel").rsplit("/", 1)[-1]  # another computer: the email's secret
        site.gateway.check_in(db, booking.reference, fresh, site.clock.moment, secret=secret)
    log_in(site)
    page = day_view(site)
    assert "09:50にチェックイン" in page.text
    assert "予約のときと別の機器からチェックインしました" in page.text  # a new key signed it
    assert "チェックイン時のレポートを開く" in page.text


def test_opening_the_day_view_changes_nothing(site: Site) -> None:
    assert book(site).status_code == 201
    log_in(site)
    before = events(site)
    for _ in range(3):
        assert day_view(site).status_code == 200
    assert events(site) == before


def test_what_job_seekers_typed_is_shown_as_text(site: Site) -> None:
    person = {**PERSON, "name": "<script>alert(1)</script>"}
    assert book(site, person=person).status_code == 201
    log_in(site)
    page = day_view(site)
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


# -- status changes -------------------------------------------------------------------------------

def test_marking_attended_is_applied_once(site: Site) -> None:
    assert book(site).status_code == 201
    site.clock.moment = datetime(2026, 6, 3, 10, 20, tzinfo=TOKYO)  # sessions last 8 hours
    log_in(site)
    (booking,) = bookings(site)
    token = csrf_of(day_view(site).text)
    done = press(site, booking, Status.ATTENDED, token=token)
    assert done.status_code == 200, done.text
    assert f"{booking.reference} は「相談済み」になりました。" in done.text
    assert bookings(site)[0].status == Status.ATTENDED
    # A second press, or a colleague's page still saying "confirmed": refused, nothing twice.
    again = press(site, booking, Status.ATTENDED, expected=Status.CONFIRMED, token=token)
    assert again.status_code == 409
    assert bookings(site)[0].status == Status.ATTENDED
    with session_factory(site.engine)() as db:
        attended = db.execute(select(func.count()).select_from(BookingEvent).where(
            BookingEvent.to_status == Status.ATTENDED)).scalar_one()
    assert attended == 1


def test_a_status_form_without_its_token_or_from_another_site_is_refused(site: Site) -> None:
    assert book(site).status_code == 201
    site.clock.moment = datetime(2026, 6, 3, 10, 20, tzinfo=TOKYO)  # sessions last 8 hours
    log_in(site)
    (booking,) = bookings(site)
    assert press(site, booking, Status.ATTENDED, token="").status_code == 403
    assert press(site, booking, Status.ATTENDED, token="0" * 64).status_code == 403
    assert press(site, booking, Status.ATTENDED,
                 headers={"Origin": "https://evil.example"}).status_code == 403
    assert bookings(site)[0].status == Status.CONFIRMED


def test_a_token_from_another_staff_session_is_refused(site: Site) -> None:
    assert book(site).status_code == 201
    site.clock.moment = datetime(2026, 6, 3, 10, 20, tzinfo=TOKYO)
    log_in(site, "suzuki")
    other = csrf_of(day_view(site).text)
    site.client.cookies.clear()
    log_in(site, "tanaka")
    (booking,) = bookings(site)
    assert press(site, booking, Status.ATTENDED, token=other).status_code == 403
    assert bookings(site)[0].status == Status.CONFIRMED


def test_no_show_only_after_ten_minutes_then_the_limit_blocks_until_lifted(site: Site) -> None:
    assert book(site).status_code == 201
    assert book(site, SLOT.replace(minute=30)).status_code == 201
    first, second = bookings(site)
    site.clock.moment = datetime(2026, 6, 3, 10, 9, tzinfo=TOKYO)
    log_in(site)
    early = press(site, first, Status.NO_SHOW)
    assert early.status_code == 422
    assert bookings(site)[0].status == Status.CONFIRMED
    site.clock.moment = datetime(2026, 6, 3, 10, 41, tzinfo=TOKYO)
    assert press(site, first, Status.NO_SHOW).status_code == 200
    assert press(site, second, Status.NO_SHOW).status_code == 200
    page = day_view(site)
    assert "オンライン予約を停止中（連絡のない欠席 2回）" in page.text
    # The job seeker's next online booking is refused (Friday, 2 business days ahead).
    friday = datetime(2026, 6, 5, 10, 0, tzinfo=TOKYO)
    refused = book(site, friday)
    assert refused.status_code == 422
    assert "オンラインでの予約を止めています" in refused.text
    lifted = site.client.post("/staff/blocks/lift", data={
        "csrf_token": csrf_of(page.text), "reference": first.reference, **DAY})
    assert lifted.status_code == 200, lifted.text
    assert "停止を解除しました" in lifted.text
    assert book(site, friday).status_code == 201


def test_lifting_needs_something_to_find_the_job_seeker_by(site: Site) -> None:
    log_in(site)
    token = csrf_of(day_view(site).text)
    empty = site.client.post("/staff/blocks/lift", data={"csrf_token": token, **DAY})
    assert empty.status_code == 422
    nobody = site.client.post("/staff/blocks/lift", data={
        "csrf_token": token, "email": "nobody@example.jp", **DAY})
    assert nobody.status_code == 404
    refused = site.client.post("/staff/blocks/lift", data={"email": "x@example.jp", **DAY})
    assert refused.status_code == 403


# -- reports, bundles, CSV ------------------------------------------------------------------------

def test_the_stored_report_opens_as_a_page(site: Site) -> None:
    assert book(site, statuses={"software.browser": CheckStatus.WARN}).status_code == 201
    log_in(site)
    (booking,) = bookings(site)
    page = site.client.get(f"/staff/bookings/{booking.id}/report")
    assert page.status_code == 200
    assert "ブラウザーが最新" in page.text
    assert "<script" not in page.text
    missing = site.client.get(f"/staff/bookings/{booking.id}/report", params={"checkin": 1})
    assert missing.status_code == 404
    assert site.client.get("/staff/bookings/9999/report").status_code == 404


def zipped(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()


def test_a_diagnostic_bundle_is_replayed_and_shown(site: Site) -> None:
    log_in(site)
    token = csrf_of(day_view(site).text)
    data = zipped(FIXTURES / "firewall-windows11-ja")
    page = site.client.post("/staff/bundle", data={"csrf_token": token},
                            files={"bundle": ("bundle.zip", data, "application/zip")})
    assert page.status_code == 200, page.text[:500]
    assert "ファイアウォール" in page.text
    assert "sha256:" in page.text  # the bundle's digest names what was judged


def test_a_broken_bundle_gets_a_message(site: Site) -> None:
    log_in(site)
    token = csrf_of(day_view(site).text)
    page = site.client.post("/staff/bundle", data={"csrf_token": token},
                            files={"bundle": ("mine.zip", b"not a zip", "application/zip")})
    assert page.status_code == 422
    assert "診断用のファイルを読めませんでした" in page.text
    assert "mine.zip" in page.text
    assert "precheck-bundle-" not in page.text  # the server's temporary folder stays hidden
    forged = site.client.post("/staff/bundle",
                              files={"bundle": ("b.zip", b"x", "application/zip")})
    assert forged.status_code == 403


def test_the_day_exports_as_csv_without_formulas(site: Site) -> None:
    assert book(site, person={**PERSON, "name": "=HYPERLINK(\"http://x\")"}).status_code == 201
    log_in(site)
    answer = site.client.get("/staff/export.csv", params=DAY)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    text = answer.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["予約番号", "開始", "終了"]
    (booking,) = bookings(site)
    assert rows[1][0] == booking.reference
    assert rows[1][1] == "2026-06-03T10:00+09:00"
    assert rows[1][4] == "'=HYPERLINK(\"http://x\")"
    assert rows[1][9] == "pass"
    assert len(rows) == 2


def test_password_guessing_is_slowed_down_per_address(site: Site) -> None:
    page = site.client.get("/staff/login")
    token = csrf_of(page.text)
    answers = [site.client.post("/staff/login", data={
        "csrf_token": token, "username": "tanaka", "password": f"guess number {n}"},
        follow_redirects=False).status_code for n in range(11)]
    assert answers[:10] == [401] * 10
    assert answers[10] == 429
    # Even the right password waits now.
    right = site.client.post("/staff/login", data={
        "csrf_token": token, "username": "tanaka", "password": PASSWORD},
        follow_redirects=False)
    assert right.status_code == 429
    assert "precheck_staff" not in right.cookies


def test_a_refused_address_is_shown_to_staff_and_the_page_never_said_sent(
        site: Site) -> None:
    """A mail the server refuses for good (550): the page never said "sent", and staff see on
    their day view that the job seeker must be phoned (a real SMTP server, aiosmtpd)."""
    from aiosmtpd.controller import Controller

    from precheck.gateway import mail_sender
    from tests.gateway.test_mail import Mailbox, free_port, with_smtp

    booked = book(site)
    assert booked.status_code == 201
    assert "送りました" not in booked.text  # the mail leaves later, through the outbox
    assert "お送りします" in booked.text
    log_in(site)
    assert "連絡が必要です" not in day_view(site).text  # nothing failed yet

    mailbox = Mailbox()
    mailbox.answer = "550 5.1.1 No such user here"
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        settings = site.gateway.settings
        counts = mail_sender.send_due(session_factory(site.engine),
                                      with_smtp(settings, controller.port),
                                      site.clock.moment + timedelta(seconds=1))
    finally:
        controller.stop()
    assert (counts.sent, counts.failed) == (0, 1)
    assert mailbox.messages == []
    page = day_view(site)
    assert "メールが届きませんでした" in page.text
    assert "電話で連絡が必要です" in page.text

"""Staff run a day from the console in a real headless Chromium (Playwright, /usr/bin/chromium)
against a real uvicorn server: a phone booking, the office's meeting address, a closure, a move
(the job seeker is mailed), then attended and no-show on the day view; and the job seeker moves
their own booking through the emailed link.

Without chromium the tests skip with the reason, except under CI=true, where they fail.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from precheck.gateway.db import session_factory
from precheck.gateway.deps import STATE
from precheck.gateway.models import BookingEvent, Closure, OutboxMail, Status
from precheck.gateway.offices import TOKYO
from precheck.gateway.service import BookingForm
from tests.gateway import test_pages_browser as browser
from tests.gateway.conftest import make_report, memory_identity
from tests.gateway.test_pages_browser import PASSWORD, Server

#: The real server and the Chromium page of the job seeker's browser tests.
server = browser.server
page = browser.page

DAY = "2026-06-03"  # a Wednesday; the test's clock starts on Monday 1 June, 09:00


def book_online(server: Server, start: datetime, email: str) -> Any:
    """A job seeker's own booking (a challenge, a signed report, the form), as the API makes it."""
    state = getattr(server.app.state, STATE)
    with session_factory(server.engine)() as db:
        issued = state.gateway.issue_challenge(db, "namerikawa", server.clock.moment)
        report = make_report(memory_identity(), issued.nonce, created=server.clock.moment)
        form = BookingForm(start=start, name="滑川 太郎", email=email,
                           jobseeker_number="16070-123456")
        return state.gateway.create_booking(db, "namerikawa", form, report, server.clock.moment)


def mail_kinds(server: Server) -> list[str]:
    with session_factory(server.engine)() as db:
        return [m.kind for m in db.execute(select(OutboxMail).order_by(OutboxMail.id)).scalars()]


def log_in(page: Any, server: Server) -> None:
    page.goto(f"{server.url}/staff/login")
    page.fill("#username", "tanaka")
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.get_by_role("button", name="表示").wait_for()


def test_staff_run_a_day_from_the_console(server: Server, page: Any) -> None:
    online = book_online(server, datetime(2026, 6, 3, 10, 0, tzinfo=TOKYO), "taro@example.jp")
    log_in(page, server)
    page.goto(f"{server.url}/staff/desk?office=namerikawa&day={DAY}")
    assert "窓口業務" in page.locator("h1").inner_text()

    # Someone phones: book 11:00 for them.
    page.select_option("#book-start", "11:00")
    page.fill("#book-name", "電話 花子")
    page.fill("#book-email", "hanako@example.jp")
    page.fill("#book-phone", "090-0000-1111")
    page.fill("#book-number", "16070-654321")
    page.locator("#book-form").get_by_role("button", name="予約する").click()
    page.get_by_text("予約しました").wait_for()
    phone_row = page.locator("tr", has_text="電話 花子")
    assert "職員が電話で予約" in phone_row.inner_text()

    # The office's meeting address, for every booking without its own.
    page.fill("#office-meeting", "https://teleoffice.example/room/7")
    page.locator("#office-meeting-form").get_by_role("button", name="保存する").click()
    page.get_by_text("接続先を保存しました。").wait_for()

    # Close the afternoon for a training.
    page.locator("#close-form").get_by_label("午後（12:00から）").check()
    page.fill("#close-reason", "職員研修")
    page.locator("#close-form").get_by_role("button", name="受付を休止する").click()
    page.get_by_text("1件の時間帯を休止にしました。").wait_for()
    assert "職員研修" in page.locator("ul.closures").inner_text()

    # Move the online booking from 10:00 to 10:30; its job seeker is mailed.
    row = page.locator(f"#desk-{online.booking.id}")
    row.locator("select").select_option("10:30")
    row.get_by_role("button", name="変更する").click()
    page.get_by_text(f"{online.booking.reference} を 2026-06-03 10:30 に変更し").wait_for()

    # The afternoon is gone from the job seekers' page.
    page.goto(f"{server.url}/offices/namerikawa?day={DAY}")
    links = page.locator('a[href*="start=2026-06-03T"]')
    starts = {href.split("start=")[1][11:16] for href in
              (links.nth(i).get_attribute("href") or "" for i in range(links.count()))}
    assert "11:30" in starts
    assert not {"13:00", "15:30"} & starts

    # On the day: attended and no-show from the day view.
    server.clock.moment = datetime(2026, 6, 3, 11, 15, tzinfo=TOKYO)
    log_in(page, server)  # two days later: yesterday's login has ended
    page.goto(f"{server.url}/staff/desk?office=namerikawa&day={DAY}")
    page.get_by_role("link", name="日別の一覧（出席・レポート）").click()
    page.locator(f"#booking-{online.booking.id}").get_by_role("button", name="相談した").click()
    page.get_by_text(f"{online.booking.reference} は「相談済み」になりました。").wait_for()
    phone = page.locator("tr", has_text="電話 花子")
    phone.get_by_role("button", name="欠席（連絡なし）").click()
    page.get_by_text("「連絡なしの欠席」になりました。").wait_for()

    statuses = {b.name: (b.status, b.slot_start.astimezone(TOKYO).strftime("%H:%M"))
                for b in server.bookings()}
    assert statuses == {"滑川 太郎": (Status.ATTENDED, "10:30"),
                        "電話 花子": (Status.NO_SHOW, "11:00")}
    with session_factory(server.engine)() as db:
        [closure] = db.execute(select(Closure)).scalars().all()
        details = [e.detail for e in db.execute(select(BookingEvent)).scalars() if e.detail]
    assert closure.reason == "職員研修"
    assert closure.created_by.startswith("staff:")
    assert "moved from 2026-06-03T10:00+09:00" in details
    assert mail_kinds(server) == ["booked", "booked", "moved"]


def test_the_job_seeker_changes_the_time_through_the_emailed_link(
        server: Server, page: Any) -> None:
    online = book_online(server, datetime(2026, 6, 3, 10, 0, tzinfo=TOKYO), "taro@example.jp")
    page.goto(server.link("manage"))
    assert online.booking.reference in page.locator(".reference").inner_text()
    page.get_by_role("link", name="2026年6月5日（金）").click()
    page.get_by_role("button", name="14:00に変更する").click()
    page.get_by_text("予約を2026年6月5日（金） 14:00に変更しました。").wait_for()
    [booking] = server.bookings()
    assert booking.slot_start == datetime(2026, 6, 5, 14, 0, tzinfo=TOKYO)
    assert mail_kinds(server) == ["booked", "moved"]

"""The pages in a real headless Chromium (Playwright, Debian's /usr/bin/chromium) against a real
uvicorn server: book, confirm, cancel, staff login and the day view, as a person clicks them.

Without chromium the tests skip with the reason, except under CI=true, where they fail.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from precheck.gateway import auth
from precheck.gateway.db import session_factory
from precheck.gateway.deps import STATE
from precheck.gateway.models import Booking, Status
from precheck.gateway.offices import TOKYO
from tests.gateway.conftest import make_report, memory_identity
from tests.gateway.pages_support import Clock, mailed_link, settings_for

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "correct horse battery staple"


def need_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("CI") == "true":
        pytest.fail("chromium is not installed at /usr/bin/chromium: .ci/run must install it")
    pytest.skip("needs Debian's chromium package (apt-get install chromium)")


@dataclass
class Server:
    url: str
    clock: Clock
    engine: Any
    app: Any

    def bookings(self) -> list[Booking]:
        with session_factory(self.engine)() as db:
            return list(db.execute(select(Booking).order_by(Booking.id)).scalars())

    def link(self, kind: str) -> str:
        return self.url + mailed_link(self.engine, self.app, kind)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """create_app served by uvicorn on 127.0.0.1 in a thread, with a test clock."""
    need_chromium()
    import uvicorn

    from precheck.gateway.app import create_app

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    clock = Clock()
    app = create_app(settings_for(tmp_path / "gateway.sqlite3", public_url=url, port=port),
                     clock=clock)
    state = getattr(app.state, STATE)
    with session_factory(state.engine)() as db:
        auth.create_staff(db, "tanaka", PASSWORD, clock.moment)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            lifespan="on")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield Server(url, clock, state.engine, app)
    finally:
        running.should_exit = True
        thread.join(timeout=20)


@pytest.fixture
def page(server: Server) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = browser.new_context(locale="ja-JP", timezone_id="America/New_York")
        tab = context.new_page()
        tab.set_default_timeout(15000)
        try:
            yield tab
        finally:
            context.close()
            browser.close()


def fill_booking(page: Any, server: Server, tmp_path: Path, fields: dict[str, str]) -> None:
    """On the form page: run 'precheck' (a signed report for the shown code) and send it."""
    nonce = page.locator("#nonce").inner_text().strip()
    report = tmp_path / "precheck-report.json"
    report.write_text(json.dumps(make_report(memory_identity(), nonce,
                                             created=server.clock.moment)), encoding="utf-8")
    for name, value in fields.items():
        page.fill(f"#f-{name}", value)
    page.set_input_files("#f-report", str(report))
    page.get_by_role("button", name="予約する").click()


def test_book_confirm_and_cancel_in_a_browser(server: Server, page: Any,
                                              tmp_path: Path) -> None:
    # The browser is set to New York time: the slots still show in Japan time.
    page.goto(f"{server.url}/offices/tenmonkan")
    assert page.locator("h1").inner_text() == "ワークプラザ天文館"
    page.locator('a[href*="start=2026-06-03T10:00"]').click()
    page.get_by_role("button", name="コードを受け取って進む").click()
    fill_booking(page, server, tmp_path, {
        "name": "天文館 花子", "email": "hanako@example.jp", "phone": "090-1234-5678",
        "jobseeker_number": "４６０１０ー１２３４５６"})
    page.get_by_text("メールを確認してください").wait_for()
    assert [b.status for b in server.bookings()] == [Status.PENDING]

    # The emailed link opens a page; only the button confirms.
    page.goto(server.link("confirm"))
    page.get_by_role("button", name="予約を確定する").wait_for()
    assert [b.status for b in server.bookings()] == [Status.PENDING]
    page.get_by_role("button", name="予約を確定する").click()
    page.get_by_text("予約が確定しました").first.wait_for()
    assert [b.status for b in server.bookings()] == [Status.CONFIRMED]
    assert "2026年6月3日（水） 10:00" in page.content()

    # The completion page's cancel link, then its button.
    page.get_by_role("link", name="この予約を取り消す").click()
    page.get_by_role("button", name="予約を取り消す").click()
    page.get_by_text("予約を取り消しました").first.wait_for()
    assert [b.status for b in server.bookings()] == [Status.CANCELLED_BY_USER]


def test_a_same_day_cancel_shows_the_phone_number_in_a_browser(server: Server, page: Any,
                                                               tmp_path: Path) -> None:
    page.goto(f"{server.url}/offices/namerikawa")
    page.locator('a[href*="start=2026-06-03T14:30"]').click()
    page.get_by_role("button", name="コードを受け取って進む").click()
    fill_booking(page, server, tmp_path, {
        "name": "滑川 太郎", "email": "taro@example.jp", "jobseeker_number": "16070-123456"})
    page.get_by_text("予約が完了しました").first.wait_for()
    server.clock.moment = datetime(2026, 6, 3, 8, 0, tzinfo=TOKYO)
    page.goto(server.link("cancel"))
    page.get_by_text("当日のキャンセルは電話でのみ受け付けます").wait_for()
    assert page.locator('a[href="tel:0764750324"]').count() >= 1
    assert page.get_by_role("button", name="予約を取り消す").count() == 0
    assert [b.status for b in server.bookings()] == [Status.CONFIRMED]


def test_staff_log_in_see_the_day_and_mark_attended_in_a_browser(server: Server, page: Any,
                                                                 tmp_path: Path) -> None:
    page.goto(f"{server.url}/offices/namerikawa")
    page.locator('a[href*="start=2026-06-03T10:00"]').click()
    page.get_by_role("button", name="コードを受け取って進む").click()
    fill_booking(page, server, tmp_path, {
        "name": "滑川 太郎", "email": "taro@example.jp", "jobseeker_number": "16070-123456"})
    page.get_by_text("予約が完了しました").first.wait_for()
    (booking,) = server.bookings()

    server.clock.moment = datetime(2026, 6, 3, 10, 5, tzinfo=TOKYO)
    page.goto(f"{server.url}/staff")
    page.fill("#username", "tanaka")
    page.fill("#password", "wrong password here")
    page.get_by_role("button", name="ログイン").click()
    page.get_by_text("ユーザー名かパスワードが違います。").wait_for()
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.select_option("#office", "namerikawa")
    page.fill("#day", "2026-06-03")
    page.get_by_role("button", name="表示").click()
    row = page.locator(f"#booking-{booking.id}")
    row.wait_for()
    assert booking.reference in row.inner_text()
    assert "準備できています" in row.inner_text()
    row.get_by_role("button", name="相談した").click()
    page.get_by_text(f"{booking.reference} は「相談済み」になりました。").wait_for()
    assert [b.status for b in server.bookings()] == [Status.ATTENDED]
    page.get_by_role("link", name="English").click()
    page.get_by_text("Staff console").first.wait_for()


def test_the_booking_form_fits_a_phone_and_its_command_is_complete(server: Server,
                                                                    page: Any) -> None:
    """At 390 px (a common phone) nothing is wider than the screen; the command names this
    gateway (--gateway) and a code that cannot be taken for an option."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{server.url}/offices/tenmonkan")
    page.locator('a[href*="start=2026-06-03T10:00"]').click()
    page.get_by_role("button", name="コードを受け取って進む").click()
    page.locator("#nonce").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    command = page.locator("pre.command").inner_text()
    nonce = page.locator("#nonce").inner_text().strip()
    assert command.split() == ["precheck", "run", "--gateway", server.url, "--challenge", nonce,
                               "--report", "precheck-report.json"]
    assert not nonce.startswith("-")
    assert "「予約する」を押すだけ" in page.locator("main").inner_text()

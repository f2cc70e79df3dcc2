"""The browser check (/check) in a real headless Chromium with fake media, against uvicorn.

Chromium's fake devices play real files: videos made by ffmpeg (a moving test pattern, black, a
frozen still, a dark picture) and sounds made by espeak-ng and sox (speech, silence, clipping;
tests/devices_media.py). Phones are emulated through the viewport, the User-Agent and the Client
Hints (Chrome DevTools' Emulation.setUserAgentOverride, as DevTools' device mode does). Without
chromium, ffmpeg, espeak-ng or sox the tests skip with the reason, except under CI=true.

Screenshots of the page at 390x844 and 1280x900 are written to ``PRECHECK_SCREENSHOTS`` when it
is set (a folder), so a person can look at them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from precheck.gateway.db import session_factory
from precheck.gateway.models import BrowserCheck
from precheck.reports.signing import verify
from tests.devices_media import need, run
from tests.devices_media import sounds as sounds  # noqa: PLC0414 - a fixture used here
from tests.gateway.test_pages_browser import ARGS, CHROMIUM, PASSWORD, Server
from tests.gateway.test_pages_browser import server as server  # noqa: PLC0414 - a fixture

START = "2026-06-03T10:00"
ANDROID_UA = ("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/142.0.0.0 Mobile Safari/537.36")
ANDROID_HINTS = {
    "brands": [{"brand": "Google Chrome", "version": "142"},
               {"brand": "Not_A Brand", "version": "99"}],
    "fullVersionList": [{"brand": "Google Chrome", "version": "142.0.7444.60"},
                        {"brand": "Not_A Brand", "version": "99.0.0.0"}],
    "platform": "Android", "platformVersion": "16.0.0", "architecture": "", "model": "Pixel 8",
    "mobile": True,
}
IPHONE_UA = ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 "
             "(KHTML, like Gecko) Version/26.1 Mobile/15E148 Safari/604.1")
DESKTOP_UA = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/142.0.0.0 Safari/537.36")


@pytest.fixture(scope="session")
def camera_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Y4M files for Chromium's fake camera (it reads Y4M and MJPEG), 640x480 at 15 fps."""
    need("ffmpeg")
    folder = tmp_path_factory.mktemp("camera")
    sources = {
        "normal": ["-f", "lavfi", "-i", "testsrc2=size=640x480:rate=15"],
        "black": ["-f", "lavfi", "-i", "color=c=black:size=640x480:rate=15"],
        "dark": ["-f", "lavfi", "-i", "testsrc2=size=640x480:rate=15", "-vf",
                 "eq=brightness=-0.6"],
    }
    made = {}
    for name, args in sources.items():
        made[name] = folder / f"{name}.y4m"
        run("ffmpeg", "-v", "error", "-y", *args, "-t", "3", "-pix_fmt", "yuv420p",
            str(made[name]))
    still = folder / "still.png"
    run("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=640x480",
        "-frames:v", "1", str(still))
    made["frozen"] = folder / "frozen.y4m"
    run("ffmpeg", "-v", "error", "-y", "-loop", "1", "-framerate", "15", "-i", str(still),
        "-t", "3", "-pix_fmt", "yuv420p", str(made["frozen"]))
    return made


@dataclass
class Phone:
    """One emulated device in Chromium with a fake camera and microphone."""

    page: Any
    server: Server

    def open(self, query: str = f"office=tenmonkan&start={START}") -> None:
        self.page.goto(f"{self.server.url}/check?{query}")

    def run_check(self, *, heard: bool = True, declare: bool = True, shots: str = "") -> None:
        """Press through every step as a person would (``shots``: name screenshots so)."""
        page = self.page
        page.get_by_role("button", name="始める").click()
        for step in ("camera", "microphone"):
            ready = page.locator(f"#step-{step} button.next:not([disabled])")
            ready.wait_for(timeout=30000)
            if shots:
                self.shot(f"{shots}-{step}")
            ready.click()
        page.get_by_role("button", name="音を鳴らす").click()
        if shots:
            self.shot(f"{shots}-speaker")
        page.get_by_role("button", name="はい" if heard else "いいえ").click()
        ready = page.locator("#step-connection button.next:not([disabled])")
        ready.wait_for(timeout=60000)
        if shots:
            self.shot(f"{shots}-connection")
        ready.click()
        if declare:
            for box in page.locator("#declaration-list input[type=checkbox]").all():
                box.check()
        if shots:
            self.shot(f"{shots}-declarations")
        page.get_by_role("button", name="結果を見る").click()
        page.locator("#verdict:not([hidden])").wait_for(timeout=30000)

    def shot(self, name: str) -> None:
        folder = os.environ.get("PRECHECK_SCREENSHOTS")
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


@pytest.fixture
def browser_for(server: Server, camera_files: dict[str, Path], sounds: dict[str, Path]
                ) -> Iterator[Any]:
    """``browser_for(video, sound, device)`` opens a page on an emulated device."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        opened: list[Any] = []

        def make(video: str = "normal", sound: str = "speech", device: str = "android", *,
                 allow: bool = True) -> Phone:
            args = [*ARGS, "--use-fake-device-for-media-stream",
                    f"--use-file-for-fake-video-capture={camera_files[video]}",
                    f"--use-file-for-fake-audio-capture={sounds[sound]}",
                    "--autoplay-policy=no-user-gesture-required"]
            if allow:
                args.append("--use-fake-ui-for-media-stream")
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=args)
            opened.append(browser)
            desktop = device == "desktop"
            context = browser.new_context(
                locale="ja-JP", viewport={"width": 1280, "height": 900} if desktop else
                {"width": 390, "height": 844}, device_scale_factor=1 if desktop else 2,
                is_mobile=not desktop, has_touch=not desktop,
                user_agent={"android": ANDROID_UA, "iphone": IPHONE_UA,
                            "desktop": DESKTOP_UA}[device])
            page = context.new_page()
            page.set_default_timeout(20000)
            if device == "android":
                cdp = context.new_cdp_session(page)
                cdp.send("Emulation.setUserAgentOverride",
                         {"userAgent": ANDROID_UA, "userAgentMetadata": ANDROID_HINTS})
            return Phone(page, server)

        try:
            yield make
        finally:
            for browser in opened:
                browser.close()


def stored_reports(server: Server) -> list[dict[str, Any]]:
    with session_factory(server.engine)() as db:
        return [row.report for row in db.execute(
            select(BrowserCheck).order_by(BrowserCheck.id)).scalars() if row.report]


def staff_day_row(page: Any, server: Server, booking_id: int) -> str:
    """What staff see of a booking in the day view."""
    page.goto(f"{server.url}/staff")
    page.fill("#username", "tanaka")
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.select_option("#office", "tenmonkan")
    page.fill("#day", "2026-06-03")
    page.get_by_role("button", name="表示").click()
    text: str = page.locator(f"#booking-{booking_id}").inner_text()
    return text


def test_an_android_phone_checks_and_books_and_the_gate_refuses_a_second_use(
        browser_for: Any, server: Server) -> None:
    phone = browser_for("normal", "speech", "android")
    phone.open()
    assert phone.page.locator("h1").inner_text() == "スマートフォンの確認"
    phone.shot("check-start-390x844")
    phone.run_check(shots="check-390x844")
    page = phone.page
    phone.shot("check-result-pass-390x844")
    assert page.locator(".verdict-word").inner_text() == "予約できます"
    assert page.locator("#blocking").is_hidden()
    report = stored_reports(server)[-1]
    assert report["source"]["kind"] == "browser"
    assert report["platform"]["os"] == "android"
    assert report["platform"]["version"] == "16.0"
    assert report["platform"]["device"] == "phone"
    assert "Chrome 142" in (report["platform"]["edition"] or "")
    assert "Mozilla" not in str(report)  # the User-Agent string is never stored
    statuses = {c["id"]: c["status"] for c in report["checks"]}
    assert statuses["device.camera"] == "pass", report["checks"]
    assert statuses["device.microphone"] == "pass"
    assert statuses["device.speaker"] == "pass"
    assert statuses["network.quality"] == "pass"
    assert statuses["os.support"] == "pass"
    quality = next(c for c in report["checks"] if c["id"] == "network.quality")
    assert quality["evidence"]["download_mbit"] > 5  # loopback: far above any threshold
    verify(report)  # signed, by the gateway's own key
    # On to the booking form: the report is attached, no file to upload.
    page.get_by_role("link", name="次へ：予約の入力").click()
    assert page.locator("#f-report").count() == 0
    fields = {"name": "山田 花子", "jobseeker_number": "12345-6789012",
              "email": "hanako@example.jp", "phone": "090-1234-5678"}
    for name, value in fields.items():
        if page.locator(f"#f-{name}").count():
            page.fill(f"#f-{name}", value)
    page.get_by_role("button", name="予約する").click()
    assert "メール" in page.locator("h1").inner_text() or "予約" in page.locator("h1").inner_text()
    bookings = server.bookings()
    assert len(bookings) == 1
    assert bookings[0].report["source"]["kind"] == "browser"
    # The same report cannot book a second time: the gate refuses, in Japanese. (Another
    # person's details, so that the limit of one live booking per person is not what refuses.)
    page.goto(f"{server.url}/offices/tenmonkan/book?start=2026-06-03T11:00")
    fields = {"name": "鹿児島 次郎", "jobseeker_number": "12345-6789013",
              "email": "jiro@example.jp", "phone": "090-1234-5679"}
    for name, value in fields.items():
        if page.locator(f"#f-{name}").count():
            page.fill(f"#f-{name}", value)
    page.get_by_role("button", name="予約する").click()
    problems = page.locator(".problems").inner_text()
    assert "予約できませんでした" in problems or "使われています" in problems, problems
    assert "使われています" in problems
    assert len(server.bookings()) == 1
    assert "ブラウザーでの確認のレポート" in staff_day_row(page, server, bookings[0].id)


def test_a_covered_camera_and_a_silent_microphone_are_told_what_to_fix(
        browser_for: Any, server: Server) -> None:
    phone = browser_for("black", "silence", "iphone")
    phone.open()
    phone.run_check()
    phone.shot("check-result-fail-390x844")
    page = phone.page
    assert page.locator(".verdict-word").inner_text() == "予約できません"
    blocking = page.locator("#blocking-list").inner_text()
    assert "黒" in blocking or "ふさが" in blocking, blocking  # the camera's reason, in Japanese
    assert page.locator("#continue").is_hidden()
    report = stored_reports(server)[-1]
    statuses = {c["id"]: c["status"] for c in report["checks"]}
    assert statuses["device.camera"] == "fail"
    assert statuses["device.microphone"] == "fail"
    assert report["platform"] == {"os": "ios", "id": "ios", "name": "iOS", "version": "26.1",
                                  "build": None, "edition": "Safari 26.1", "arch": None,
                                  "device": "phone"}


@pytest.mark.parametrize(("media", "expected"), [
    (("frozen", "clipping"), ("fail", "warn")),
    (("dark", "speech"), ("warn", "pass")),
])
def test_frozen_dark_and_clipping_are_judged_as_the_app_judges_them(
        browser_for: Any, server: Server, media: tuple[str, str],
        expected: tuple[str, str]) -> None:
    video, sound = media
    camera, microphone = expected
    phone = browser_for(video, sound, "android")
    phone.open()
    phone.run_check()
    report = stored_reports(server)[-1]
    statuses = {c["id"]: c["status"] for c in report["checks"]}
    assert (statuses["device.camera"], statuses["device.microphone"]) == (camera, microphone), [
        (c["id"], c["summary"]["text"]["en"], c["evidence"]) for c in report["checks"]
        if c["id"].startswith("device.")]


def test_a_refused_camera_permission_shows_the_phone_settings(
        browser_for: Any, server: Server) -> None:
    phone = browser_for("normal", "speech", "iphone", allow=False)
    phone.open()
    page = phone.page
    page.get_by_role("button", name="始める").click()
    denied = page.locator("#camera-denied")
    denied.wait_for(state="visible", timeout=30000)
    text = denied.inner_text()
    assert "Safari" in text
    assert "Chrome" in text
    phone.shot("check-camera-denied-390x844")


def test_a_computer_is_sent_to_the_app_and_cannot_book_with_the_browser(
        browser_for: Any, server: Server) -> None:
    phone = browser_for("normal", "speech", "desktop")
    phone.open()
    page = phone.page
    assert page.locator("#pc-note").is_visible()
    phone.shot("check-start-1280x900")
    phone.run_check()
    phone.shot("check-result-1280x900")
    assert page.locator(".verdict-word").inner_text() == "予約できません"
    report = stored_reports(server)[-1]
    assert report["platform"]["device"] == "pc"
    ids = {c["id"] for c in report["checks"]}
    assert {"declaration.firewall", "declaration.antivirus"} <= ids

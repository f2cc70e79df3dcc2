"""The browser check's report: device and OS reading, the OS's support, and the gate's source rule.

User-Agent strings follow real browsers' published strings: Chrome's reduced Android string
("Android 10; K", chromium.org "User-Agent Reduction"), Safari 26 on iPhone with its frozen
"iPhone OS 18_6" token (WebKit, "WebKit features in Safari 26.0", as quoted by pxlnv.com;
"18_7" from iOS 26.2), Chrome on iOS (CriOS), iPadOS Safari in its default desktop mode
("Macintosh" with touch). Figures posted by the page are
INVENTED (a passing phone), judged by the real checks and signed by the real gateway key.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from precheck import declarations, policy
from precheck.gateway import browser_device, browser_facts, gate, sources
from precheck.gateway.browser_check import signer
from precheck.gateway.settings import GatewaySettings
from precheck.reports.signing import Identity
from precheck.result import Message
from precheck.runner import CheckMeta

ANDROID_REDUCED = ("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
                   "Chrome/142.0.0.0 Mobile Safari/537.36")
ANDROID_TABLET = ("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/142.0.0.0 Safari/537.36")
SAFARI_26 = ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 "
             "(KHTML, like Gecko) Version/26.1 Mobile/15E148 Safari/604.1")
SAFARI_17 = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_7 like Mac OS X) AppleWebKit/605.1.15 "
             "(KHTML, like Gecko) Version/17.7 Mobile/15E148 Safari/604.1")
CHROME_IOS = ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 "
              "(KHTML, like Gecko) CriOS/142.0.7444.46 Mobile/15E148 Safari/604.1")
IPAD_DESKTOP = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, "
                "like Gecko) Version/26.0 Safari/605.1.15")
WINDOWS_CHROME = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like "
                  "Gecko) Chrome/142.0.0.0 Safari/537.36")
HINTS_ANDROID_16 = {"platform": "Android", "platformVersion": "16.0.0", "mobile": True,
                    "fullVersionList": [{"brand": "Not_A Brand", "version": "99.0.0.0"},
                                        {"brand": "Google Chrome", "version": "142.0.7444.60"}]}


@pytest.mark.parametrize(("ua", "hints", "touch", "expected"), [
    (ANDROID_REDUCED, HINTS_ANDROID_16, 5, ("android", (16, 0), "Chrome 142", "phone")),
    (ANDROID_REDUCED, {}, 5, ("android", None, "Chrome 142", "phone")),  # reduced: unknown
    (ANDROID_TABLET, {}, 5, ("android", None, "Chrome 142", "tablet")),
    (SAFARI_26, {}, 5, ("ios", (26, 1), "Safari 26.1", "phone")),
    (SAFARI_17, {}, 5, ("ios", (17, 7), "Safari 17.7", "phone")),
    (CHROME_IOS, {}, 5, ("ios", None, "Chrome 142", "phone")),  # the frozen token: unknown
    (CHROME_IOS.replace("18_6", "18_7"), {}, 5, ("ios", None, "Chrome 142", "phone")),
    (CHROME_IOS.replace("18_6", "17_7"), {}, 5, ("ios", (17, 7), "Chrome 142", "phone")),
    (IPAD_DESKTOP, {}, 5, ("ipados", (26, 0), "Safari 26.0", "tablet")),
    (IPAD_DESKTOP, {}, 0, ("macos", None, "Safari 26.0", "pc")),  # a Mac has no touch screen
    (WINDOWS_CHROME, {"platform": "Windows", "platformVersion": "19.0.0"}, 0,
     ("windows", (19, 0), "Chrome 142", "pc")),
])
def test_the_device_is_read_from_client_hints_or_the_user_agent(
        ua: str, hints: dict[str, Any], touch: int,
        expected: tuple[str, tuple[int, int] | None, str, str]) -> None:
    device = browser_device.read_device(ua, hints, touch)
    assert (device.os, device.version, device.browser, device.device_class) == expected


LINES = {"ios": [{"major": 26, "support": "current"}, {"major": 18, "support": "security"}],
         "ipados": [{"major": 26, "support": "current"}],
         "android": [{"major": 16, "support": "current"}, {"major": 15, "support": "security"}]}
META = CheckMeta("os.support", "5(3)", True, Message.of("Operating system support"))


@pytest.mark.parametrize(("os_id", "version", "status"), [
    ("ios", (26, 1), "pass"), ("ios", (27, 0), "pass"), ("ios", (18, 7), "warn"),
    ("ios", (17, 7), "fail"), ("android", (15, 0), "warn"), ("android", (13, 0), "fail"),
    ("android", None, "error"), ("windows", (19, 0), "error"), ("", None, "error"),
])
def test_the_os_is_judged_by_the_mobile_lifecycle(os_id: str, version: tuple[int, int] | None,
                                                  status: str) -> None:
    device = browser_device.Device(os_id, os_id, version, "", "phone", "test")
    outcome = browser_device.support_outcome(device, LINES, META)
    assert str(outcome.result.status) == status
    if status != "pass":
        assert outcome.result.fix, "anything short of a pass says what to do"


def test_the_shipped_lifecycle_has_ios_ipados_and_android() -> None:
    lines = policy.builtin().section("os.mobile_lifecycle")
    for os_id in ("ios", "ipados", "android"):
        assert any(line["support"] == "current" for line in lines[os_id])


# -- the report and the gate ---------------------------------------------------------------------

def figures(**changes: Any) -> browser_facts.Finished:
    """INVENTED figures of a phone whose camera, microphone and speaker work."""
    frame = [120.0, 50.0, 0.85, 8.0]
    body: dict[str, Any] = {
        "camera": {"state": "ok", "width": 1280, "height": 720, "fps": 30.0,
                   "frames": [[120.0, 50.0, None, None]] + [frame] * 29},
        "microphone": {"state": "ok", "samplerate": 48000, "levels": {
            "seconds": 3.5, "rms_dbfs": -28.0, "peak_dbfs": -6.0, "noise_floor_dbfs": -55.0,
            "loudest_window_dbfs": -18.0, "longest_clip_run": 0, "clipped_samples": 0}},
        "speaker": {"played": True, "heard": True},
        "device": {"touch_points": 5},
        "network_type": "cellular",
        "declarations": {d.id: True for d in declarations.PC_BROWSER_DECLARATIONS},
    }
    body.update(changes)
    return browser_facts.Finished.model_validate(body)


CONNECTION = {"target": "gateway", "latency": {"min_ms": 30.0, "median_ms": 35.0, "samples": 10},
              "download": {"mbit": 20.0, "steady": True, "streams": 1},
              "upload": {"mbit": 8.0, "steady": True, "streams": 1},
              "udp": {"measured": False, "reason": "browser"}, "duration_s": 9.0}
NOW = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)


def browser_report(ua: str, key: Identity, found: browser_facts.Finished | None = None,
                   hints: dict[str, Any] | None = None) -> dict[str, Any]:
    builtin = policy.builtin()
    posted = found or figures()
    device = browser_device.read_device(ua, hints or {}, posted.device.touch_points)
    outcomes = browser_facts.outcomes(posted, CONNECTION, device, builtin)
    return browser_facts.build(outcomes, device, policy=builtin, signer=key, salt=key.salt,
                               browser_id="browser-1", created=NOW, challenge="nonce-1")


GATEWAY_KEY = signer(b"\x01" * 32)


def inspect(report: dict[str, Any]) -> gate.Inspection:
    settings = GatewaySettings(database_url="sqlite://")
    return gate.inspect(report, gate.gate_policy(settings, frozenset({GATEWAY_KEY.key_id})), NOW)


def test_a_phones_browser_report_passes_the_gate() -> None:
    report = browser_report(SAFARI_26, GATEWAY_KEY)
    assert report["verdict"] == "pass", [(c["id"], c["status"]) for c in report["checks"]]
    assert report["source"] == {"kind": "browser", "bundle_digest": None}
    found = inspect(report)
    assert found.reasons == ()
    assert found.accepted is not None


def test_a_computers_browser_report_is_refused_with_its_reason() -> None:
    report = browser_report(WINDOWS_CHROME, GATEWAY_KEY)
    rules = {reason.rule for reason in inspect(report).reasons}
    assert sources.SOURCE_NOT_ALLOWED in rules
    texts = [r.texts() for r in inspect(report).reasons if r.rule == sources.SOURCE_NOT_ALLOWED]
    assert "パソコン" in texts[0]["ja"]
    assert "computer" in texts[0]["en"]


def test_a_browser_report_signed_by_anyone_else_is_refused() -> None:
    report = browser_report(SAFARI_26, signer(b"\x02" * 32))
    assert sources.BROWSER_NOT_OURS in {reason.rule for reason in inspect(report).reasons}


def test_a_browser_report_without_the_declarations_is_refused() -> None:
    report = browser_report(SAFARI_26, GATEWAY_KEY)
    report["checks"] = [c for c in report["checks"] if c["id"] != "declaration.private_room"]
    report["blocking"] = [b for b in report["blocking"] if b != "declaration.private_room"]
    from precheck.reports.signing import sign

    rules = {reason.rule for reason in inspect(sign(report, GATEWAY_KEY)).reasons}
    assert rules == {sources.DECLARATION_MISSING}


def test_an_undeclared_statement_blocks_and_a_wifi_phone_is_asked_about_public_wifi() -> None:
    posted = figures(network_type="wifi", declarations={})
    report = browser_report(SAFARI_26, GATEWAY_KEY, posted)
    assert report["verdict"] == "fail"
    assert set(report["blocking"]) == {d.id for d in declarations.PHONE_DECLARATIONS}
    wifi = next(c for c in report["checks"] if c["id"] == "declaration.no_public_wifi")
    assert wifi["evidence"] == {"declared": False, "measured": False}
    # On mobile data the browser says so: no Wi-Fi declaration is asked.
    cellular = browser_report(SAFARI_26, GATEWAY_KEY)
    assert "declaration.no_public_wifi" not in {c["id"] for c in cellular["checks"]}


def test_a_refused_camera_gets_the_phone_settings_as_its_fix() -> None:
    posted = figures(camera={"state": "denied"})
    report = browser_report(SAFARI_26, GATEWAY_KEY, posted)
    camera = next(c for c in report["checks"] if c["id"] == "device.camera")
    assert camera["status"] == "fail"
    fixes = " ".join(step["text"]["ja"] for step in camera["fix"])
    assert "Safari" in fixes
    assert "Chrome" in fixes
    assert "カメラ" in camera["summary"]["text"]["ja"]


def test_the_report_keeps_figures_and_never_the_user_agent() -> None:
    report = browser_report(SAFARI_26, GATEWAY_KEY)
    assert "Mozilla" not in str(report)
    assert "AppleWebKit" not in str(report)
    camera = next(c for c in report["checks"] if c["id"] == "device.camera")
    assert camera["evidence"]["frames"] == 30
    assert "frames" not in str(camera["evidence"].get("api"))


def test_bad_figures_are_refused_with_a_clear_error() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        browser_facts.Finished.model_validate({"camera": {"state": "ok", "width": -1}})


def test_the_sweeper_deletes_lapsed_browser_checks(gateway: Any, session: Any) -> None:
    from datetime import timedelta

    from sqlalchemy import select

    from precheck.gateway.models import BrowserCheck

    for name, expires in (("old", NOW - timedelta(days=2)), ("new", NOW + timedelta(minutes=5))):
        session.add(BrowserCheck(token_hash=name * 16, office_id="tenmonkan", nonce=name,
                                 created_at=NOW - timedelta(days=3), expires_at=expires))
    session.commit()
    gateway.sweep(session, NOW)
    left = session.execute(select(BrowserCheck.nonce)).scalars().all()
    assert left == ["new"]


# -- the page and its endpoints (TestClient on a real SQLite gateway) -----------------------------

def test_the_page_runs_only_its_own_script_under_a_strict_policy(tmp_path: Any) -> None:
    import re

    from tests.gateway.pages_support import build_site

    for site in build_site(tmp_path):
        answer = site.client.get("/check?office=tenmonkan&start=2026-06-03T10:00")
        assert answer.status_code == 200
        csp = answer.headers["content-security-policy"]
        assert "script-src 'self';" in csp
        assert "unsafe-inline" not in csp
        assert "unsafe-eval" not in csp
        assert answer.headers["permissions-policy"] == "camera=(self), microphone=(self)"
        scripts = re.findall(r"<script([^>]*)>", answer.text)
        assert scripts == [' src="/static/check.js" defer', ' type="application/json" '
                           'id="check-config"']
        assert not re.search(r"(src|href)=\"https?://", answer.text)  # nothing from elsewhere
        assert "2026年6月3日（水） 10:00" in answer.text
        script = site.client.get("/static/check.js")
        assert script.status_code == 200
        assert "http://" not in script.text
        assert "https://" not in script.text
        # Without an office the page lists them.
        chooser = site.client.get("/check")
        assert "ワークプラザ天文館" in chooser.text
        assert 'id="check"' not in chooser.text
        # The office and booking pages link to it.
        assert "/check?office=tenmonkan" in site.client.get("/offices/tenmonkan").text
        assert "/check?office=tenmonkan&amp;lang=ja&amp;start=2026-06-03T10:00" in \
            site.client.get("/offices/tenmonkan/book?start=2026-06-03T10:00").text


def test_the_endpoints_refuse_without_the_pages_token_and_bad_figures(tmp_path: Any) -> None:
    import re

    from tests.gateway.pages_support import build_site

    for site in build_site(tmp_path):
        page = site.client.get("/check?office=tenmonkan")
        token = re.findall(r'data-csrf="([^"]+)"', page.text)[0]
        assert site.client.post("/check/start", json={"office": "tenmonkan"}).status_code == 403
        headers = {"X-CSRF-Token": token}
        unknown = site.client.post("/check/start", json={"office": "nowhere"}, headers=headers)
        assert unknown.status_code == 404
        assert "ハローワーク" in unknown.json()["message"]
        started = site.client.post("/check/start", json={"office": "tenmonkan"},
                                   headers=headers).json()
        bad = site.client.post(f"/check/{started['token']}/finish", json={"camera": "x"},
                               headers=headers)
        assert bad.status_code == 422
        assert bad.json()["error"] == "invalid_request"
        missing = site.client.post("/check/not-a-token/finish", json=figures().model_dump(),
                                   headers=headers)
        assert missing.status_code == 404
        # Finishing without a connection test: "could not tell", never a pass.
        done = site.client.post(f"/check/{started['token']}/finish",
                                json=figures().model_dump(), headers=headers).json()
        quality = next(e for e in done["entries"] if e["id"] == "network.quality")
        assert quality["status"] == "error"
        assert done["word"] == "予約できません"


def test_a_passing_check_attaches_its_report_to_any_booking_page_of_its_office(
        tmp_path: Any) -> None:
    """From the office page: check first, then choose a time; the form has the report."""
    import re

    from sqlalchemy import update

    from precheck.gateway.db import session_factory
    from precheck.gateway.models import BrowserCheck
    from tests.gateway.pages_support import build_site

    for site in build_site(tmp_path):
        client = site.client
        client.headers["User-Agent"] = SAFARI_26
        page = client.get("/check?office=tenmonkan&lang=en")
        assert "Start checking" in page.text
        headers = {"X-CSRF-Token": re.findall(r'data-csrf="([^"]+)"', page.text)[0]}
        started = client.post("/check/start", json={"office": "tenmonkan"}, headers=headers)
        with session_factory(site.engine)() as db:  # as the WebSocket test stores its figures
            db.execute(update(BrowserCheck).values(figures=CONNECTION))
            db.commit()
        done = client.post(f"/check/{started.json()['token']}/finish?lang=en",
                           json=figures().model_dump(), headers=headers).json()
        assert done["verdict"] == "pass", done["entries"]
        assert done["word"] == "Ready to book"
        form = client.get("/offices/tenmonkan/book?start=2026-06-03T10:00")
        assert "Your browser check passed" in form.text  # the language chosen stays
        assert 'id="f-report"' not in form.text
        # Another office's booking page does not take it.
        other = client.get("/offices/namerikawa/book?start=2026-06-03T10:00")
        assert "Your browser check passed" not in other.text

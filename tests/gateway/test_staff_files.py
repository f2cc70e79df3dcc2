"""The staff pages and hostile files (issue 13): a stored report whose signature no longer holds is
shown as such, and a malformed diagnostic bundle gets a 4xx with a message, never a 500.

The bundles are INVENTED: built by the test in the shapes the adversarial test used.
"""

from __future__ import annotations

import copy
import io
import json
import struct
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from precheck.gateway.db import session_factory
from precheck.gateway.models import Booking
from precheck.result import Status as CheckStatus
from tests.gateway.pages_support import Site, csrf_of
from tests.gateway.test_staff import DAY, book, log_in, staffed_site
from tests.test_bundle_safety import GOOD, deep_manifest, patch_headers, symlink_member, zip_bytes


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    yield from staffed_site(tmp_path, "tanaka")


def tamper_with_the_stored_report(site: Site) -> Booking:
    """Change the stored report so that every check passes (the finding's edit: here the
    browser's warning becomes a pass)."""
    with session_factory(site.engine)() as db:
        booking = db.execute(select(Booking)).scalar_one()
        report = copy.deepcopy(booking.report)
        for check in report["checks"]:
            check["status"] = "pass"
        report["verdict"], report["blocking"] = "pass", []
        booking.report = report
        db.commit()
        db.refresh(booking)
        return booking


def test_a_stored_report_changed_since_it_was_verified_is_shown_as_untrusted(site: Site) -> None:
    assert book(site, statuses={"software.browser": CheckStatus.WARN}).status_code == 201
    log_in(site)
    intact = site.client.get("/staff", params=DAY).text
    assert "status-untrusted" not in intact
    booking = tamper_with_the_stored_report(site)
    day = site.client.get("/staff", params=DAY)
    assert day.status_code == 200
    row = day.text[day.text.index(f'id="booking-{booking.id}"'):]
    row = row[:row.index("</tr>")]
    assert 'class="status-untrusted"' in row
    assert "status-pass" not in row
    assert "署名が正しくありません" in row
    page = site.client.get(f"/staff/bookings/{booking.id}/report")
    assert page.status_code == 200
    assert '<body class="untrusted">' in page.text
    assert 'class="alarm" role="alert"' in page.text
    assert "予約できます" not in page.text
    english = site.client.get(f"/staff/bookings/{booking.id}/report", params={"lang": "en"})
    assert "This report&#39;s signature is NOT valid" in english.text


def nested_json_within_jsons_reach() -> bytes:
    return json.dumps({**GOOD, "checks": json.loads("[" * 200 + "]" * 200)}).encode()


@pytest.mark.parametrize(("name", "data", "complaint"), [
    ("encrypted", patch_headers(zip_bytes(), flags=0x1), "is encrypted"),
    ("method-99", patch_headers(zip_bytes(), method=99), "compression method 99"),
    ("deeply-nested", zip_bytes(deep_manifest()), "nests more than 64 levels"),
    ("nested-200", zip_bytes(nested_json_within_jsons_reach()), "nests more than 64 levels"),
    ("symlink-member", symlink_member(), "is not a regular file"),
])
def test_a_malformed_bundle_gets_a_4xx_with_the_reason(site: Site, name: str, data: bytearray,
                                                        complaint: str) -> None:
    log_in(site)
    token = csrf_of(site.client.get("/staff", params=DAY).text)
    page = site.client.post("/staff/bundle", data={"csrf_token": token},
                            files={"bundle": (f"{name}.zip", bytes(data), "application/zip")})
    assert page.status_code == 422, page.text[:300]
    assert "診断用のファイルを読めませんでした" in page.text
    assert complaint in page.text
    assert f"{name}.zip" in page.text


def test_a_zip_bomb_member_is_refused_by_its_size(site: Site,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from precheck import bundle as bundles

    monkeypatch.setattr(bundles, "MAX_MEMBER_BYTES", 1024 * 1024)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(GOOD))
        archive.writestr("outputs/os-release.txt", b"\0" * (8 * 1024 * 1024))  # 8 kB packed
    log_in(site)
    token = csrf_of(site.client.get("/staff", params=DAY).text)
    page = site.client.post("/staff/bundle", data={"csrf_token": token},
                            files={"bundle": ("bomb.zip", buffer.getvalue(), "application/zip")})
    assert page.status_code == 422
    assert "too large" in page.text
    assert struct.calcsize("<I") == 4  # (the sizes above are the zip's 32-bit fields)

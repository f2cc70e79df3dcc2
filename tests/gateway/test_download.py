"""The download page: the archives an operator placed in the downloads folder, Japanese first.

The archives are small files made here with the names tools/build_app.py gives (INVENTED
contents); their SHA-256 is computed by the test and compared with the page's.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from precheck.gateway.downloads import listed, system_of
from precheck.gateway.settings import from_env
from tests.gateway.pages_support import Site, build_site

ARCHIVES = {
    "precheck-0.1.0-windows-x86_64.zip": b"PK windows app (INVENTED)",
    "precheck-0.1.0-macos-arm64.tar.gz": b"macos app (INVENTED)",
    "precheck-0.1.0-linux-x86_64.tar.gz": b"linux app (INVENTED)" * 1000,
}


@pytest.fixture
def downloads(tmp_path: Path) -> Path:
    folder = tmp_path / "downloads"
    folder.mkdir()
    for name, content in ARCHIVES.items():
        (folder / name).write_bytes(content)
    (folder / ".hidden.zip").write_bytes(b"not offered")
    (folder / "notes.txt").write_text("not an archive")
    (folder / "sub.zip").mkdir()  # a folder, whatever its name
    return folder


@pytest.fixture
def site(tmp_path: Path, downloads: Path) -> Iterator[Site]:
    yield from build_site(tmp_path, downloads_dir=downloads)


def test_the_page_lists_each_archive_with_its_size_sha256_and_how_to_start_it(
        site: Site) -> None:
    page = site.client.get("/download")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert '<html lang="ja">' in page.text
    assert "事前チェックアプリのダウンロード" in text
    for name, content in ARCHIVES.items():
        assert f'href="/download/{name}"' in page.text
        assert hashlib.sha256(content).hexdigest() in text
    assert text.index("windows-x86_64.zip") < text.index("macos-arm64") < text.index("linux")
    assert "「すべて展開」" in text
    assert "precheck.exe" in text
    assert "precheck.command" in text
    assert "tar xzf" in text
    assert "certutil -hashfile FILE SHA256" in text
    assert "0.0 MB" in text  # the Windows file: 25 bytes
    for unlisted in ("hidden", "notes.txt", "sub.zip"):
        assert unlisted not in text
    english = html.unescape(site.client.get("/download?lang=en").text)
    assert "Download the pre-check app" in english
    assert 'choose "Extract All"' in english


def test_a_listed_archive_downloads_and_nothing_else_does(site: Site, downloads: Path) -> None:
    name = "precheck-0.1.0-linux-x86_64.tar.gz"
    answer = site.client.get(f"/download/{name}")
    assert answer.status_code == 200
    assert answer.content == ARCHIVES[name]
    assert "attachment" in answer.headers["content-disposition"]
    for other in (".hidden.zip", "notes.txt", "sub.zip", "nothing.zip"):
        refused = site.client.get(f"/download/{other}")
        assert refused.status_code == 404, other
        assert "このファイルはダウンロードできません" in refused.text
    outside = site.client.get("/download/..%2Fgateway.sqlite3")  # the database beside it
    assert outside.status_code == 404
    assert b"SQLite" not in outside.content


def test_without_a_folder_the_page_says_to_ask_the_office(tmp_path: Path) -> None:
    for site in build_site(tmp_path):
        page = site.client.get("/download")
        assert page.status_code == 200
        assert "ハローワークにお問い合わせください" in html.unescape(page.text)
        assert site.client.get("/download/precheck.zip").status_code == 404


def test_the_booking_page_links_to_the_download_page(site: Site) -> None:
    site.clock.moment = datetime.fromisoformat("2026-06-01T09:00:00+09:00")
    start = (site.clock.moment + timedelta(days=2)).replace(hour=10)
    page = site.client.get("/offices/namerikawa/book", params={"start": start.isoformat()})
    assert page.status_code == 200, page.text
    assert 'href="/download?lang=ja"' in page.text
    assert "アプリをダウンロード" in html.unescape(page.text)


def test_a_changed_file_gets_its_new_checksum(downloads: Path) -> None:
    path = downloads / "precheck-0.1.0-windows-x86_64.zip"
    before = {a.name: a.sha256 for a in listed(downloads)}[path.name]
    path.write_bytes(b"a new build, longer than the old one")
    after = {a.name: a.sha256 for a in listed(downloads)}[path.name]
    assert before != after == hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_system_is_read_from_the_name_and_the_folder_from_the_environment(
        tmp_path: Path) -> None:
    assert [system_of(n) for n in ARCHIVES] == ["windows", "macos", "linux"]
    assert system_of("precheck.tar.gz") == "other"
    settings = from_env({"PRECHECK_GATEWAY_DOWNLOADS_DIR": str(tmp_path)}, database_url="x")
    assert settings.downloads_dir == tmp_path

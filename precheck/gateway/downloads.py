"""The download page (``/download``): the app archives an operator placed in a folder.

The operator copies the archives ``tools/build_app.py`` made (one per system) into the folder
named by ``PRECHECK_GATEWAY_DOWNLOADS_DIR``; the page lists each with its size and SHA-256 and
the one line a job seeker needs to start it, Japanese first. ``/download/NAME`` serves a listed
file and nothing else (no path in a name, no hidden file, only archive types).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse

from precheck.gateway.deps import app_state
from precheck.gateway.web import Words, language, message_page, render
from precheck.result import N_, Message

router = APIRouter()

#: The endings of files the page offers; anything else in the folder is ignored.
ARCHIVES = (".zip", ".tar.gz", ".tgz", ".dmg", ".pkg", ".msi")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,199}")

TEXT = {
    "title": N_("Download the pre-check app"),
    "lead": N_("Before you book, check your computer with the precheck app. It needs no other "
               "software. Choose the file for your computer's system."),
    "none": N_("No app is offered for download here yet. Please ask the Hello Work office."),
    "checksum_title": N_("Checking the file (optional)"),
    "checksum_lead": N_("To make sure the file arrived intact, compare its SHA-256 with the one "
                        "shown here:"),
    "windows": N_("Windows"),
    "macos": N_("macOS"),
    "linux": N_("Linux"),
    "other": N_("Other"),
    "how_windows": N_("Right-click the ZIP file, choose \"Extract All\", then double-click "
                      "precheck.exe in the extracted precheck folder."),
    "how_macos": N_("Double-click the file to extract it, then double-click precheck.command in "
                    "the precheck folder (the first time: right-click it and choose \"Open\")."),
    "how_linux": N_("In a terminal: tar xzf FILE, then run precheck/precheck."),
    "how_other": N_("Extract the file and start precheck in the precheck folder."),
    "megabytes": N_("{size} MB"),
    "not_found_title": N_("This file is not offered"),
    "not_found_body": N_("The file you asked for is not on the download page."),
}

#: The command that prints a file's SHA-256 on each system.
CHECKSUM_COMMANDS = (("windows", "certutil -hashfile FILE SHA256"),
                     ("macos", "shasum -a 256 FILE"), ("linux", "sha256sum FILE"))


@dataclass(frozen=True, slots=True)
class Archive:
    """One file on the page."""

    name: str
    system: str  # windows, macos, linux or other: from the file's name
    size: int
    sha256: str

    @property
    def megabytes(self) -> str:
        return f"{self.size / 1_000_000:.1f}"


def system_of(name: str) -> str:
    """The system an archive is for, read from its name (build_app.py names them so)."""
    lowered = name.lower()
    for system, marks in (("windows", ("windows", "win64", "win32", ".msi", ".exe")),
                          ("macos", ("macos", "darwin", "mac", ".dmg", ".pkg")),
                          ("linux", ("linux",))):
        if any(mark in lowered for mark in marks):
            return system
    return "other"


def listed(folder: Path | None) -> list[Archive]:
    """The archives in ``folder`` (none when it is not set or not there), by name."""
    if folder is None or not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        if not (_NAME.fullmatch(path.name) and path.name.endswith(ARCHIVES)):
            continue
        if not path.is_file():
            continue
        status = path.stat()
        found.append(Archive(path.name, system_of(path.name), status.st_size,
                             _sha256(path, status.st_size, status.st_mtime_ns)))
    order = {"windows": 0, "macos": 1, "linux": 2, "other": 3}
    return sorted(found, key=lambda a: (order[a.system], a.name))


@lru_cache(maxsize=64)
def _sha256(path: Path, size: int, mtime_ns: int) -> str:
    """The file's SHA-256, computed once per version of the file (size and time are the key)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def _folder(request: Request) -> Path | None:
    folder: Path | None = app_state(request).settings.downloads_dir
    return folder


@router.get("/download", response_class=HTMLResponse)
def download_page(request: Request) -> HTMLResponse:
    """The archives with their size, SHA-256 and how to start them."""
    return render(request, "download.html", TEXT, archives=listed(_folder(request)),
                  checksum_commands=CHECKSUM_COMMANDS)


@router.get("/download/{name}", response_model=None, responses={
    200: {"description": "the archive", "content": {"application/octet-stream": {}}},
    404: {"description": "no such archive in the download folder (a page saying so)",
          "content": {"text/html": {}}}})
def download_file(request: Request, name: str) -> FileResponse | HTMLResponse:
    """One listed archive, as a download."""
    folder = _folder(request)
    if folder is None or name not in {a.name for a in listed(folder)}:
        back = Words(language(request), TEXT)("title")
        return message_page(request, Message.of(TEXT["not_found_title"]),
                            Message.of(TEXT["not_found_body"]), status_code=404,
                            link=(back, f"/download?lang={language(request)}"))
    return FileResponse(folder / name, filename=name, media_type="application/octet-stream",
                        headers={"Cache-Control": "no-cache"})

"""The staff console's files: a booking's stored report, a diagnostic bundle, the day as CSV.

Beside the day view (staff.py), with its login: a report opens as the report's own self-contained
HTML page under a strict Content-Security-Policy; a bundle a job seeker sent is replayed through
this precheck's checks (nothing is run on the job seeker's behalf); the CSV opens in a spreadsheet
program with Japanese intact and no formula a public name could start.
"""

from __future__ import annotations

import csv
import io
import logging
import tempfile
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from precheck.errors import PrecheckError
from precheck.gateway.deps import CsrfDep, GatewayDep, NowDep, StaffDep
from precheck.gateway.offices import TOKYO
from precheck.gateway.service import STATUS_LABELS, BookingView, GatewayError
from precheck.gateway.staff import TEXT, _parse_day, _signature_problem, _words
from precheck.gateway.web import Words, language, message_page, session
from precheck.result import N_, Message

log = logging.getLogger(__name__)

router = APIRouter(prefix="/staff", include_in_schema=False)

#: The largest diagnostic bundle accepted for viewing.
MAX_BUNDLE_BYTES = 64 * 1024 * 1024

#: CSV columns: (header message id, value).
CSV_HEADERS = (
    N_("Reference"), N_("Start"), N_("End"), N_("Status"), N_("Name"), N_("Job-seeker number"),
    N_("Email"), N_("Phone"), N_("Note"), N_("Verdict"), N_("Checks not passed"),
    N_("Warnings"), N_("Checked in at"), N_("Device changed at check-in"),
)


#: The report page (precheck/reports/render/html.py) is self-contained, with its own styles.
_REPORT_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
               "frame-ancestors 'none'; base-uri 'none'; form-action 'none'")


def _report_response(document: Mapping[str, Any], lang: str, *,
                     signature_problem: str | None = None) -> HTMLResponse:
    from precheck.reports.render.html import render_html

    response = HTMLResponse(render_html(document, lang, signature_problem=signature_problem))
    response.headers["Content-Security-Policy"] = _REPORT_CSP
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@router.get("/bookings/{booking_id}/report", response_class=HTMLResponse)
def report_page(request: Request, booking_id: int, *, gw: GatewayDep, member: StaffDep,
                checkin: int = 0) -> Response:
    """The stored report (or the check-in report), as the report's own HTML page."""
    with session(request) as db:
        try:
            document = gw.booking_report(db, booking_id, checkin=bool(checkin))
        except GatewayError:
            document = None
    if not document:
        return message_page(request, Message.of(TEXT["no_report"]),
                            Message.of(TEXT["no_report"]), status_code=404, csrf=member.csrf)
    return _report_response(document, language(request),
                            signature_problem=_signature_problem(document))


@router.post("/bundle", response_class=HTMLResponse)
def bundle_page(request: Request, *, at: NowDep,
                member: CsrfDep,
                bundle: Annotated[UploadFile | None, File()] = None) -> Response:
    """A diagnostic bundle replayed through this precheck's checks, shown as a report."""
    if bundle is None or not bundle.filename:
        return message_page(request, Message.of(TEXT["bundle_title"]),
                            Message.of(TEXT["bundle_missing"]), status_code=422,
                            csrf=member.csrf)
    with tempfile.TemporaryDirectory(prefix="precheck-bundle-") as folder:
        path = Path(folder) / "bundle.zip"
        size = 0
        with path.open("wb") as out:
            while chunk := bundle.file.read(1024 * 1024):
                size += len(chunk)
                if size > MAX_BUNDLE_BYTES:
                    return message_page(request, Message.of(TEXT["bundle_title"]),
                                        Message.of(TEXT["bundle_too_big"]), status_code=413,
                                        csrf=member.csrf)
                out.write(chunk)
        try:
            document = replay_bundle(path, at)
        except PrecheckError as exc:  # a damaged or foreign upload: say what is wrong
            reason = str(exc).replace(str(path), bundle.filename)
            log.info("a diagnostic bundle could not be read")
            return message_page(request, Message.of(TEXT["bundle_title"]),
                                Message.of(TEXT["bundle_unreadable"], reason=reason[:300]),
                                status_code=422, csrf=member.csrf)
    return _report_response(document, language(request))


def replay_bundle(path: Path, at: datetime) -> dict[str, Any]:
    """The unsigned report of a bundle judged by this precheck's checks and built-in policy."""
    from precheck import bundle as bundles
    from precheck import plugins
    from precheck import policy as policies
    from precheck.reports.build import build_report
    from precheck.session import evaluate

    read = bundles.read(path)
    evaluation = evaluate(plugins.load(), policies.builtin(), read)
    outcomes = evaluation.run()
    return build_report(outcomes, policy=evaluation.policy, os_info=evaluation.os_info(),
                        device_id="", created=at, source_kind="bundle",
                        bundle_digest=read.digest)


@router.get("/export.csv")
def export(request: Request, *, gw: GatewayDep, at: NowDep, member: StaffDep, office: str = "",
           day: str = "") -> Response:
    """The day's bookings as CSV (UTF-8 with a BOM, so spreadsheet programs read Japanese)."""
    words = _words(request)
    profile = gw.offices.get(office) or next(iter(gw.offices.values()))
    chosen = _parse_day(day) or at.astimezone(TOKYO).date()
    with session(request) as db:
        bookings = gw.day_view(db, profile.id, chosen)
    log.info("staff %s exported %s bookings", member.id, len(bookings))
    return bookings_csv(words, bookings, f"bookings-{profile.id}-{chosen.isoformat()}.csv")


def bookings_csv(words: Words, bookings: Sequence[BookingView], filename: str, *,
                 more: Mapping[str, Callable[[BookingView], str]] | None = None) -> Response:
    """The bookings as a CSV download (UTF-8 with a BOM, so spreadsheet programs read
    Japanese): the columns of CSV_HEADERS, then one per entry of ``more`` (header: value)."""
    extra = more or {}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([words.msgid(h) for h in (*CSV_HEADERS, *extra)])
    for b in bookings:
        writer.writerow([_cell(v) for v in (
            b.reference, _iso(b.start), _iso(b.end),
            words.msgid(STATUS_LABELS.get(b.status, b.status)), b.name,
            b.jobseeker_number or "", b.email, b.phone or "", b.note or "", b.verdict,
            " ".join(b.failed_checks), " ".join(b.warned_checks),
            _iso(b.checked_in_at) if b.checked_in_at else "",
            "yes" if b.key_changed else "", *(value(b) for value in extra.values()))])
    return Response("\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Cache-Control": "no-store"})


def _iso(moment: datetime) -> str:
    return moment.astimezone(TOKYO).isoformat(timespec="minutes")


def _cell(value: str) -> str:
    """A value a spreadsheet shows as text: a leading = + - @ (or tab, CR) would start a
    formula (CSV injection; names and notes come from the public), so it gets an apostrophe."""
    if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value

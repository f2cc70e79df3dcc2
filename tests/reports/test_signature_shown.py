"""A report whose signature fails is shown as such in every view (issue 13: a tampered report
rendered as a green "✔ 予約できます" page, and the text view exited 0 with its only warning on the
last line)."""

from __future__ import annotations

import copy
import io
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from precheck.cli import run_cli
from precheck.i18n import Translator
from precheck.reports.render import UNTRUSTED_TITLE, VERDICT_WORDS
from precheck.reports.render.html import render_html
from precheck.reports.render.terminal import render_terminal
from precheck.reports.signing import Identity, sign, verify
from precheck.status import Environment, ExitStatus

LANGUAGES = ["ja", "en"]
PROBLEM = "the signature does not match the content: the report was changed after it was signed"


@pytest.fixture
def tampered(unsigned: dict[str, Any], identity: Identity) -> dict[str, Any]:
    """The finding's report: signed, then edited so that every check passes."""
    doc = sign(unsigned, identity)
    for check in doc["checks"]:
        check["status"] = "pass"
    doc["verdict"], doc["blocking"] = "pass", []
    return doc


def styled_terminal(report: dict[str, Any], lang: str, problem: str | None) -> str:
    """The terminal output with its colour codes, as a colour terminal gets it."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=100, color_system="truecolor",
                      force_terminal=True)
    console.print(render_terminal(report, lang, signature_problem=problem))
    return buffer.getvalue()


def plain(text: str) -> str:
    """Without colour codes, white space and the box drawn around a banner."""
    return re.sub(r"[\s╔═╗║╚╝┏━┓┃┗┛]+", "", re.sub(r"\x1b\[[0-9;]*m", "", text))


GREEN = "\x1b[1;32m"  # rich's "bold green": the verdict colour of a pass
RED = "\x1b[1;31m"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_terminal_opens_with_the_banner_and_no_verdict(tampered: dict[str, Any],
                                                       lang: str) -> None:
    translate = Translator(lang)
    out = styled_terminal(tampered, lang, PROBLEM)
    text = plain(out)
    assert text.startswith("⚠" + plain(translate(UNTRUSTED_TITLE)))  # the very first words
    assert plain(translate(VERDICT_WORDS["pass"])) not in text
    assert GREEN not in out
    assert RED not in out
    assert "32m" not in out  # no green at all, even on a check's status
    trusted = styled_terminal(tampered, lang, None)
    assert GREEN in trusted  # the same report, when trusted, does use the colour


@pytest.mark.parametrize("lang", LANGUAGES)
def test_html_opens_with_the_banner_and_no_verdict(tampered: dict[str, Any], lang: str) -> None:
    translate = Translator(lang)
    page = render_html(tampered, lang, signature_problem=PROBLEM)
    body = page[page.index("<body"):]
    assert body.startswith('<body class="untrusted">')
    first_header = body[body.index("<header"):body.index("</header>")]
    assert 'class="alarm" role="alert"' in first_header
    assert translate(UNTRUSTED_TITLE).replace("'", "&#39;") in first_header
    assert PROBLEM in first_header
    assert translate(VERDICT_WORDS["pass"]) not in page
    assert 'class="verdict' not in page
    assert translate(VERDICT_WORDS["pass"]) in render_html(tampered, lang)  # trusted: as before


def write(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def cli(*argv: str) -> tuple[ExitStatus, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = run_cli(list(argv), Environment(out, err, {
        "PRECHECK_HOME": os.environ["PRECHECK_HOME"]}))
    return status, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_report_show_of_a_tampered_report_exits_1_under_the_banner(
        tampered: dict[str, Any], tmp_path: Path, lang: str) -> None:
    path = write(tmp_path / "tampered.json", tampered)
    status, out, _ = cli("report", "show", str(path), "--lang", lang)
    assert status is ExitStatus.CHECK_FAILED
    translate = Translator(lang)
    assert plain(out).startswith("⚠" + plain(translate(UNTRUSTED_TITLE)))
    assert plain(translate(VERDICT_WORDS["pass"])) not in plain(out)
    page = tmp_path / "tampered.html"
    status, out, _ = cli("report", "show", str(path), "--lang", lang, "--html", str(page))
    assert status is ExitStatus.CHECK_FAILED
    html = page.read_text(encoding="utf-8")
    assert 'class="alarm"' in html
    assert translate(VERDICT_WORDS["pass"]) not in html


def test_an_unsigned_report_is_shown_under_the_banner_too(unsigned: dict[str, Any],
                                                          tmp_path: Path) -> None:
    path = write(tmp_path / "unsigned.json", unsigned)
    status, out, _ = cli("report", "show", str(path), "--lang", "en")
    assert status is ExitStatus.CHECK_FAILED
    assert "This report's signature is NOT valid" in out
    assert "the report is not signed" in out


def test_an_intact_report_shows_its_verdict_and_exits_0(signed: dict[str, Any],
                                                        tmp_path: Path) -> None:
    verify(signed)
    path = write(tmp_path / "signed.json", copy.deepcopy(signed))
    status, out, _ = cli("report", "show", str(path), "--lang", "en")
    assert status is ExitStatus.OK
    assert "NOT valid" not in out
    assert "Signature: valid" in out

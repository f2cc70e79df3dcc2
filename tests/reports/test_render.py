"""Showing a report: verdict first, icons with words, the stored texts, escaped HTML."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from rich.console import Console

from precheck.i18n import Translator
from precheck.reports.render import (
    STATUS_ICONS,
    STATUS_WORDS,
    japan_time,
    render_json,
    sorted_checks,
)
from precheck.reports.render.html import render_html
from precheck.reports.render.terminal import render_terminal

LANGUAGES = ["ja", "en"]


def terminal_text(report: dict[str, Any], lang: str) -> str:
    console = Console(file=io.StringIO(), width=100, color_system=None)
    console.print(render_terminal(report, lang))
    output = console.file.getvalue()  # type: ignore[attr-defined] # the StringIO given above
    return squash(output)


def squash(text: str) -> str:
    """Without white space: table cells wrap anywhere (Japanese has no spaces to wrap at)."""
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_terminal_shows_the_verdict_first_then_every_check(signed: dict[str, Any],
                                                           lang: str) -> None:
    out = terminal_text(signed, lang)
    translate = Translator(lang)
    verdict = squash(translate("Not ready to book"))
    assert out.index(verdict) < min(out.index(squash(c["title"]["text"][lang]))
                                    for c in signed["checks"])
    assert squash(translate("Ready to book")) not in out.replace(verdict, "")
    for check in signed["checks"]:
        assert squash(check["title"]["text"][lang]) in out
        status = check["status"]
        assert squash(f"{STATUS_ICONS[status]} {translate(STATUS_WORDS[status])}") in out


@pytest.mark.parametrize("lang", LANGUAGES)
def test_terminal_shows_a_passing_report(unsigned: dict[str, Any], lang: str) -> None:
    passing = {**unsigned, "checks": [c for c in unsigned["checks"] if not c["required"]],
               "verdict": "pass", "blocking": []}
    out = terminal_text(passing, lang)
    assert squash(Translator(lang)("Ready to book")) in out
    assert "✔" in out


def test_blocking_checks_come_first_with_their_fix(signed: dict[str, Any]) -> None:
    # The synthetic checks and the two spine checks (a pass or skip on any machine): the other
    # real checks vary with what is installed here.
    keep = ("test.", "power.battery", "system.resources")
    signed = {**signed, "checks": [c for c in signed["checks"] if c["id"].startswith(keep)]}
    order = [c["id"] for c in sorted_checks(signed)]
    assert order[:2] == ["test.firewall", "test.antivirus"]
    assert order.index("test.network") < min(
        order.index(c["id"]) for c in signed["checks"] if c["status"] in ("pass", "skip"))
    out = terminal_text(signed, "en")
    assert out.index("Firewall") < out.index("Network")
    assert squash("How to fix: 1. Turn the firewall on for the Public network") in out
    assert "blocksbooking" in out


def test_a_pass_shows_no_fix_steps(unsigned: dict[str, Any]) -> None:
    check = unsigned["checks"][0]
    check.update(status="pass", fix=[{"msgid": "Hidden step", "args": {},
                                      "text": {"ja": "Hidden step", "en": "Hidden step"}}])
    assert "Hiddenstep" not in terminal_text(unsigned, "en")
    assert "Hidden step" not in render_html(unsigned, "en")


def test_the_stored_text_of_the_chosen_language_is_shown(unsigned: dict[str, Any]) -> None:
    for number, check in enumerate(unsigned["checks"]):
        check["title"]["text"] = {"ja": f"日本語の題{number}", "en": f"English title {number}"}
    ja, en = terminal_text(unsigned, "ja"), terminal_text(unsigned, "en")
    assert "日本語の題0" in ja
    assert "Englishtitle0" not in ja
    assert "Englishtitle0" in en
    assert "日本語の題0" not in en


def test_missing_texts_fall_back_to_english_then_the_message_id(
        unsigned: dict[str, Any]) -> None:
    first, second = unsigned["checks"][0], unsigned["checks"][1]
    first["title"]["text"] = {"en": "Only English"}
    second["title"] = {"msgid": "Only the id"}
    out = terminal_text(unsigned, "ja")
    assert "OnlyEnglish" in out
    assert "Onlytheid" in out


@pytest.mark.parametrize("lang", LANGUAGES)
def test_html_is_a_self_contained_page_for_staff(signed: dict[str, Any], lang: str) -> None:
    page = render_html(signed, lang)
    assert page.startswith("<!DOCTYPE html>")
    assert f'<html lang="{lang}">' in page
    assert Translator(lang)("Not ready to book") in page
    assert signed["device_id"] in page
    assert signed["signature"]["key_id"] in page
    assert signed["policy"]["version"] in page
    assert japan_time(signed["created"]) in page
    assert japan_time(signed["created"]).endswith("JST")
    for check in signed["checks"]:
        assert check["id"] in page
        for key in check["evidence"]:
            assert key in page
    assert not re.search(r"<script|<link|\bsrc=|https?://", page)


def test_html_escapes_everything_from_the_report(signed: dict[str, Any]) -> None:
    signed["checks"][0]["evidence"]["name"] = '"><img src=x onerror=alert(1)>'
    page = render_html(signed, "en")
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page  # test.antivirus's argument
    assert "<script" not in page
    assert "<img" not in page


def test_an_unsigned_report_says_so(unsigned: dict[str, Any]) -> None:
    assert Translator("en")("not signed") in render_html(unsigned, "en")


def test_japan_time() -> None:
    assert japan_time("2026-11-23T15:30:00Z") == "2026-11-24 00:30:00 JST"
    assert japan_time("yesterday") == "yesterday"


def test_json_keeps_japanese_readable(signed: dict[str, Any]) -> None:
    signed["checks"][0]["title"]["text"]["ja"] = "ファイアウォール"
    text = render_json(signed)
    assert "ファイアウォール" in text
    assert json.loads(text) == signed
    assert text.startswith('{\n  "report_version": 1,')

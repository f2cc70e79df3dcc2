"""The gateway's refusals in the app's own words: never a check id, a flag or a command line."""

from __future__ import annotations

import re

from precheck.gateway_client import GatewayError, Reason, Texts
from precheck.i18n import Translator
from precheck.result import Message
from precheck.tui.gateway_words import RULE_WORDS, describe
from precheck.tui.text import Words


def gateway_says(rule: str, msgid: str, **args: object) -> Reason:
    """A reason as the real gateway words it (its own catalog, both languages)."""
    message = Message.of(msgid, **args)
    return Reason(rule=rule, message=Texts(ja=Translator("ja").render(message, "gateway"),
                                           en=Translator("en").render(message, "gateway")))


def test_report_refusals_are_said_in_the_apps_words() -> None:
    error = GatewayError("rejected", "refused", status=422, reasons=(
        gateway_says("check_missing", "The required check {check} is not in the report. Run "
                     "every check: precheck run, without --only.", check="os.patches"),
        gateway_says("check_failed", "The required check \u201c{title}\u201d did not pass: "
                     "{summary} Fix it as the report says, then run precheck again.",
                     check="device.camera", title="カメラ", summary="x"),
        gateway_says("check_failed", "The required check \u201c{title}\u201d did not pass: "
                     "{summary} Fix it as the report says, then run precheck again.",
                     check="security.firewall", title="ファイアウォール", summary="y"),
        gateway_says("stale", "any")))
    for language in ("ja", "en"):
        text = describe(error, Words(language))
        assert not re.search(r"precheck run|--only|os\.patches|device\.camera|\bcheck_", text), text
    ja = describe(error, Words("ja"))
    assert ja.count("・") == 3  # the two failed checks are one line
    assert "R" in ja


def test_a_booking_rule_the_app_does_not_know_keeps_the_gateways_words() -> None:
    error = GatewayError("rejected", "refused", reasons=(
        Reason(rule="lead", message=Texts(ja="前日までに予約してください",
                                          en="Book by the day before")),))
    assert "前日までに予約してください" in describe(error, Words("ja"))
    assert "lead" not in RULE_WORDS

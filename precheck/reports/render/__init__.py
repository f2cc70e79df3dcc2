"""Showing a report to a person: terminal (rich), HTML (for staff), and JSON.

Renderers read only the report document: every message is shown from the text stored in it for
the chosen language (falling back to English, then to the message id), so a report renders the
same without the check plugins that made it. The few words the renderers add themselves (the
verdict, the status names, labels) are message ids translated with precheck's catalogs.

Status is never shown by colour alone: each has an icon and a word.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from precheck.japan import JAPAN as JAPAN  # the renderers' zone, imported from here by the app
from precheck.result import N_, Message, Status

if TYPE_CHECKING:
    from precheck.i18n import Translator


VERDICT_WORDS = {"pass": N_("Ready to book"), "fail": N_("Not ready to book"),
                 "partial": N_("Only some items were checked")}
VERDICT_DETAILS = {
    "pass": N_("Every required check passed. You can book the online consultation."),
    "fail": N_("Fix the items marked \"blocks booking\", then check again."),
    "partial": N_("Booking needs every required item checked; these were not: {items}. Check "
                  "everything to know whether you can book."),
}
#: The detail when only the declarations are left: the fix is a tick each, not a new check.
ONLY_DECLARATIONS = N_("Tick your declarations and you can book.")
#: The detail in the app, where R checks again.
FIX_THEN_R = N_("Fix the items that block booking (at the top), then press R to check again.")
STATUS_ICONS = {"pass": "✔", "warn": "!", "fail": "✘", "skip": "–", "error": "?"}
STATUS_WORDS = {
    "pass": N_("Pass"),
    "warn": N_("Warning"),
    "fail": N_("Fail"),
    "skip": N_("Not applicable"),
    "error": N_("Could not tell"),
}
BLOCKS_BOOKING = N_("blocks booking")
REQUIRED = N_("Required")
ADVISORY = N_("Advisory")
HOW_TO_FIX = N_("How to fix:")
FLYER = N_("Office flyer")
ARTICLE = N_("Article {article}")
ARTICLE_PARAGRAPH = N_("Article {article}({paragraph})")

#: Shown first, instead of the verdict, when a report's signature does not hold: its verdict and
#: statuses are then claims nobody can rely on, so no view shows them in the verdict's colours.
UNTRUSTED_TITLE = N_("This report's signature is NOT valid")
UNTRUSTED_DETAIL = N_("The report was changed after it was signed, or it is damaged, so its "
                      "results cannot be trusted. Do not use it to decide on a booking or a "
                      "consultation; ask the job seeker to run precheck again.")
UNTRUSTED_REASON = N_("Reason: {reason}")

#: The statuses that block booking when the check is required (:attr:`Status.blocks`).
_BLOCKING = frozenset(str(status) for status in Status if status.blocks)


@dataclass(frozen=True, slots=True)
class VerdictView:
    """The verdict as shown: ``pass`` only when the report says so, anything else ``fail``."""

    name: str
    icon: str
    word: str
    detail: str


@dataclass(frozen=True, slots=True)
class CheckView:
    """One check as a person sees it in one language: plain text for a renderer to lay out."""

    id: str
    status: str  # a status name; anything unknown shows as "error"
    status_label: str
    blocks: bool
    required: str  # "Required" or "Advisory"
    article: str
    title: str
    summary: str
    fix: tuple[str, ...]  # none once the check passed
    evidence: tuple[tuple[str, str], ...]  # values other than text as JSON
    duration_ms: object


@dataclass(frozen=True, slots=True)
class SignatureAlarm:
    """The banner a report whose signature fails is shown under, before anything else."""

    icon: str
    title: str
    detail: str
    reason: str


def signature_alarm(problem: str | None, translate: Translator) -> SignatureAlarm | None:
    """The banner for a report whose signature check gave ``problem`` (None: it holds)."""
    if problem is None:
        return None
    return SignatureAlarm("⚠", translate(UNTRUSTED_TITLE), translate(UNTRUSTED_DETAIL),
                          translate.render(Message.of(UNTRUSTED_REASON, reason=problem)))


def render_json(doc: Mapping[str, Any]) -> str:
    """The report as readable JSON (Japanese kept as is)."""
    return json.dumps(doc, ensure_ascii=False, indent=2)


def text_of(entry: object, lang: str) -> str:
    """A stored message's text in ``lang``, else English, else its message id."""
    if not isinstance(entry, Mapping):
        return ""
    texts = entry.get("text")
    if isinstance(texts, Mapping):
        for language in (lang, "en"):
            value = texts.get(language)
            if isinstance(value, str) and value:
                return value
    return str(entry.get("msgid", ""))


def blocks(check: Mapping[str, Any]) -> bool:
    return bool(check.get("required")) and check.get("status") in _BLOCKING


def sorted_checks(report: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Checks in the order a person should read them: what blocks booking first, then other
    failures, warnings, passes, and checks that do not apply; report order within each."""
    rank = {"fail": 1, "error": 1, "warn": 2, "pass": 3, "skip": 4}
    checks = [c for c in report.get("checks") or () if isinstance(c, Mapping)]
    return sorted(checks, key=lambda c: 0 if blocks(c) else rank.get(str(c.get("status")), 1))


def status_label(status: object, translate: Translator) -> str:
    """Icon and word, e.g. ``✘ Fail``."""
    key = str(status)
    word = translate(STATUS_WORDS[key]) if key in STATUS_WORDS else key
    return f"{STATUS_ICONS.get(key, '?')} {word}"


def article_label(article: object, translate: Translator) -> str:
    """``5(2)`` as 第5条第2項 / Article 5(2); ``12`` as 第12条 / Article 12."""
    import re

    text = str(article)
    if text == "flyer":
        return translate(FLYER)
    numbered = re.fullmatch(r"(\d+)\((\d+)\)", text)
    if numbered:
        return translate.render(Message.of(ARTICLE_PARAGRAPH, article=numbered[1],
                                           paragraph=numbered[2]))
    if text[:1].isdigit():
        return translate.render(Message.of(ARTICLE, article=text))
    return text


def japan_time(created: object) -> str:
    """``2026-11-23T01:02:03Z`` as ``2026-11-23 10:02:03 JST``; anything else unchanged."""
    try:
        moment = datetime.fromisoformat(str(created).replace("Z", "+00:00"))
    except ValueError:
        return str(created)
    if moment.tzinfo is None:
        return str(created)
    return moment.astimezone(JAPAN).strftime("%Y-%m-%d %H:%M:%S JST")


def verdict_view(report: Mapping[str, Any], translate: Translator, *, in_app: bool = False,
                 left_out: tuple[str, ...] = ()) -> VerdictView:
    """The verdict and exactly what is left to do.

    ``left_out`` names the required checks a run did not include (``run --only``): then the
    verdict never promises a booking, whatever the checks run said. When only declarations
    block booking, the detail says a tick is all that is left; ``in_app``: fixing ends with R.
    """
    name = "pass" if report.get("verdict") == "pass" else "fail"
    if left_out:
        return VerdictView("partial", STATUS_ICONS["warn"], translate(VERDICT_WORDS["partial"]),
                           translate.render(Message.of(VERDICT_DETAILS["partial"],
                                                       items=left_out)))
    detail = VERDICT_DETAILS[name]
    if name == "fail":
        blocking = [c for c in report.get("checks") or () if isinstance(c, Mapping) and blocks(c)]
        if blocking and all(str(c.get("id", "")).startswith("declaration.") for c in blocking):
            detail = ONLY_DECLARATIONS
        elif in_app:
            detail = FIX_THEN_R
    return VerdictView(name, STATUS_ICONS[name], translate(VERDICT_WORDS[name]),
                       translate(detail))


def check_views(report: Mapping[str, Any], lang: str,
                translate: Translator) -> list[CheckView]:
    """The report's checks in reading order (:func:`sorted_checks`), as shown in ``lang``."""
    return [_check_view(check, lang, translate) for check in sorted_checks(report)]


def _check_view(check: Mapping[str, Any], lang: str, translate: Translator) -> CheckView:
    status = str(check.get("status"))
    return CheckView(
        id=str(check.get("id", "")),
        status=status if status in STATUS_ICONS else "error",
        status_label=status_label(status, translate),
        blocks=blocks(check),
        required=translate(REQUIRED if check.get("required") else ADVISORY),
        article=article_label(check.get("article"), translate),
        title=text_of(check.get("title"), lang),
        summary=text_of(check.get("summary"), lang),
        fix=() if status == "pass" else tuple(text_of(s, lang) for s in check.get("fix") or ()),
        evidence=tuple((str(key), _evidence_value(value))
                       for key, value in mapping(check.get("evidence")).items()),
        duration_ms=check.get("duration_ms"),
    )


def _evidence_value(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def mapping(value: object) -> Mapping[str, Any]:
    """``value`` if it is a JSON object, else an empty one."""
    return value if isinstance(value, Mapping) else {}

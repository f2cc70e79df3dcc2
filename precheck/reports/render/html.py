"""The report as one self-contained HTML page for staff: no scripts, no external resources.

Everything from the report is escaped by Jinja2's autoescaping, so a message argument such as
``<script>`` shows as text. Times are shown in Japan time.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

import jinja2

from precheck.i18n import Translator
from precheck.reports.render import (
    BLOCKS_BOOKING,
    HOW_TO_FIX,
    check_views,
    japan_time,
    mapping,
    signature_alarm,
    verdict_view,
)
from precheck.result import N_, Message

#: Words of the page itself (message ids, translated with precheck's catalogs).
LABELS = {
    "page_title": N_("precheck report"),
    "platform": N_("Computer"),
    "device_id": N_("Device ID"),
    "key_id": N_("Device key"),
    "unsigned": N_("not signed"),
    "policy": N_("Policy"),
    "created": N_("Checked at"),
    "source": N_("Checked from"),
    "challenge": N_("Gateway challenge"),
    "evidence": N_("Evidence"),
    "no_evidence": N_("No evidence recorded"),
    "how_to_fix": HOW_TO_FIX,
    "blocks_booking": BLOCKS_BOOKING,
    "tool": N_("precheck version"),
    "checks": N_("Checks"),
}
SOURCES = {"live": N_("this computer, live"), "bundle": N_("a diagnostic bundle ({digest})")}


def render_html(report: Mapping[str, Any], lang: str, *,
                signature_problem: str | None = None) -> str:
    """The page in ``lang`` ("ja" or "en").

    ``signature_problem`` is why the report's signature does not hold (None when it holds, or
    the caller made the report itself): the page then opens with a banner saying so, shows no
    verdict, and no status in the verdict colours.
    """
    translate = Translator(lang)
    return _template().render(
        lang=lang,
        alarm=signature_alarm(signature_problem, translate),
        label={key: translate(msgid) for key, msgid in LABELS.items()},
        verdict=verdict_view(report, translate),
        facts=_facts(report, translate),
        checks=check_views(report, lang, translate),
    )


@cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("precheck.reports.render", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("report.html.j2")


def _facts(report: Mapping[str, Any], translate: Translator) -> list[tuple[str, str]]:
    """The page's header table: label and value, all plain text."""
    platform = mapping(report.get("platform"))
    os_text = " ".join(str(platform[k]) for k in ("name", "version") if platform.get(k))
    extras = [str(platform[k]) for k in ("edition", "build", "arch") if platform.get(k)]
    if extras:
        os_text += f" ({', '.join(extras)})"
    policy = mapping(report.get("policy"))
    source = mapping(report.get("source"))
    signature = mapping(report.get("signature"))
    tool = mapping(report.get("tool"))
    kind = str(source.get("kind", "live"))
    facts = [
        (LABELS["created"], japan_time(report.get("created"))),
        (LABELS["platform"], os_text),
        (LABELS["device_id"], str(report.get("device_id", ""))),
        (LABELS["key_id"], str(signature.get("key_id") or translate(LABELS["unsigned"]))),
        (LABELS["policy"], f"{policy.get('version', '')} ({policy.get('digest', '')})"),
        (LABELS["tool"], str(tool.get("version", ""))),
        (LABELS["source"], translate.render(Message.of(
            SOURCES.get(kind, kind), digest=str(source.get("bundle_digest") or "")))),
    ]
    if report.get("challenge"):
        facts.append((LABELS["challenge"], str(report["challenge"])))
    return [(translate(label), value) for label, value in facts]

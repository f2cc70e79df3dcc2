"""The report in the terminal: the verdict in big words first, then each check.

Checks that block booking come first, each with an icon and a status word (never colour alone),
its summary and, unless it passed, the steps that fix it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.panel import Panel
from rich.text import Text

from precheck.i18n import Translator
from precheck.result import N_, Message
from reports.render import (
    ADVISORY,
    BLOCKS_BOOKING,
    HOW_TO_FIX,
    REQUIRED,
    STATUS_ICONS,
    VERDICT_DETAILS,
    VERDICT_WORDS,
    article_label,
    blocks,
    japan_time,
    sorted_checks,
    status_label,
    text_of,
)

_STATUS_STYLES = {"pass": "green", "warn": "yellow", "fail": "bold red", "skip": "dim",
                  "error": "bold magenta"}
_CHECKED_AT = N_("Checked at {time}, policy {policy}")


def render_terminal(report: Mapping[str, Any], lang: str) -> RenderableType:
    """A renderable for ``rich.console.Console.print`` in ``lang`` ("ja" or "en").

    A list rather than a table: each check's lines wrap on their own, which keeps Japanese text
    readable in a narrow terminal and reads in order with a screen reader.
    """
    translate = Translator(lang)
    parts: list[RenderableType] = [_verdict(report, translate)]
    for check in sorted_checks(report):
        parts.extend(_check(check, lang, translate))
    policy = report.get("policy")
    parts.append(Text(""))
    parts.append(Text(translate.render(Message.of(
        _CHECKED_AT, time=japan_time(report.get("created")),
        policy=str(policy.get("version", "?")) if isinstance(policy, Mapping) else "?")),
        style="dim"))
    return Group(*parts)


def _verdict(report: Mapping[str, Any], translate: Translator) -> Panel:
    verdict = "pass" if report.get("verdict") == "pass" else "fail"
    style = "bold green" if verdict == "pass" else "bold red"
    icon = STATUS_ICONS[verdict]
    heading = Text(f"{icon}  {translate(VERDICT_WORDS[verdict])}", style=style, justify="center")
    detail = Text(translate(VERDICT_DETAILS[verdict]), justify="center")
    return Panel(Group(heading, detail), box=box.HEAVY, border_style=style, padding=(1, 2))


def _check(check: Mapping[str, Any], lang: str,
           translate: Translator) -> list[RenderableType]:
    """A heading line (status, title, whether it blocks), then the indented details."""
    status = str(check.get("status"))
    heading = Text(status_label(status, translate), style=_STATUS_STYLES.get(status, ""))
    heading.append("  ")
    heading.append(text_of(check.get("title"), lang), style="bold")
    if blocks(check):
        heading.append(f"  [{translate(BLOCKS_BOOKING)}]", style="bold red")
    details = Text(translate(REQUIRED if check.get("required") else ADVISORY)
                   + " · " + article_label(check.get("article"), translate), style="dim")
    details.append("\n")
    details.append(text_of(check.get("summary"), lang))
    steps = [text_of(step, lang) for step in check.get("fix") or ()]
    if steps and status != "pass":
        details.append("\n" + translate(HOW_TO_FIX), style="bold")
        for number, step in enumerate(steps, start=1):
            details.append(f"\n{number}. {step}")
    return [Text(""), heading, Padding(details, (0, 0, 0, 4))]

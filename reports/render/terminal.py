"""The report in the terminal: the verdict in big words first, then each check.

Checks that block booking come first, each with an icon and a status word (never colour alone),
its summary and, unless it passed, the steps that fix it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
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
_COLUMNS = (N_("Result"), N_("Check"), N_("Details"))
_CHECKED_AT = N_("Checked at {time}, policy {policy}")


def render_terminal(report: Mapping[str, Any], lang: str) -> RenderableType:
    """A renderable for ``rich.console.Console.print`` in ``lang`` ("ja" or "en")."""
    translate = Translator(lang)
    table = Table(box=box.SIMPLE_HEAD, show_lines=False, expand=True)
    for header, ratio in zip(_COLUMNS, (2, 3, 6), strict=True):
        table.add_column(translate(header), ratio=ratio, overflow="fold")
    for check in sorted_checks(report):
        table.add_row(*_row(check, lang, translate))
    policy = report.get("policy")
    caption = translate.render(Message.of(
        _CHECKED_AT, time=japan_time(report.get("created")),
        policy=str(policy.get("version", "?")) if isinstance(policy, Mapping) else "?"))
    return Group(_verdict(report, translate), table, Text(caption, style="dim"))


def _verdict(report: Mapping[str, Any], translate: Translator) -> Panel:
    verdict = "pass" if report.get("verdict") == "pass" else "fail"
    style = "bold green" if verdict == "pass" else "bold red"
    icon = STATUS_ICONS[verdict]
    heading = Text(f"{icon}  {translate(VERDICT_WORDS[verdict])}", style=style, justify="center")
    detail = Text(translate(VERDICT_DETAILS[verdict]), justify="center")
    return Panel(Group(heading, detail), box=box.HEAVY, border_style=style, padding=(1, 2))


def _row(check: Mapping[str, Any], lang: str, translate: Translator) -> tuple[Text, Text, Text]:
    status = str(check.get("status"))
    style = _STATUS_STYLES.get(status, "")
    result = Text(status_label(status, translate), style=style)
    if blocks(check):
        result.append("\n" + translate(BLOCKS_BOOKING), style="bold red")
    title = Text(text_of(check.get("title"), lang), style="bold")
    title.append("\n" + translate(REQUIRED if check.get("required") else ADVISORY)
                 + " · " + article_label(check.get("article"), translate), style="dim")
    details = Text(text_of(check.get("summary"), lang))
    steps = [text_of(step, lang) for step in check.get("fix") or ()]
    if steps and status != "pass":
        details.append("\n" + translate(HOW_TO_FIX), style="bold")
        for number, step in enumerate(steps, start=1):
            details.append(f"\n {number}. {step}")
    return result, title, details

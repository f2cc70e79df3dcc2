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
from rich.table import Table
from rich.text import Text

from precheck.i18n import Translator
from precheck.reports.render import (
    BLOCKS_BOOKING,
    HOW_TO_FIX,
    CheckView,
    SignatureAlarm,
    check_views,
    japan_time,
    mapping,
    signature_alarm,
    verdict_view,
)
from precheck.reports.render.wrap import Prose
from precheck.result import N_, Message

_STATUS_STYLES = {"pass": "green", "warn": "yellow", "fail": "bold red", "skip": "dim",
                  "error": "bold magenta"}
_CHECKED_AT = N_("Checked at {time}, policy {policy}")


def render_terminal(report: Mapping[str, Any], lang: str, *,
                    signature_problem: str | None = None, verdict_last: bool = False,
                    left_out: tuple[str, ...] = ()) -> RenderableType:
    """A renderable for ``rich.console.Console.print`` in ``lang`` ("ja" or "en").

    ``signature_problem`` is why the report's signature does not hold (None when it holds, or
    was not checked): the report is then shown under a banner saying so, with no verdict and no
    status colours, since its results are claims nobody can rely on.

    A list rather than a table: each check's lines wrap on their own, which keeps Japanese text
    readable in a narrow terminal and reads in order with a screen reader.

    ``verdict_last`` (a run in a terminal): the order is reversed, so what is left on the screen
    after the output has scrolled is what matters: the items that block booking, then the
    verdict. ``left_out``: the titles of required checks the run did not include (see
    :func:`~precheck.reports.render.verdict_view`).
    """
    translate = Translator(lang)
    alarm = signature_alarm(signature_problem, translate)
    head: RenderableType = (_verdict(report, translate, left_out) if alarm is None
                            else _alarm(alarm, fold=lang == "ja"))
    checks: list[RenderableType] = []
    views = check_views(report, lang, translate)
    if verdict_last and alarm is None:
        views.reverse()
    for check in views:
        checks.extend(_check(check, translate, fold=lang == "ja", colour=alarm is None))
    checked_at = Text(translate.render(Message.of(
        _CHECKED_AT, time=japan_time(report.get("created")),
        policy=str(mapping(report.get("policy")).get("version", "?")))), style="dim")
    if verdict_last and alarm is None:
        return Group(*checks, Text(""), checked_at, head)
    # A report whose signature fails opens with the banner, whatever the order asked for.
    return Group(head, *checks, Text(""), checked_at)


def _verdict(report: Mapping[str, Any], translate: Translator,
             left_out: tuple[str, ...] = ()) -> Panel:
    verdict = verdict_view(report, translate, left_out=left_out)
    style = {"pass": "bold green", "partial": "bold yellow"}.get(verdict.name, "bold red")
    heading = Text(f"{verdict.icon}  {verdict.word}", style=style, justify="center")
    detail: RenderableType = (Prose(verdict.detail) if translate.language == "ja"
                              else Text(verdict.detail, justify="center"))
    return Panel(Group(heading, detail), box=box.HEAVY, border_style=style, padding=(1, 2))


def _alarm(alarm: SignatureAlarm, *, fold: bool) -> Panel:
    """No colour: the banner must read the same on every terminal, and no verdict colour may
    suggest the report says anything reliable."""
    heading = Text(f"{alarm.icon}  {alarm.title}", style="bold reverse", justify="center")
    return Panel(Group(heading, Text(""), _paragraph(alarm.detail, fold=fold),
                       _paragraph(alarm.reason, fold=fold)),
                 box=box.DOUBLE, border_style="bold", padding=(1, 2))


def _check(check: CheckView, translate: Translator, *, fold: bool,
           colour: bool = True) -> list[RenderableType]:
    """A heading line (status, title, whether it blocks), then the indented details."""
    heading = Text(check.status_label, style=_STATUS_STYLES[check.status] if colour else "bold")
    heading.append("  ")
    heading.append(check.title, style="bold")
    if check.blocks:
        heading.append(f"  [{translate(BLOCKS_BOOKING)}]", style="bold red" if colour else "bold")
    lines: list[RenderableType] = [
        Text(f"{check.required} · {check.article}", style="dim"),
        _paragraph(check.summary, fold=fold),
    ]
    if check.fix:
        lines.append(Text(translate(HOW_TO_FIX), style="bold"))
        numbered = Table.grid(padding=(0, 1, 0, 0))
        numbered.add_column(no_wrap=True)  # the step numbers, with the steps hanging beside them
        numbered.add_column()
        for number, step in enumerate(check.fix, start=1):
            numbered.add_row(f"{number}.", _paragraph(step, fold=fold))
        lines.append(numbered)
    return [Text(""), heading, Padding(Group(*lines), (0, 0, 0, 4))]


def _paragraph(text: str, *, fold: bool) -> RenderableType:
    """Japanese broken between characters as the app breaks it; English at spaces, by rich."""
    return Prose(text) if fold else Text(text)


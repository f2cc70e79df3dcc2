"""Snapshots in Japanese at the smallest and a large terminal (60x20 and 120x40), besides the
80x24 ones of test_snapshots: the results, the next step of a ready result with its office, a
detail dialog and the question before leaving the results. Review a changed snapshot in the
report pytest writes before accepting it with ``--snapshot-update``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from precheck.tui.offices import OfficeChoice
from precheck.tui.screens.confirm import Confirm
from precheck.tui.screens.detail import CheckDetail
from tests.tui.conftest import LINUX_FINE, WINDOWS, Clock, app_for, replayed
from tests.tui.test_flow import run_to_results, wait_for

Snap = Callable[..., bool]
SIZES = [(60, 20), (120, 40)]
NAMERIKAWA = OfficeChoice("namerikawa", "ハローワーク滑川", "Hello Work Namerikawa", 3,
                          "076-475-0324", ("name",), (), "local")


@pytest.mark.parametrize("size", SIZES)
def test_results_not_ready(snap_compare: Snap, clock: Clock, tmp_path: Path,
                           size: tuple[int, int]) -> None:
    assert snap_compare(app_for(replayed(WINDOWS), clock, tmp_path), terminal_size=size,
                        run_before=run_to_results)


@pytest.mark.parametrize("size", SIZES)
def test_results_ready_with_the_next_step_of_the_office(
        snap_compare: Snap, clock: Clock, tmp_path: Path, size: tuple[int, int]) -> None:
    checkup = replayed(LINUX_FINE)
    checkup.office = NAMERIKAWA
    for declaration in list(checkup.declared):
        checkup.declare(declaration, True)
    assert snap_compare(app_for(checkup, clock, tmp_path), terminal_size=size,
                        run_before=run_to_results)


@pytest.mark.parametrize("size", SIZES)
def test_a_detail_dialog(snap_compare: Snap, clock: Clock, tmp_path: Path,
                         size: tuple[int, int]) -> None:
    async def detail(pilot: Pilot[Any]) -> None:
        await run_to_results(pilot)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, CheckDetail))
        await pilot.pause()

    assert snap_compare(app_for(replayed(WINDOWS), clock, tmp_path), terminal_size=size,
                        run_before=detail)


def test_leaving_the_results_asks_first_at_60x20(snap_compare: Snap, clock: Clock,
                                                 tmp_path: Path) -> None:
    async def leaving(pilot: Pilot[Any]) -> None:
        await run_to_results(pilot)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, Confirm))
        await pilot.pause()

    assert snap_compare(app_for(replayed(WINDOWS), clock, tmp_path), terminal_size=(60, 20),
                        run_before=leaving)

"""Snapshots of the main screens at 80x24, as a job seeker sees them (pytest-textual-snapshot).

Deterministic by construction: the checks replay fixture bundles, the running time comes from a
clock the test sets, and nothing touches a live device. Review a changed snapshot in the report
pytest writes before accepting it with ``--snapshot-update``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Checkbox, OptionList, Select

from precheck.gateway_client import GatewayClient
from precheck.tui.screens.results import ResultsScreen
from precheck.tui.screens.running import RunningScreen
from precheck.tui.screens.speaker import SpeakerQuestion
from tests.tui.conftest import LINUX_FINE, WINDOWS, Clock, Waiting, app_for, replayed, with_waiting
from tests.tui.test_flow import run_to_results, through_device_steps, wait_for

SIZE = (80, 24)
Snap = Callable[..., bool]


async def offices_loaded(pilot: Pilot[Any]) -> None:
    listed = pilot.app.screen.query_one("#office", Select).query_one(OptionList)
    await wait_for(pilot, lambda: listed.option_count > 1)  # the office list arrived
    await pilot.pause()


def test_welcome_in_japanese(snap_compare: Snap, clock: Clock, tmp_path: Path) -> None:
    assert snap_compare(app_for(replayed(WINDOWS), clock, tmp_path), terminal_size=SIZE,
                        run_before=offices_loaded)


def test_welcome_in_english(snap_compare: Snap, clock: Clock, tmp_path: Path) -> None:
    async def english(pilot: Pilot[Any]) -> None:
        await offices_loaded(pilot)
        await pilot.press("f2")
        await pilot.pause()

    assert snap_compare(app_for(replayed(WINDOWS), clock, tmp_path), terminal_size=SIZE,
                        run_before=english)


def test_running_with_results_a_check_still_running_and_the_speaker_step(
        snap_compare: Snap, clock: Clock, tmp_path: Path, waiting: type[Waiting]) -> None:
    checkup = with_waiting(replayed(WINDOWS))

    async def mid_run(pilot: Pilot[Any]) -> None:
        await pilot.press("enter")
        await wait_for(pilot, waiting.started.is_set)
        screen = pilot.app.screen
        assert isinstance(screen, RunningScreen)
        others = len(checkup.catalog.ids) - 5  # all but the waiting check and the device checks
        await wait_for(pilot, lambda: len(screen.outcomes) == others)
        clock.now += 3.2
        await pilot.pause(0.3)

    assert snap_compare(app_for(checkup, clock, tmp_path), terminal_size=SIZE,
                        run_before=mid_run)


def test_did_you_hear_the_tone(snap_compare: Snap, clock: Clock, tmp_path: Path) -> None:
    async def asked(pilot: Pilot[Any]) -> None:
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, RunningScreen))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, SpeakerQuestion))
        await pilot.pause()

    assert snap_compare(app_for(replayed(LINUX_FINE), clock, tmp_path), terminal_size=SIZE,
                        run_before=asked)


def test_results_not_ready_in_japanese(snap_compare: Snap, clock: Clock, tmp_path: Path) -> None:
    assert snap_compare(app_for(replayed(WINDOWS), clock, tmp_path), terminal_size=SIZE,
                        run_before=run_to_results)


def test_results_ready_in_english(snap_compare: Snap, clock: Clock, tmp_path: Path) -> None:
    async def ready(pilot: Pilot[Any]) -> None:
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, RunningScreen))
        await through_device_steps(pilot)
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ResultsScreen))
        await pilot.pause()
        for box in pilot.app.screen.query(Checkbox):
            box.value = True
        await pilot.press("f2")
        pilot.app.screen.query_one("#results-body").scroll_home(animate=False)
        await pilot.pause()

    # A gateway that nobody answers: the results screen shows all five actions, and asks nothing.
    app = app_for(replayed(LINUX_FINE), clock, tmp_path, gateway=GatewayClient("http://127.0.0.1:9"))
    assert snap_compare(app, terminal_size=SIZE, run_before=ready)


def test_help(snap_compare: Snap, clock: Clock, tmp_path: Path) -> None:
    async def helped(pilot: Pilot[Any]) -> None:
        await offices_loaded(pilot)
        await pilot.press("f1")
        await pilot.pause()

    assert snap_compare(app_for(replayed(WINDOWS), clock, tmp_path), terminal_size=SIZE,
                        run_before=helped)

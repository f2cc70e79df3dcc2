"""Choosing the devices on the running screen (V): the lists come from the computer (here a
PulseAudio null sink), the system's default is preselected, and the choice is what the device
checks of the run use."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Select

from precheck import plugins
from precheck import policy as policies
from precheck.probes.devices import inventory
from precheck.tui.app import PrecheckApp
from precheck.tui.checkup import Checkup
from precheck.tui.screens.device_choice import PLAYED, PLAYING, RECORDING, DeviceChoice
from precheck.tui.screens.running import RunningScreen
from tests import devices_media
from tests.tui.conftest import Clock, app_for
from tests.tui.test_flow import started, wait_for

null_sink = devices_media.null_sink


@pytest.fixture
def no_choice() -> Iterator[None]:
    yield
    inventory.choose()


async def the_device_choice(pilot: Pilot[Any], app: PrecheckApp) -> DeviceChoice:
    """Start the checks and open the device choice (v), once it has listed the devices."""
    await started(pilot, app)
    await pilot.press("v")
    await wait_for(pilot, lambda: isinstance(app.screen, DeviceChoice))
    choice = app.screen
    assert isinstance(choice, DeviceChoice)
    await wait_for(pilot, lambda: "speaker" in choice.found)
    return choice


@pytest.mark.asyncio
@pytest.mark.usefixtures("no_choice")
async def test_v_lists_the_devices_with_the_default_chosen_and_the_choice_is_used(
        null_sink: str, clock: Clock, tmp_path: Path) -> None:
    sd = pytest.importorskip("sounddevice")
    checkup = Checkup(plugins.load().select(["device.speaker"]), policies.builtin())
    app = app_for(checkup, clock, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        choice = await the_device_choice(pilot, app)
        speaker = choice.query_one("#speaker", Select)
        default = next(d for d in choice.found["speaker"].devices if d.default)
        assert speaker.value == default.index
        other = next(d for d in choice.found["speaker"].devices if not d.default)
        speaker.value = other.index
        await pilot.pause()
        await pilot.click("#use")
        await wait_for(pilot, lambda: isinstance(app.screen, RunningScreen))
        assert sd.query_devices(kind="output")["index"] == other.index
        assert sd.query_devices(kind="input")["index"] == next(
            d.index for d in choice.found["microphone"].devices if d.default)
        await pilot.press("ctrl+q")


@pytest.mark.asyncio
@pytest.mark.usefixtures("no_choice")
async def test_record_and_play_back_goes_through_the_chosen_devices_to_its_question(
        null_sink: str, clock: Clock, tmp_path: Path) -> None:
    pytest.importorskip("sounddevice")
    checkup = Checkup(plugins.load().select(["device.speaker"]), policies.builtin())
    app = app_for(checkup, clock, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        choice = await the_device_choice(pilot, app)
        seen: list[str] = []
        await pilot.click("#record")
        for _ in range(300):
            if choice.playback not in seen:
                seen.append(choice.playback)
            if choice.playback == PLAYED:
                break
            await pilot.pause(0.05)
        assert seen[-3:] == [RECORDING, PLAYING, PLAYED]
        assert not choice.busy
        await pilot.press("ctrl+q")

"""The device lists the app offers, and the choice the device probes then use: listed from a
PulseAudio null sink, never a traceback when a library or a device is missing."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import pytest

from precheck.probes.devices import inventory
from tests import devices_media

null_sink = devices_media.null_sink


@pytest.fixture
def no_choice() -> Iterator[None]:
    yield
    inventory.choose()


def test_the_null_sink_is_listed_as_microphone_and_speaker_with_a_default(
        null_sink: str, no_choice: None) -> None:
    pytest.importorskip("sounddevice")
    for found in (inventory.microphones(), inventory.speakers()):
        assert found.reason is None
        assert found.devices
        assert sum(d.default for d in found.devices) == 1


def test_a_chosen_microphone_and_speaker_become_the_default_the_probes_use(
        null_sink: str, no_choice: None) -> None:
    sd = pytest.importorskip("sounddevice")
    microphone = inventory.microphones().devices[-1]
    speaker = inventory.speakers().devices[-1]
    inventory.choose(microphone=microphone.index, speaker=speaker.index)
    assert sd.query_devices(kind="input")["index"] == microphone.index
    assert sd.query_devices(kind="output")["index"] == speaker.index
    inventory.choose()
    assert sd.query_devices(kind="input")["index"] == next(
        d.index for d in inventory.microphones().devices if d.default)


def test_a_chosen_camera_stands_in_for_the_default_one(no_choice: None) -> None:
    inventory.choose(camera=2)
    assert inventory.camera_index(0) == 2
    assert inventory.camera_index(1) == 1
    inventory.choose()
    assert inventory.camera_index(0) == 0


def test_a_missing_sound_library_is_none_found_with_the_reason(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def missing() -> Any:
        return None

    monkeypatch.setattr(inventory, "_sounddevice", missing)
    assert inventory.microphones() == inventory.Found(reason=inventory.NO_SOUND_LIBRARY)
    assert inventory.speakers().devices == ()
    inventory.choose(microphone=3)  # nothing to set: no error either


@pytest.mark.skipif(sys.platform != "linux", reason="Linux lists its capture nodes")
def test_no_camera_on_this_machine_is_none_found_with_the_reason(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inventory, "_video_numbers", list)
    assert inventory.cameras() == inventory.Found(reason=inventory.NO_CAMERA)

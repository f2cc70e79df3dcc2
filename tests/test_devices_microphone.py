"""device.microphone and environment.noise, on real audio.

The levels come from real recordings: espeak-ng speech, silence, clipped speech and pink noise
made by sox, read as float samples (what sounddevice records), and the same files played through
a PulseAudio null sink and recorded by the live probe through sounddevice.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from precheck.api import Context
from precheck.checks.devices import Microphone
from precheck.checks.environment import Noise
from precheck.errors import ProbeError
from precheck.probes import devices
from precheck.probes.devices import capture
from precheck.probes.devices.analysis import AudioLevels, audio_levels, longest_run
from precheck.result import Status
from precheck.system import LiveBackend, Platform, System
from tests import devices_media
from tests.devices_media import read_wav

# The session fixtures that make the media (shared with the camera and speaker tests).
sounds = devices_media.sounds
null_sink = devices_media.null_sink

MIC = devices.MICROPHONE_PROBE


def answer(levels: Mapping[str, object] | None) -> dict[str, object]:
    if levels is None:
        return {"input": False}
    return {"input": True, "hostapi": "ALSA", "samplerate": 48000, "levels": levels}


@pytest.mark.parametrize(
    ("sound", "mic_status", "mic_phrase", "noise_status"),
    [
        ("speech", Status.PASS, "records", Status.PASS),
        ("silence", Status.FAIL, "only silence", Status.ERROR),
        ("clipping", Status.WARN, "clipping", Status.PASS),
        ("quiet", Status.WARN, "very quiet", Status.PASS),
        ("noise", Status.PASS, "records", Status.WARN),
        ("noisy_speech", Status.PASS, "records", Status.WARN),
    ],
)
def test_levels_of_real_audio_decide_the_verdicts(  # noqa: PLR0917 - parametrized cases
        sounds: dict[str, Path], replay: Callable[..., Context], sound: str,
        mic_status: Status, mic_phrase: str, noise_status: Status) -> None:
    samples, rate = read_wav(sounds[sound])
    levels = audio_levels(samples, rate).to_json()
    ctx = replay({MIC: answer(levels)})
    mic = Microphone().run(ctx)
    assert mic.status is mic_status, levels
    assert mic_phrase in mic.summary.msgid
    # the evidence is levels, the host API and the rate: no device name, nothing else
    assert set(mic.evidence) == {"hostapi", "samplerate", *AudioLevels.__slots__}
    noise = Noise().run(ctx)
    assert noise.status is noise_status, levels
    if noise_status is Status.WARN:
        assert noise.summary.args["noise"] == levels["noise_floor_dbfs"]
        assert noise.fix


def test_speech_level_and_noise_floor_are_what_a_listener_would_say(
        sounds: dict[str, Path]) -> None:
    speech = audio_levels(*read_wav(sounds["speech"]))
    noisy = audio_levels(*read_wav(sounds["noisy_speech"]))
    clipped = audio_levels(*read_wav(sounds["clipping"]))
    assert -35 < speech.rms_dbfs < -3
    assert noisy.noise_floor_dbfs > speech.noise_floor_dbfs + 10  # the room, not the voice
    assert clipped.longest_clip_run > 6 >= speech.longest_clip_run


def test_stereo_and_empty_recordings() -> None:
    import numpy as np

    stereo = np.zeros((4800, 2), dtype=np.float32)
    stereo[:, 0] = 0.5
    assert audio_levels(stereo, 48000).rms_dbfs == pytest.approx(-12.04, abs=0.01)
    assert audio_levels(np.zeros(0), 48000).rms_dbfs == -120.0
    assert longest_run(np.array([True, True, False, True])) == 2


def test_no_input_device_fails_and_noise_cannot_tell(replay: Callable[..., Context]) -> None:
    ctx = replay({MIC: answer(None)})
    assert Microphone().run(ctx).status is Status.FAIL
    assert Noise().run(ctx).status is Status.ERROR


def test_windows_privacy_switch_names_its_own_fix(replay: Callable[..., Context]) -> None:
    # The registry store's documented values ("Allow"/"Deny"); INVENTED answers in that shape.
    key = ("SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\CapabilityAccessManager"
           "\\ConsentStore\\microphone")
    silent = {"seconds": 3.0, "rms_dbfs": -120.0, "peak_dbfs": -120.0,
              "noise_floor_dbfs": -120.0, "loudest_window_dbfs": -120.0,
              "longest_clip_run": 0, "clipped_samples": 0}
    ctx = replay({MIC: answer(silent), f"reg:HKLM\\{key}": {"Value": "Allow"},
                  f"reg:HKCU\\{key}": {"Value": "Allow"},
                  f"reg:HKCU\\{key}\\NonPackaged": {"Value": "Deny"}}, Platform.WINDOWS)
    result = Microphone().run(ctx)
    assert result.status is Status.FAIL
    assert "privacy" in result.summary.msgid


def test_malformed_recording_is_an_error_not_a_pass(replay: Callable[..., Context]) -> None:
    with pytest.raises(ProbeError):
        Microphone().run(replay({MIC: {"input": True, "levels": {"rms_dbfs": -20}}}))
    with pytest.raises(ProbeError):
        Microphone().run(replay({MIC: "loud"}))


def test_a_hung_device_call_becomes_a_timeout() -> None:
    release = threading.Event()
    started = time.monotonic()
    with pytest.raises(ProbeError) as caught:
        capture.bounded("test:hang", 0.3, lambda: release.wait(10))
    release.set()
    assert caught.value.kind == "timeout"
    assert time.monotonic() - started < 2
    with pytest.raises(ZeroDivisionError):
        capture.bounded("test:bug", 1, lambda: 1 / 0)


# -- end to end: PulseAudio null sink -> sounddevice -> the live probe ---------------------------

def play_into(sink: str, path: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(["paplay", "-d", sink, str(path)])


def test_live_silence_through_the_null_sink(null_sink: str,
                                            replay: Callable[..., Context]) -> None:
    pytest.importorskip("sounddevice")
    ctx = Context(System(LiveBackend()), replay({}).policy)
    result = Microphone().run(ctx)  # nothing plays into the sink: its monitor is silent
    assert result.status is Status.FAIL
    assert "silence" in result.summary.msgid


@pytest.mark.parametrize(("sound", "status"), [("speech", Status.PASS),
                                               ("clipping", Status.WARN)])
def test_live_recording_through_the_null_sink(
        null_sink: str, sounds: dict[str, Path], replay: Callable[..., Context],
        sound: str, status: Status) -> None:
    pytest.importorskip("sounddevice")
    ctx = Context(System(LiveBackend()), replay({}).policy)
    player = play_into(null_sink, sounds[sound])
    try:
        result = Microphone().run(ctx)
    finally:
        player.terminate()
        player.wait(timeout=20)
    assert result.status is status, dict(result.evidence)
    assert result.evidence["samplerate"]
    # the noise check reads the same recording: the probe ran once
    assert Noise().run(ctx).evidence["noise_floor_dbfs"] == result.evidence["noise_floor_dbfs"]
    records = [r for r in ctx.system.backend.records() if r.name == MIC]  # type: ignore[attr-defined]
    assert len(records) == 1
    # what is recorded: levels, the host API and the rate; never the device's name or the sound
    assert set(records[0].value) == {"input", "hostapi", "samplerate", "levels"}
    assert set(records[0].value["levels"]) == set(AudioLevels.__slots__)


def test_level_meter_updates_without_blocking(null_sink: str, sounds: dict[str, Path]) -> None:
    pytest.importorskip("sounddevice")
    player = play_into(null_sink, sounds["noise"])
    levels: list[float] = []
    try:
        with capture.MicrophoneMeter(block_s=0.5) as meter:
            # The first stream on a fresh null sink starts late (about 1-3 s here): wait for it.
            first = time.monotonic() + 8.0
            while meter.level() is None and time.monotonic() < first:
                time.sleep(0.05)
            deadline = time.monotonic() + 1.5
            while time.monotonic() < deadline:
                started = time.monotonic()
                level = meter.level()
                # never waits for the device: a wait lasts a block (0.5 s); a generous bound
                assert time.monotonic() - started < 0.25
                if level is not None:
                    levels.append(level)
                time.sleep(0.1)
    finally:
        player.terminate()
        player.wait(timeout=20)
    assert len(levels) >= 5
    assert max(levels) > -40  # the noise came through the virtual microphone

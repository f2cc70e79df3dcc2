"""device.speaker: the tone plays on the default output; only a listener's answer makes a pass.

End to end, the tone is played by the live probe into a PulseAudio null sink and recorded back
from its monitor through sounddevice, so the playback path is proven without a person.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from precheck.api import Context, Policy
from precheck.checks.devices import Speaker
from precheck.errors import ProbeError
from precheck.probes import devices
from precheck.probes.devices import capture
from precheck.result import Status
from precheck.system import LiveBackend, System
from tests import devices_media

null_sink = devices_media.null_sink
PLAYED = {"output": True, "played": True, "hostapi": "ALSA", "samplerate": 48000,
          "seconds": 1.0, "frequency": 660.0}


@pytest.mark.parametrize(
    ("answers", "status", "phrase"),
    [
        ({devices.TONE_PROBE: PLAYED, devices.HEARD_PROBE: None}, Status.WARN,
         "not confirmed by a listener"),
        ({devices.TONE_PROBE: PLAYED, devices.HEARD_PROBE: True}, Status.PASS, "was heard"),
        ({devices.TONE_PROBE: PLAYED, devices.HEARD_PROBE: False}, Status.FAIL, "did not hear"),
        ({devices.TONE_PROBE: {"output": False, "played": False}}, Status.FAIL,
         "No speaker"),
        ({devices.TONE_PROBE: {"output": True, "played": False}}, Status.ERROR,
         "could not be played"),
    ],
)
def test_verdicts(replay: Callable[..., Context], answers: dict[str, object], status: Status,
                  phrase: str) -> None:
    result = Speaker().run(replay(answers))
    assert result.status is status
    assert phrase in result.summary.msgid


def test_malformed_answers_are_errors(replay: Callable[..., Context]) -> None:
    with pytest.raises(ProbeError):
        Speaker().run(replay({devices.TONE_PROBE: "loud"}))
    with pytest.raises(ProbeError):
        Speaker().run(replay({devices.TONE_PROBE: PLAYED, devices.HEARD_PROBE: "yes"}))


def test_the_tone_reaches_the_output(null_sink: str) -> None:
    """Record the sink's monitor while the live probe plays the tone: the tone comes back."""
    sd = pytest.importorskip("sounddevice")
    import numpy as np

    system = System(LiveBackend())
    recorded: list[object] = []

    def listen() -> None:
        with sd.InputStream(samplerate=48000, channels=1, dtype="float32") as stream:
            recorded.append(stream.read(int(2.0 * 48000))[0])

    listener = threading.Thread(target=listen)
    listener.start()
    time.sleep(0.3)
    present, played = capture.bounded("test:tone", 10, lambda: devices.play_test_tone(system))
    listener.join(timeout=10)
    assert (present, played) == (True, True)
    samples = np.asarray(recorded[0])[:, 0]
    spectrum = np.abs(np.fft.rfft(samples))
    peak_hz = np.fft.rfftfreq(samples.size, 1 / 48000)[spectrum.argmax()]
    assert abs(peak_hz - devices.TONE_HZ) < 5
    # headless: nobody answered, so the check warns and never passes
    assert Speaker().run(Context(system, _policy())).status is Status.WARN


def test_the_tui_answer_is_recorded_once(null_sink: str) -> None:
    pytest.importorskip("sounddevice")
    system = System(LiveBackend())
    devices.play_test_tone(system)
    assert devices.confirm_speaker(system, heard=True)
    assert not devices.confirm_speaker(system, heard=False)  # the first answer of the run stands
    assert Speaker().run(Context(system, _policy())).status is Status.PASS


def _policy() -> Policy:
    from precheck import policy

    return policy.builtin()

"""Facts about the camera, the microphone, the speaker and the room's noise.

Each fact is one or two named probes whose answers are measured summaries (frame statistics,
audio levels), never pictures or sound, and never device names. The live work happens in
:mod:`.capture` (bounded by a deadline, devices released afterwards); the numbers are computed by
the pure functions of :mod:`.analysis`; the OS modules say which camera backend to use and what
the OS privacy settings say.

The speaker needs a person: the TUI plays the test tone with :func:`play_test_tone`, asks, and
gives the answer with :func:`confirm_speaker` *before* the checks run. Both are recorded probes
(``sounddevice:play_tone``, ``user:speaker_heard``), so the check reads the same answers and a
bundle replays them. Without an answer (a headless run) ``heard`` is None.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from precheck.errors import ProbeError
from precheck.probes import platform_module
from precheck.probes.devices.analysis import AudioLevels, FrameStat
from precheck.system import JSON

if TYPE_CHECKING:
    from precheck.system import System

#: Seconds recorded by the microphone probe (testrtc records 2 s; a bit more finds the floor).
RECORD_S = 3.0
#: The speaker test tone.
TONE_S, TONE_HZ = 1.0, 660.0
#: Frames measured by the camera probe, and the most time it may take once the camera is open.
CAMERA_FRAMES, CAMERA_READ_S = 30, 4.0
#: Extra time a device may take to open before the probe gives up on it.
OPEN_GRACE_S = 6.0

MICROPHONE_PROBE = f"sounddevice:record:{RECORD_S:g}s"
TONE_PROBE = "sounddevice:play_tone"
HEARD_PROBE = "user:speaker_heard"

#: Checks run concurrently: the test tone must not play while the microphone records the room.
_SOUND = threading.Lock()


@dataclass(frozen=True, slots=True)
class Microphone:
    """The default input device and what it recorded."""

    present: bool
    levels: AudioLevels | None = None
    hostapi: str | None = None  # "Windows WASAPI", "Core Audio", "ALSA" (never the device name)
    samplerate: int | None = None
    consent: bool | None = None  # Windows privacy setting: False = denied; None = unknown


class CameraState(StrEnum):
    OK = "ok"  # it opened and delivered frames
    NOT_FOUND = "not_found"  # the OS lists no camera
    DENIED = "denied"  # the OS privacy setting blocks camera access
    NOT_OPENED = "not_opened"  # a camera may exist, but could not be opened
    BUSY = "busy"  # it opened, then delivered no frame: another app holds it (or permission)


@dataclass(frozen=True, slots=True)
class Camera:
    """The default camera and the frames it delivered."""

    state: CameraState
    api: str | None = None  # the OpenCV backend: DSHOW, AVFOUNDATION, V4L2
    width: int = 0
    height: int = 0
    fps: float = 0.0  # the lower of the reported and the measured rate
    read_failures: int = 0
    frames: tuple[FrameStat, ...] = ()
    devices: int | None = None  # cameras the OS lists, None when it cannot tell


@dataclass(frozen=True, slots=True)
class Speaker:
    """The default output device, whether the test tone played, and whether someone heard it."""

    present: bool
    played: bool
    heard: bool | None  # None: nobody was asked (a headless run)


# -- microphone ---------------------------------------------------------------------------------

def microphone(system: System) -> Microphone:
    """The microphone: a few seconds recorded and measured (or the system's own answer)."""
    return system.fact("microphone", lambda: _microphone(system))


def _microphone(system: System) -> Microphone:
    def produce() -> JSON:
        from precheck.probes.devices import capture

        with _SOUND:
            return capture.bounded(MICROPHONE_PROBE, RECORD_S + OPEN_GRACE_S,
                                   lambda: capture.record(MICROPHONE_PROBE, RECORD_S))

    found = parse_microphone(system.probe(MICROPHONE_PROBE, produce))
    consent = platform_module(__name__, system).consent(system, "microphone")
    return Microphone(found.present, found.levels, found.hostapi, found.samplerate, consent)


def parse_microphone(raw: JSON) -> Microphone:
    if not isinstance(raw, dict) or not isinstance(raw.get("input"), bool):
        raise ProbeError(MICROPHONE_PROBE, "malformed", "not a recording summary")
    if not raw["input"]:
        return Microphone(present=False)
    levels = raw.get("levels")
    try:
        assert isinstance(levels, dict)  # noqa: S101 - narrowed; caught below
        parsed = AudioLevels(**{k: levels[k] for k in AudioLevels.__slots__})
    except (AssertionError, KeyError, TypeError) as exc:
        raise ProbeError(MICROPHONE_PROBE, "malformed", "incomplete audio levels") from exc
    rate = raw.get("samplerate")
    return Microphone(True, parsed, str(raw.get("hostapi") or "") or None,
                      rate if isinstance(rate, int) else None)


# -- speaker ------------------------------------------------------------------------------------

def play_test_tone(system: System) -> tuple[bool, bool]:
    """Play the test tone once per run (recorded); (an output device exists, it played)."""

    def produce() -> JSON:
        from precheck.probes.devices import capture

        with _SOUND:
            return capture.bounded(TONE_PROBE, TONE_S + OPEN_GRACE_S,
                                   lambda: capture.play_tone(TONE_PROBE, TONE_S, TONE_HZ))

    raw = system.probe(TONE_PROBE, produce)
    if not isinstance(raw, dict) or not isinstance(raw.get("output"), bool):
        raise ProbeError(TONE_PROBE, "malformed", "not a playback summary")
    return raw["output"], bool(raw.get("played"))


def play_tone_again() -> tuple[bool, bool]:
    """Play the test tone once more on this computer, for a listener who missed it: not a
    probe (nothing is recorded; the speaker check reads the first playing)."""
    from precheck.probes.devices import capture

    with _SOUND:
        raw = capture.bounded(TONE_PROBE, TONE_S + OPEN_GRACE_S,
                              lambda: capture.play_tone(TONE_PROBE, TONE_S, TONE_HZ))
    if not isinstance(raw, dict):
        return False, False
    return bool(raw.get("output")), bool(raw.get("played"))


def confirm_speaker(system: System, heard: bool) -> bool:
    """Give the listener's answer (the TUI asks after the tone); call before the checks run.

    True when this is the answer recorded: the first answer of a run stands, and once the speaker
    check has read "nobody answered", a later answer is not taken.
    """
    return system.probe(HEARD_PROBE, lambda: heard) is heard


def speaker(system: System) -> Speaker:
    """The speaker: the test tone played, and whether the listener heard it."""
    return system.fact("speaker", lambda: _speaker(system))


def _speaker(system: System) -> Speaker:
    present, played = play_test_tone(system)
    if not played:
        return Speaker(present, played, None)
    heard = system.probe(HEARD_PROBE, lambda: None)  # None: nobody answered (a headless run)
    if heard is not None and not isinstance(heard, bool):
        raise ProbeError(HEARD_PROBE, "malformed", "the listener's answer is not yes or no")
    return Speaker(present, played, heard)


# -- camera -------------------------------------------------------------------------------------

def camera_probe_name(api: str, index: int) -> str:
    return f"opencv:camera:{api}:{index}"


def camera(system: System, index: int = 0) -> Camera:
    """Find the cameras the OS lists, then open camera ``index`` and measure its frames (for the
    default, 0, the camera chosen in the app: :func:`.inventory.choose`)."""
    return system.fact("camera", lambda: _camera(system, index))


def _camera(system: System, index: int) -> Camera:
    from precheck.probes.devices.inventory import camera_index

    index = camera_index(index)
    module = platform_module(__name__, system)
    devices: int | None = module.camera_count(system)
    if devices == 0:
        return Camera(CameraState.NOT_FOUND, devices=0)
    if module.consent(system, "webcam") is False:
        return Camera(CameraState.DENIED, devices=devices)
    api: str = module.CAMERA_API
    name = camera_probe_name(api, index)

    def produce() -> JSON:
        import cv2

        from precheck.probes.devices import capture

        return capture.bounded(name, CAMERA_READ_S + OPEN_GRACE_S, lambda: capture.capture_frames(
            index, getattr(cv2, f"CAP_{api}"), frames=CAMERA_FRAMES, seconds=CAMERA_READ_S))

    return parse_camera(system.probe(name, produce), devices, name)


def parse_camera(raw: JSON, devices: int | None = None, name: str = "opencv:camera") -> Camera:
    """A :class:`Camera` from the capture answer (:func:`capture.capture_frames`)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("opened"), bool):
        raise ProbeError(name, "malformed", "not a camera capture summary")
    if not raw["opened"]:
        return Camera(CameraState.NOT_OPENED, devices=devices)
    try:
        frames = tuple(FrameStat.from_json(f) for f in raw.get("frames") or [])
        reported = float(raw.get("fps_reported") or 0.0)
        measured = float(raw.get("fps_measured") or 0.0)
        width, height = int(raw.get("width") or 0), int(raw.get("height") or 0)
        failures = int(raw.get("read_failures") or 0)
    except (TypeError, ValueError) as exc:
        raise ProbeError(name, "malformed", "unreadable frame statistics") from exc
    rates = [r for r in (reported, measured) if r > 0]
    return Camera(
        CameraState.OK if frames else CameraState.BUSY,
        api=str(raw.get("api") or "") or None, width=width, height=height,
        fps=min(rates) if rates else 0.0, read_failures=failures, frames=frames, devices=devices,
    )

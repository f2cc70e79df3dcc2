"""The cameras, microphones and speakers of this computer, for the app's pre-call test to choose
from, and the choice the device probes then use.

Listing never fails: each list is either the devices found or none with the reason (a message id,
translated by whoever shows it), never a traceback. The microphone and speaker probes use
sounddevice's default devices, so a choice is made by setting that default
(``sounddevice.default.device``); the camera probe opens the chosen camera where it would open
the default one (index 0). Not recorded probes: which devices exist is not a fact a check judges.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from precheck.result import N_

NO_SOUND_LIBRARY = N_("The sound library (PortAudio) is missing, so no microphone or speaker "
                      "can be used.")
NO_SOUND_DEVICE = N_("The computer lists no such sound device: connect one, or switch it on.")
NO_CAMERA = N_("The computer lists no camera: connect one, or close the app that is using it.")

#: The camera opened instead of the default one (index 0); None: the default.
_chosen_camera: int | None = None


@dataclass(frozen=True, slots=True)
class Device:
    """One device to choose: its index for sounddevice or OpenCV, its name, and whether it is the
    system's default."""

    index: int
    name: str
    default: bool = False


@dataclass(frozen=True, slots=True)
class Found:
    """The devices of one kind, or none and why (a message id)."""

    devices: tuple[Device, ...] = ()
    reason: str | None = None


def camera_api() -> str:
    """The OpenCV backend the camera probe uses on this OS ("V4L2", "DSHOW", "AVFOUNDATION")."""
    if sys.platform == "win32":
        return "DSHOW"
    return "AVFOUNDATION" if sys.platform == "darwin" else "V4L2"


def cameras() -> Found:
    """The cameras to choose from. Linux names its capture nodes; elsewhere OpenCV cannot list
    cameras, so the system's default camera is the one offered."""
    if sys.platform != "linux":
        return Found((Device(0, "", default=True),))
    found = [Device(n, _video_name(n), default=n == 0) for n in _video_numbers()]
    return Found(tuple(found)) if found else Found(reason=NO_CAMERA)


def _video_numbers() -> list[int]:
    """Capture nodes: even /dev/videoN (a UVC camera's odd node carries metadata)."""
    numbers = (p.name.removeprefix("video") for p in Path("/dev").glob("video*"))
    return sorted(int(n) for n in numbers if n.isdigit() and int(n) % 2 == 0)


def _video_name(number: int) -> str:
    try:
        return Path(f"/sys/class/video4linux/video{number}/name").read_text().strip()
    except OSError:
        return ""


def microphones() -> Found:
    """The sound devices that record."""
    return _sound("input")


def speakers() -> Found:
    """The sound devices that play."""
    return _sound("output")


def _sounddevice() -> Any | None:
    try:
        import sounddevice
    except (ImportError, OSError):  # OSError: the PortAudio library is missing
        return None
    return sounddevice


def _sound(kind: str) -> Found:
    sd = _sounddevice()
    if sd is None:
        return Found(reason=NO_SOUND_LIBRARY)
    try:
        listed = list(sd.query_devices())
        default = _default_index(sd, kind)
    except sd.PortAudioError:
        return Found(reason=NO_SOUND_LIBRARY)
    found = tuple(Device(int(d["index"]), str(d["name"]), default=int(d["index"]) == default)
                  for d in listed if d.get(f"max_{kind}_channels", 0) > 0)
    return Found(found) if found else Found(reason=NO_SOUND_DEVICE)


def _default_index(sd: Any, kind: str) -> int | None:
    try:
        return int(sd.query_devices(kind=kind)["index"])
    except (sd.PortAudioError, ValueError, KeyError):
        return None


def choose(*, camera: int | None = None, microphone: int | None = None,
           speaker: int | None = None) -> None:
    """Use these devices from now on in this process (None: the system's default)."""
    global _chosen_camera  # noqa: PLW0603 - the process's one device choice, like sounddevice's
    _chosen_camera = camera
    sd = _sounddevice()
    if sd is not None:
        sd.default.device = (microphone, speaker)


def camera_index(index: int) -> int:
    """The camera to open for ``index``: the chosen one stands in for the default (0)."""
    return _chosen_camera if index == 0 and _chosen_camera is not None else index


#: Seconds recorded by the "record and play back" test.
PLAYBACK_S = 3.0


def record_and_play_back(seconds: float = PLAYBACK_S,
                         between: Callable[[], None] | None = None) -> str | None:
    """Record ``seconds`` from the chosen microphone, then play them on the chosen speaker, so the
    job seeker hears how they sound. Nothing is kept. None when done, else why not (a message
    id); ``between()`` is called when the playing starts."""
    from precheck.probes.devices import _SOUND

    sd = _sounddevice()
    if sd is None:
        return NO_SOUND_LIBRARY
    try:
        with _SOUND:  # not while a check records the room or plays the tone
            rate = int(sd.query_devices(kind="input")["default_samplerate"])
            # Explicit streams, as the probes use: the convenience functions share one global.
            with sd.InputStream(samplerate=rate, channels=1, dtype="float32") as stream:
                sound, _ = stream.read(int(seconds * rate))
            if between is not None:
                between()
            with sd.OutputStream(samplerate=rate, channels=1, dtype="float32") as stream:
                stream.write(sound)
    except (sd.PortAudioError, ValueError, KeyError):
        return NO_SOUND_DEVICE
    return None

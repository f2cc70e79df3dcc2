"""Real media for the device tests, made by ffmpeg, sox and espeak-ng at test time.

Nothing binary is committed: each file is generated once per session into a temporary folder.
A missing tool skips the tests that need it, with the reason, except under CI (CI=true), where
it fails: CI installs the tools (.ci/run's need_apt line).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


def need(*tools: str) -> None:
    """Skip (or, under CI, fail) when a system tool is missing."""
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        reason = f"needs {', '.join(missing)} (apt-get install the Debian packages in .ci/run)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)


def run(*argv: str) -> None:
    subprocess.run(argv, check=True, capture_output=True, timeout=60)


# Each video: 3 s at 15 fps, 640x480 unless named otherwise; read through cv2.VideoCapture.
VIDEOS: dict[str, list[str]] = {
    # a moving test pattern: what a working camera looks like
    "pattern": ["-f", "lavfi", "-i", "testsrc2=size=640x480:rate=15", "-t", "3"],
    "black": ["-f", "lavfi", "-i", "color=c=black:size=640x480:rate=15", "-t", "3"],
    # a covered lens with light bleeding through: dull, uniform, not black
    "covered": ["-f", "lavfi", "-i", "color=c=0x3a2e28:size=640x480:rate=15", "-t", "3"],
    # the pattern darkened: far too dark but not black
    "dark": ["-f", "lavfi", "-i", "testsrc2=size=640x480:rate=15", "-t", "3",
             "-vf", "eq=brightness=-0.6"],
    "small": ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=15", "-t", "3"],
    "slow": ["-f", "lavfi", "-i", "testsrc2=size=640x480:rate=4", "-t", "10"],
}


@pytest.fixture(scope="session")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    need("ffmpeg")
    folder = tmp_path_factory.mktemp("videos")
    made: dict[str, Path] = {}
    for name, args in VIDEOS.items():
        made[name] = folder / f"{name}.mp4"
        run("ffmpeg", "-v", "error", "-y", *args, "-pix_fmt", "yuv420p", str(made[name]))
    # frozen: one still image of the pattern, looped, as a hung driver repeats its last buffer
    still = folder / "still.png"
    run("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=640x480",
        "-frames:v", "1", str(still))
    made["frozen"] = folder / "frozen.mp4"
    run("ffmpeg", "-v", "error", "-y", "-loop", "1", "-framerate", "15", "-i", str(still),
        "-t", "3", "-pix_fmt", "yuv420p", str(made["frozen"]))
    return made


@pytest.fixture(scope="session")
def sounds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """16-bit mono WAV files: speech, silence, clipping, noise, and speech in a noisy room."""
    need("espeak-ng", "sox")
    folder = tmp_path_factory.mktemp("sounds")
    made = {name: folder / f"{name}.wav" for name in
            ("speech", "silence", "clipping", "noise", "noisy_speech", "quiet")}
    # a sentence with a second of quiet before and after, as someone answering a prompt speaks
    run("espeak-ng", "-g", "20", "-w", str(folder / "raw.wav"),
        "Hello, this is a microphone test for the online job consultation. One, two, three.")
    run("sox", str(folder / "raw.wav"), "-r", "48000", "-c", "1", "-b", "16", str(made["speech"]),
        "pad", "1", "1")
    run("sox", "-n", "-r", "48000", "-c", "1", "-b", "16", str(made["silence"]), "trim", "0", "3")
    # speech driven far past full scale: a flattened waveform, as a too-hot microphone gives
    run("sox", str(made["speech"]), str(made["clipping"]), "gain", "20")
    # pink noise (brown noise sounds like a room's rumble; pink like fans and traffic)
    run("sox", "-n", "-r", "48000", "-c", "1", "-b", "16", str(made["noise"]),
        "synth", "12", "pinknoise", "vol", "0.3")
    run("sox", "-m", str(made["speech"]), str(made["noise"]), str(made["noisy_speech"]))
    run("sox", str(made["speech"]), str(made["quiet"]), "vol", "0.003")
    return made


def read_wav(path: Path) -> tuple[Any, int]:
    """A WAV file as float32 samples in [-1, 1], the form sounddevice records in."""
    import numpy as np

    with wave.open(str(path), "rb") as handle:
        rate, width = handle.getframerate(), handle.getsampwidth()
        raw = handle.readframes(handle.getnframes())
    assert width == 2, "the fixtures are 16-bit"
    return np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0, rate


@pytest.fixture(scope="session")
def null_sink(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PulseAudio null sink as the default output, its monitor as the default input.

    The sound server is this session's own (its socket in a private runtime folder, named by
    PULSE_RUNTIME_PATH for this process and its children): test sessions running at the same time
    on one machine, or the desktop's own server, never hear each other's sounds.
    """
    need("pulseaudio", "pactl", "paplay")
    with private_pulseaudio(tmp_path_factory.mktemp("pulse")):
        run("pactl", "load-module", "module-null-sink", "sink_name=precheck_test")
        run("pactl", "set-default-sink", "precheck_test")
        run("pactl", "set-default-source", "precheck_test.monitor")
        refresh_portaudio()
        yield "precheck_test"
    refresh_portaudio_later()


def pulse_environment(folder: Path) -> dict[str, str]:
    """Variables that point PulseAudio clients (and the daemon) at a private server in ``folder``.

    Clients never start a server of their own (autospawn off), so a stopped server stays stopped.
    """
    config = folder / "client.conf"
    config.write_text("autospawn = no\n", encoding="utf-8")
    return {"PULSE_RUNTIME_PATH": str(folder), "PULSE_CLIENTCONFIG": str(config)}


@contextlib.contextmanager
def private_pulseaudio(folder: Path) -> Iterator[dict[str, str]]:
    """Start a PulseAudio server of our own in ``folder``; this process's clients use it.

    Yields the environment variables for child processes; stops the server afterwards.
    """
    variables = pulse_environment(folder)
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        run("pulseaudio", "--start", "--exit-idle-time=-1")
        yield variables
    finally:
        subprocess.run(["pulseaudio", "--kill"], check=False, timeout=10, capture_output=True)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def refresh_portaudio() -> None:
    """Make PortAudio list devices again (it lists them once, when sounddevice is imported).

    An earlier test may have imported sounddevice before the daemon ran; PortAudio then knows no
    PulseAudio device. sounddevice has no public call for this: its maintainers point to these
    two (python-sounddevice issue #47).
    """
    import sys

    sd = sys.modules.get("sounddevice")
    if sd is not None:
        sd._terminate()
        sd._initialize()


def refresh_portaudio_later() -> None:
    """After the private server stops, PortAudio must forget its devices too."""
    with contextlib.suppress(Exception):
        refresh_portaudio()

"""Driver noise never reaches the job seeker's screen (precheck.probes.devices.quiet).

The noise is real: PortAudio's ``Expression '...' failed in 'src/hostapi/alsa/pa_linux_alsa.c'``
lines appear when the sound server stops during a recording, and OpenCV's ``[ WARN:0@...] global
cap_v4l.cpp`` lines when a video device cannot be opened. Both were seen on this machine through
``precheck run`` before the filter; the end-to-end tests below recreate those situations (a private
PulseAudio server stopped mid-recording; a /dev/video0 that is no camera, in a private mount
namespace) and run the real ``precheck`` console script.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from precheck.probes.devices import quiet
from tests import devices_media

PRECHECK = Path(sys.executable).parent / "precheck"

#: What must never show: the drivers' lines, and no Python traceback either.
NOISE = re.compile(r"Expression '.*' failed in|ALSA lib |pa_linux_alsa\.c|\[ ?WARN:\d|"
                   r"\[ ?ERROR:\d|cap_v4l|VIDEOIO|Traceback")

PORTAUDIO_LINES = (
    b"Expression 'alsa_snd_pcm_poll_descriptors_revents( self->pcm, pfds, self->nfds, &revents )'"
    b" failed in 'src/hostapi/alsa/pa_linux_alsa.c', line: 3665\n"
    b"ALSA lib pulse.c:242:(pulse_connect) PulseAudio: Unable to connect: Connection refused\n"
    b"\n"
    b"[ WARN:0@0.018] global cap_v4l.cpp:914 open VIDEOIO(V4L2:/dev/video0): can't open camera by"
    b" index\n"
)


@pytest.mark.parametrize("line", [line for line in PORTAUDIO_LINES.split(b"\n") if line] + [
    b"Cannot connect to server socket err = No such file or directory",
    b"jack server is not running or cannot be started",
    b"[h264 @ 0x55d1c2a3b4c0] no frame!",
    b"OpenCV: not authorized to capture video (status 0), requesting...",
])
def test_driver_lines_are_recognised(line: bytes) -> None:
    assert quiet.is_driver_noise(line)


@pytest.mark.parametrize("line", [
    b"Traceback (most recent call last):",
    b"precheck: error: the policy file is not valid",
    b"warning: the check plugin x from y could not be loaded",
    b"DEBUG precheck.runner: started",
])
def test_other_lines_are_not(line: bytes) -> None:
    assert not quiet.is_driver_noise(line)


def _stderr_identity() -> tuple[int, int]:
    info = os.fstat(2)
    return info.st_dev, info.st_ino


def test_noise_is_dropped_and_everything_else_forwarded(capfd: pytest.CaptureFixture[str],
                                                        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger=quiet.__name__)
    before = _stderr_identity()
    with quiet.native_stderr_filtered():
        assert _stderr_identity() != before  # descriptor 2 is the filter's pipe now
        os.write(2, PORTAUDIO_LINES)
        os.write(2, b"a message for the user\n")
        sys.stderr.write("a Python warning\n")
        os.write(2, b"no newline at the end")
    assert _stderr_identity() == before
    err = capfd.readouterr().err
    # (pytest hands sys.stderr its own file, so the Python line may come first)
    assert sorted(err.splitlines()) == ["a Python warning", "a message for the user",
                                        "no newline at the end"]
    assert err.endswith(("no newline at the end", "a Python warning\n"))
    # what was kept off the screen is logged at debug level (precheck -v), once
    hidden = [r.getMessage() for r in caplog.records if "kept off the screen" in r.getMessage()]
    assert len(hidden) == 1
    assert "pa_linux_alsa.c" in hidden[0]
    assert "cap_v4l.cpp" in hidden[0]


def test_overlapping_windows_from_threads_share_one_filter(capfd: pytest.CaptureFixture[str]
                                                           ) -> None:
    before = _stderr_identity()
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()

    def first() -> None:
        with quiet.native_stderr_filtered():
            first_in.set()
            second_in.wait(5)
        first_out.set()

    def second() -> None:
        first_in.wait(5)
        with quiet.native_stderr_filtered():
            second_in.set()
            first_out.wait(5)
            # the first user has left; the window stays open for this one
            assert _stderr_identity() != before
            os.write(2, b"ALSA lib pcm.c:2664:(snd_pcm_open_noupdate) Unknown PCM cards.pcm.rear\n")
            os.write(2, b"kept\n")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert _stderr_identity() == before
    assert capfd.readouterr().err == "kept\n"


def test_a_filter_that_cannot_start_leaves_descriptor_2_alone(
        monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]) -> None:
    """No thread for the pump (RuntimeError): nothing is filtered, nothing breaks, nothing leaks."""
    before = _stderr_identity()
    fds = Path("/proc/self/fd")
    descriptors = len(list(fds.iterdir())) if fds.is_dir() else None

    class NoThread(threading.Thread):
        def start(self) -> None:
            raise RuntimeError("can't start new thread")

    with monkeypatch.context() as patch:
        patch.setattr(threading, "Thread", NoThread)
        with quiet.native_stderr_filtered():
            assert _stderr_identity() == before
            os.write(2, b"shown as it is\n")
    assert _stderr_identity() == before
    if descriptors is not None:
        assert len(list(fds.iterdir())) == descriptors
    with quiet.native_stderr_filtered():  # the next window works
        assert _stderr_identity() != before
    assert capfd.readouterr().err == "shown as it is\n"


def test_a_child_holding_the_pipe_does_not_hold_the_window() -> None:
    started = time.monotonic()
    with quiet.native_stderr_filtered():
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3)"])
    assert time.monotonic() - started < quiet.DRAIN_S + 1.0
    child.wait(10)


@pytest.mark.skipif(sys.platform != "linux", reason="V4L2 exists on Linux only")
def test_opencv_warnings_are_silenced_in_the_probe() -> None:
    """Control first: OpenCV itself prints warnings for a missing device on this machine."""
    index = 63  # /dev/video63: no machine here has so many
    assert not Path(f"/dev/video{index}").exists()
    control = subprocess.run(
        [sys.executable, "-c", f"import cv2; cv2.VideoCapture({index}, cv2.CAP_V4L2).release()"],
        capture_output=True, text=True, timeout=60, check=True)
    assert "WARN" in control.stderr  # the noise exists...
    probe = subprocess.run(
        [sys.executable, "-c",
         "import cv2\n"
         "from precheck.probes.devices import capture\n"
         f"answer = capture.bounded('test', 20, lambda: capture.capture_frames({index}, "
         "cv2.CAP_V4L2))\n"
         "print(answer)\n"],
        capture_output=True, text=True, timeout=60, check=True)
    assert probe.stdout.strip() == "{'opened': False}"
    assert probe.stderr == ""  # ...and the probe keeps it off the screen


# -- the real console script -------------------------------------------------------------------

def run_precheck(env: dict[str, str], *args: str, until: float = 60
                 ) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(PRECHECK), "--lang", "en", "run", "--only", "device.microphone", "--only",
         "device.camera", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def finish(process: subprocess.Popen[str]) -> tuple[str, str]:
    out, err = process.communicate(timeout=90)
    assert process.returncode in (0, 1), (process.returncode, err)
    return out, err


@pytest.fixture
def isolated(tmp_path: Path) -> dict[str, str]:
    """An environment whose PulseAudio clients look only in a private, empty runtime folder."""
    assert PRECHECK.exists(), "the console script is installed with the package (pip install -e)"
    env = dict(os.environ)
    env.update(devices_media.pulse_environment(tmp_path))
    env["PRECHECK_HOME"] = str(tmp_path / "home")
    return env


def test_console_script_without_a_sound_server(isolated: dict[str, str]) -> None:
    out, err = finish(run_precheck(isolated))
    assert not NOISE.search(err), err
    assert "Microphone" in out
    assert "Camera" in out


@pytest.fixture
def pulse_server(tmp_path: Path) -> Iterator[tuple[dict[str, str], int]]:
    """A private PulseAudio server with a null sink as the default source; (environment, pid)."""
    devices_media.need("pulseaudio", "pactl")
    folder = tmp_path / "pulse"
    folder.mkdir(mode=0o700)
    env = dict(os.environ)
    env.update(devices_media.pulse_environment(folder))
    env["PRECHECK_HOME"] = str(tmp_path / "home")

    def pactl(*args: str) -> str:
        return subprocess.run(["pactl", *args], env=env, capture_output=True, text=True,
                              check=True, timeout=10).stdout

    subprocess.run(["pulseaudio", "--start", "--exit-idle-time=-1"], env=env, check=True,
                   capture_output=True, timeout=30)
    try:
        pactl("load-module", "module-null-sink", "sink_name=precheck_quiet")
        pactl("set-default-source", "precheck_quiet.monitor")
        pactl("set-default-sink", "precheck_quiet")
        yield env, int((folder / "pid").read_text().strip())
    finally:
        subprocess.run(["pulseaudio", "--kill"], env=env, check=False, capture_output=True,
                       timeout=10)


def test_console_script_with_a_working_sound_server(
        pulse_server: tuple[dict[str, str], int]) -> None:
    env, _pid = pulse_server
    out, err = finish(run_precheck(env))
    assert not NOISE.search(err), err
    assert "records only silence" in out  # the null sink's monitor: the microphone was used


def test_console_script_when_the_sound_server_stops_mid_recording(
        pulse_server: tuple[dict[str, str], int]) -> None:
    """PortAudio prints its ``Expression ... failed`` chain here (seen without the filter)."""
    env, pid = pulse_server
    process = run_precheck(env)
    deadline = time.monotonic() + 30
    recording = False
    while time.monotonic() < deadline and process.poll() is None:
        outputs = subprocess.run(["pactl", "list", "short", "source-outputs"], env=env,
                                 capture_output=True, text=True, check=False, timeout=10)
        if outputs.stdout.strip():
            recording = True
            break
        time.sleep(0.05)
    assert recording, "precheck never started recording"
    os.kill(pid, 15)  # the server we started, nothing else
    out, err = finish(process)
    assert not NOISE.search(err), err
    assert "Could not tell  Microphone" in out


def _can_unshare() -> str | None:
    if sys.platform != "linux" or shutil.which("unshare") is None:
        return "needs Linux with unshare"
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True, check=False,
                           timeout=10)
    return None if probe.returncode == 0 else "needs the right to make a mount namespace (root)"


FAKE_CAMERA = """set -e
mount -t tmpfs tmpfs /dev
mknod -m 666 /dev/null c 1 3; mknod -m 666 /dev/zero c 1 5
mknod -m 666 /dev/random c 1 8; mknod -m 666 /dev/urandom c 1 9
mknod -m 666 /dev/video0 c 1 3
mkdir /dev/shm; mount -t tmpfs tmpfs /dev/shm
exec "$@"
"""


def test_console_script_with_a_video_device_that_is_no_camera(isolated: dict[str, str]) -> None:
    """/dev/video0 exists but is no camera (here: the null device, in a private namespace).

    OpenCV prints ``[ WARN:0@...] global cap_v4l.cpp:914 open VIDEOIO(V4L2:/dev/video0): can't
    open camera by index`` for it. Skipped where mount namespaces are not allowed (not root):
    that is a privilege, not a missing tool, so it skips under CI too.
    """
    reason = _can_unshare()
    if reason:
        pytest.skip(reason)
    process = subprocess.Popen(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", FAKE_CAMERA, "sh",
         str(PRECHECK), "--lang", "en", "run", "--only", "device.camera"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=isolated)
    out, err = finish(process)
    assert not NOISE.search(err), err
    assert "could not be opened" in out

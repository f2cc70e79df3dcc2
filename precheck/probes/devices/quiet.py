"""Keep native drivers' console messages away from the job seeker while a device is in use.

PortAudio, ALSA, JACK and OpenCV write diagnostics from C code straight to the process's standard
error, file descriptor 2, bypassing Python. Measured on Debian 12 (PortAudio 19.6, OpenCV 4.x/5.0):

- PulseAudio stopping while the microphone records prints, for every failed call up the stack,
  ``Expression 'alsa_snd_pcm_poll_descriptors_revents( ... )' failed in
  'src/hostapi/alsa/pa_linux_alsa.c', line: 3665`` and ``ALSA lib pulse.c:242:(pulse_connect)
  PulseAudio: Unable to connect: Connection refused``;
- a ``/dev/video0`` that is not a working camera prints ``[ WARN:0@0.018] global
  cap_v4l.cpp:914 open VIDEOIO(V4L2:/dev/video0): can't open camera by index``.

Each library has its own hook, but none reaches all of them: PortAudio's
``PaUtil_SetDebugPrintFunction`` is not exported by Debian's libportaudio2, ALSA and JACK have
separate error handlers, and OpenCV's log level does not cover FFmpeg or AVFoundation. The one place
they all meet is descriptor 2, so :func:`native_stderr_filtered` points it at a pipe while a device
is in use. A pump thread reads the pipe line by line, drops the lines that match
:data:`DRIVER_NOISE` and forwards every other byte unchanged to the real standard error: a Python
message or a warning from another check still shows. The dropped lines are logged at debug level
when the window closes (``precheck -v`` shows them).

The checks run in threads, so the window is shared: a reference count under a lock opens it for the
first device user and restores descriptor 2 for the last. If a child process inherits the pipe
(a sound server spawned meanwhile), the pump outlives the window and keeps forwarding until the
child closes it; the window itself closes at once. If descriptor 2 cannot be duplicated (no
console, ``pythonw``), nothing is filtered: there is nowhere to show noise either.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import re
import sys
import threading
from collections.abc import Iterator

log = logging.getLogger(__name__)

#: Lines (after leading blanks) that are driver diagnostics, never meant for the user.
DRIVER_NOISE = re.compile(
    rb"^\s*(?:$"  # blank lines between the messages
    rb"|ALSA lib "  # alsa-lib's default error handler
    rb"|Expression '.*' failed in '"  # PortAudio's PA_ENSURE / PaUtil_DebugPrint
    rb"|PaAlsa|PaUnix|PaJack|Pa_"  # other PortAudio debug prints
    rb"|Cannot connect to server (?:socket|request channel)"  # libjack
    rb"|jack server is not running|JackShmReadWritePtr|Jack(?:Client|Socket)"
    rb"|\[ ?(?:WARN|ERROR|INFO|DEBUG|VERBOSE|FATAL):\d+@[\d.]+\]"  # OpenCV's logger
    rb"|OpenCV(?:\(\d[\d.]*\))?: "  # OpenCV's AVFoundation/MSMF prints and error texts
    rb"|VIDEOIO|GStreamer-|\(python[\d.]*:\d+\): Gst"  # video back-ends
    rb"|\[[\w.-]+ @ (?:0x)?[0-9a-fA-F]+\] "  # FFmpeg's av_log, as OpenCV's FFmpeg prints it
    rb"|[EWIN]: \[[^\]]*\] [\w.-]+\.c: "  # libpulse's client log
    rb")"
)

#: How long closing the window waits for the pump to forward what is left.
DRAIN_S = 1.0

#: Dropped since the window opened (bounded): logged at debug level when it closes.
_unlogged: collections.deque[str] = collections.deque(maxlen=200)


def is_driver_noise(line: bytes) -> bool:
    return DRIVER_NOISE.match(line) is not None


def _forward(source: int, target: int) -> None:
    """Copy ``source`` to ``target`` line by line, leaving out driver noise; close both at EOF."""
    pending = b""
    try:
        while True:
            try:
                chunk = os.read(source, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                break
            pending += chunk
            *lines, pending = pending.split(b"\n")
            _pass_on(target, lines, ending=b"\n")
        if pending:
            _pass_on(target, [pending], ending=b"")
    finally:
        os.close(source)
        os.close(target)


def _pass_on(target: int, lines: list[bytes], ending: bytes) -> None:
    kept = []
    for line in lines:
        if is_driver_noise(line):
            if line.strip():
                _unlogged.append(line.decode("utf-8", "replace").strip())
        else:
            kept.append(line + ending)
    if kept:
        with contextlib.suppress(OSError):  # the real stderr is gone: nothing to tell anyone
            os.write(target, b"".join(kept))


class _Window:
    """Descriptor 2 redirected into the filter while any user is inside; one per process."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.users = 0
        self.saved: int | None = None
        self.pump: threading.Thread | None = None

    def enter(self) -> None:
        with self.lock:
            if self.users == 0:
                self._open()
            self.users += 1

    def leave(self) -> None:
        with self.lock:
            self.users -= 1
            if self.users == 0:
                self._close()

    def _open(self) -> None:
        """Start the pump first, then point descriptor 2 at it: the one step that changes
        descriptor 2 is the last, so a failure before it leaves everything as it was."""
        _flush_python_stderr()
        opened: list[int] = []
        try:
            opened.append(saved := os.dup(2))
            read_end, write_end = os.pipe()
            opened += [read_end, write_end]
            opened.append(target := os.dup(saved))
            pump = threading.Thread(target=_forward, args=(read_end, target),
                                    name="stderr filter", daemon=True)
            pump.start()
        except (OSError, RuntimeError) as exc:  # no descriptor 2 (pythonw), or no thread
            for descriptor in opened:
                os.close(descriptor)
            log.debug("driver messages are not filtered: %s", exc)
            return
        os.dup2(write_end, 2)
        os.close(write_end)
        self.saved, self.pump = saved, pump

    def _close(self) -> None:
        if self.saved is None:
            return
        _flush_python_stderr()
        os.dup2(self.saved, 2)  # the pipe's last writer is gone (unless a child has it): EOF
        os.close(self.saved)
        pump, self.saved, self.pump = self.pump, None, None
        if pump is not None:
            pump.join(timeout=DRAIN_S)
        hidden = []
        while _unlogged:
            hidden.append(_unlogged.popleft())
        if hidden:
            log.debug("driver messages kept off the screen: %s", " | ".join(hidden))


_WINDOW = _Window()


def _flush_python_stderr() -> None:
    with contextlib.suppress(Exception):  # a closed or replaced sys.stderr
        if sys.stderr is not None:
            sys.stderr.flush()


@contextlib.contextmanager
def native_stderr_filtered() -> Iterator[None]:
    """Drop driver noise written to descriptor 2 while the block runs (thread-safe, nestable)."""
    _WINDOW.enter()
    try:
        yield
    finally:
        _WINDOW.leave()

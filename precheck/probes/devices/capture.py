"""Live device access: OpenCV for cameras, sounddevice (PortAudio) for microphones and speakers.

Opening a device can hang or crash inside a driver, so the probes (:func:`record`,
:func:`play_tone`, :func:`capture_frames`) are called in a daemon worker thread with a deadline
(:func:`bounded`): a hang becomes ``ProbeError(kind="timeout")`` and the run goes on. Each worker
releases its device in ``finally``, so the video app can use it next. Answers are JSON summaries
(frame statistics, audio levels): never pictures, sound or device names. The preview and the
level meter at the end feed the TUI's live views without blocking; the preview reads in its own
thread, but the meter opens and closes its stream in the caller's (no deadline yet).

While a device is in use, the drivers' own console messages (PortAudio, ALSA, OpenCV) are kept
off the screen by :func:`.quiet.native_stderr_filtered`; OpenCV's log level is set to errors only
(its lower levels can go to standard output, which ``--json`` must keep clean).
"""

from __future__ import annotations

import contextlib
import math
import queue
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Self, TypeVar

from precheck.errors import ProbeError
from precheck.probes.devices.analysis import FrameStatistics, audio_levels, dbfs, luma, shrink
from precheck.probes.devices.quiet import native_stderr_filtered

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from precheck.system import JSON

T = TypeVar("T")


def bounded(name: str, seconds: float, work: Callable[[], T]) -> T:
    """``work()`` in a daemon thread; ProbeError "timeout" when it has not returned in time.

    A hung driver call cannot be interrupted from Python: the thread is abandoned (a daemon never
    keeps the process alive) and releases the device itself if the call ever returns.
    """
    answers: queue.Queue[tuple[bool, object]] = queue.Queue(maxsize=1)

    def run() -> None:
        try:
            answers.put((True, work()))
        except BaseException as exc:  # noqa: BLE001 - handed over to the waiting caller
            answers.put((False, exc))

    # The window covers the worker's whole life unless it hangs: then it closes at the deadline,
    # so later output of this process is never held back by a stuck driver.
    with native_stderr_filtered():
        threading.Thread(target=run, name=f"probe {name}", daemon=True).start()
        try:
            ok, value = answers.get(timeout=seconds)
        except queue.Empty:
            raise ProbeError(name, "timeout", f"the device gave no answer within {seconds:g} s"
                             ) from None
    if not ok:
        assert isinstance(value, BaseException)  # noqa: S101 - the queue's contract
        raise value
    return value  # type: ignore[return-value] # ok=True carries work()'s T


# -- sound --------------------------------------------------------------------------------------

#: The probe error kind when PortAudio itself is missing (Linux without libportaudio2: the
#: Windows and macOS wheels of sounddevice carry their own). The runner names it and its fix.
SOUND_LIBRARY_MISSING = "sound_library_missing"


def _sounddevice(name: str) -> Any:
    try:
        import sounddevice
    except OSError as exc:  # the PortAudio library itself is missing
        raise ProbeError(name, SOUND_LIBRARY_MISSING,
                         f"the PortAudio sound library is missing: {exc}") from exc
    return sounddevice


def _default_device(sd: Any, kind: str) -> dict[str, Any] | None:
    """The default input or output device (as sounddevice describes it), or None."""
    try:
        info = sd.query_devices(kind=kind)
    except (sd.PortAudioError, ValueError):
        return None
    channels = info.get(f"max_{kind}_channels", 0)
    return info if channels > 0 else None


def _hostapi(sd: Any, info: dict[str, Any]) -> str:
    with contextlib.suppress(sd.PortAudioError, IndexError, KeyError):
        return str(sd.query_hostapis(info["hostapi"])["name"])
    return ""


class RecordingLevel:
    """The level of the recording under way, for the app's meter while the room is recorded.

    :func:`record` sets it after each block it reads and clears it when done; the screen reads it
    from its own thread (one float assignment: nothing to lock). The recording and what the
    checks judge are the same samples, read in blocks instead of at once.
    """

    def __init__(self) -> None:
        self.dbfs: float | None = None  # the latest block's RMS; None when nothing records


#: The room recording's level as it goes (the running screen's meter during the recording).
RECORDING_LEVEL = RecordingLevel()
#: How much of the recording each level covers (10 levels a second, as the live meter).
LEVEL_BLOCK_S = 0.1


def _read_showing_level(stream: Any, frames: int, block: int) -> NDArray[np.float32]:
    """``frames`` samples from ``stream``, read ``block`` at a time, each block's level shown."""
    import numpy as np

    parts = []
    try:
        while frames > 0:
            part, _overflowed = stream.read(min(block, frames))
            parts.append(part)
            frames -= len(part)
            RECORDING_LEVEL.dbfs = dbfs(math.sqrt(float(np.mean(np.square(part,
                                                                          dtype=np.float64)))))
    finally:
        RECORDING_LEVEL.dbfs = None
    samples: NDArray[np.float32] = np.concatenate(parts) if parts else np.zeros((0, 1),
                                                                                np.float32)
    return samples


def record(name: str, seconds: float) -> JSON:
    """Record ``seconds`` from the default input at its own rate; the levels, not the sound.

    The device's default rate is used because Windows WASAPI shared mode refuses any other
    (PortAudio -9997). Answer: ``{"input": false}`` with no input device, else its host API,
    rate and the :class:`AudioLevels` of the recording.
    """
    sd = _sounddevice(name)
    info = _default_device(sd, "input")
    if info is None:
        return {"input": False}
    rate = int(info.get("default_samplerate") or 48000)
    # An explicit stream, not sd.rec(): sounddevice's convenience functions share one global
    # stream, so a tone played meanwhile would stop the recording.
    try:
        with sd.InputStream(samplerate=rate, channels=1, dtype="float32") as stream:
            samples = _read_showing_level(stream, int(seconds * rate), int(LEVEL_BLOCK_S * rate))
    except sd.PortAudioError as exc:
        raise ProbeError(name, "os_error", f"the microphone could not record: {exc}") from exc
    return {"input": True, "hostapi": _hostapi(sd, info), "samplerate": rate,
            "levels": audio_levels(samples, rate).to_json()}


def tone(seconds: float, frequency: float, samplerate: int, amplitude: float = 0.25
         ) -> NDArray[np.float32]:
    """A sine tone with 20 ms fades (no click at either end)."""
    import numpy as np

    t = np.arange(int(seconds * samplerate)) / samplerate
    wave = amplitude * np.sin(2 * np.pi * frequency * t)
    fade = min(len(t) // 2, int(0.02 * samplerate))
    if fade:
        ramp = np.linspace(0.0, 1.0, fade)
        wave[:fade] *= ramp
        wave[-fade:] *= ramp[::-1]
    result: NDArray[np.float32] = wave.astype(np.float32)
    return result


def play_tone(name: str, seconds: float, frequency: float) -> JSON:
    """Play a short tone on the default output. Answer: ``{"output": bool, "played": bool}``."""
    import numpy as np

    sd = _sounddevice(name)
    info = _default_device(sd, "output")
    if info is None:
        return {"output": False, "played": False}
    rate = int(info.get("default_samplerate") or 48000)
    try:
        with sd.OutputStream(samplerate=rate, channels=1, dtype="float32") as stream:
            stream.write(tone(seconds, frequency, rate).reshape(-1, 1))
            stream.write(np.zeros((int(0.2 * rate), 1), dtype=np.float32))  # let it drain
    except sd.PortAudioError as exc:
        raise ProbeError(name, "os_error", f"the speaker could not play: {exc}") from exc
    return {"output": True, "played": True, "hostapi": _hostapi(sd, info), "samplerate": rate,
            "seconds": seconds, "frequency": frequency}


class MicrophoneMeter:
    """A live level meter for the TUI: ``level()`` is the latest window's RMS in dBFS, at once.

    PortAudio calls back on its own thread; each ``block_s`` (10 updates a second by default)
    of samples makes a new level;
    nothing here blocks the caller. Use as a context manager so the device is released.
    """

    def __init__(self, block_s: float = 0.1) -> None:
        self.block_s = block_s
        self._level: float | None = None
        self._peak: float | None = None
        self._stream: Any = None
        self._window = 1
        self._sum, self._count, self._max = 0.0, 0, 0.0
        self._quiet: contextlib.AbstractContextManager[None] = contextlib.nullcontext()

    def __enter__(self) -> Self:
        self._quiet = native_stderr_filtered()
        self._quiet.__enter__()
        try:
            sd = _sounddevice("sounddevice:meter")
            info = _default_device(sd, "input")
            if info is None:
                raise ProbeError("sounddevice:meter", "not_found", "no microphone is connected")
            rate = int(info.get("default_samplerate") or 48000)
            self._window = max(1, int(rate * self.block_s))
            # Blocks of the host's own size (blocksize=0): a fixed large block starves the
            # callback on ALSA's PulseAudio plugin (one call a second measured here); levels are
            # pooled.
            self._stream = sd.InputStream(samplerate=rate, channels=1, dtype="float32",
                                          blocksize=0, callback=self._on_block)
            self._stream.start()
        except BaseException:
            self._quiet.__exit__(None, None, None)
            raise
        return self

    def _on_block(self, data: NDArray[np.float32], frames: int, when: object,
                  status: object) -> None:
        import numpy as np

        self._sum += float(np.sum(np.square(data, dtype=np.float64)))
        self._max = max(self._max, float(np.abs(data).max(initial=0.0)))
        self._count += frames
        if self._count >= self._window:
            self._level = dbfs(math.sqrt(self._sum / self._count))
            self._peak = dbfs(self._max)
            self._sum, self._count, self._max = 0.0, 0, 0.0

    def level(self) -> float | None:
        """The latest RMS level in dBFS, or None before the first block."""
        return self._level

    def peak(self) -> float | None:
        return self._peak

    def __exit__(self, *exc: object) -> None:
        try:
            if self._stream is not None:
                self._stream.stop()
                self._stream.close()
                self._stream = None
        finally:
            self._quiet.__exit__(None, None, None)


# -- camera -------------------------------------------------------------------------------------

def _cv2() -> Any:
    """OpenCV, logging errors only: its warnings are driver talk, and INFO goes to stdout."""
    import cv2

    with contextlib.suppress(AttributeError):  # builds without the utils.logging module
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
    return cv2


def capture_frames(source: int | str, api: int, *, frames: int = 30, warmup: int = 5,
                   seconds: float = 4.0, size: tuple[int, int] | None = (1280, 720)) -> JSON:
    """Open ``source`` (a camera index, or a video file in tests) and measure ``frames`` frames.

    The first ``warmup`` frames are dropped (auto-exposure makes them dark). Reading stops after
    ``seconds``. The capture is released before returning. Answer: whether it opened, the size
    and frame rate it delivers, how many reads failed, and one :class:`FrameStat` per frame.
    """
    cv2 = _cv2()
    started = time.monotonic()
    capture = cv2.VideoCapture(source, api)
    try:
        if not capture.isOpened():
            return {"opened": False}
        if size is not None and isinstance(source, int):
            capture.set(cv2.CAP_PROP_FRAME_WIDTH, size[0])
            capture.set(cv2.CAP_PROP_FRAME_HEIGHT, size[1])
        statistics = FrameStatistics()
        failures, width, height, first, last = 0, 0, 0, 0.0, 0.0
        seen = 0
        while len(statistics.stats) < frames and time.monotonic() - started < seconds:
            ok, frame = capture.read()
            if not ok or frame is None:
                failures += 1
                if not isinstance(source, int):
                    break  # the end of a file
                time.sleep(0.05)
                continue
            seen += 1
            if seen <= warmup:
                continue
            now = time.monotonic()
            if not statistics.stats:
                first = now
            last = now
            height, width = frame.shape[:2]
            statistics.add(frame)
        kept = len(statistics.stats)
        return {
            "opened": True, "api": capture.getBackendName(), "width": width, "height": height,
            "fps_reported": round(float(capture.get(cv2.CAP_PROP_FPS) or 0.0), 2),
            "fps_measured": round((kept - 1) / (last - first), 2) if kept > 1 and last > first
            else 0.0,
            "read_failures": failures, "frames": [s.to_json() for s in statistics.stats],
        }
    finally:
        capture.release()


class CameraPreview:
    """Low-resolution preview frames for the TUI, read by a worker thread.

    ``latest()`` returns the newest frame (grey, at most ``width`` wide, uint8) or None, at once;
    the worker reads as fast as the camera delivers. ``stop()`` (or leaving the ``with`` block)
    ends the worker and releases the camera.
    """

    def __init__(self, source: int | str, api: int = 0, width: int = 160) -> None:
        self.source, self.api, self.width = source, api, width
        self._latest: NDArray[np.uint8] | None = None
        self._frames = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="camera preview", daemon=True)
        self.failed: str | None = None

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def _run(self) -> None:
        with native_stderr_filtered():  # for the worker's life: it holds the camera
            self._preview()

    def _preview(self) -> None:
        import numpy as np

        cv2 = _cv2()

        capture = cv2.VideoCapture(self.source, self.api)
        try:
            if not capture.isOpened():
                self.failed = "not_opened"
                return
            while not self._stop.is_set():
                ok, frame = capture.read()
                if not ok:
                    if not isinstance(self.source, int):
                        capture.set(cv2.CAP_PROP_POS_FRAMES, 0)  # a file loops
                        continue
                    time.sleep(0.05)
                    continue
                grey = shrink(luma(frame))
                height, width = grey.shape
                size = (self.width, max(1, round(height * self.width / width)))
                small = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
                self._latest = np.clip(small, 0, 255).astype(np.uint8)
                self._frames += 1
                if not isinstance(self.source, int):
                    time.sleep(0.03)  # a file plays at about camera speed
        finally:
            capture.release()

    def latest(self) -> NDArray[np.uint8] | None:
        return self._latest

    @property
    def frames(self) -> int:
        return self._frames

    def stop(self) -> None:
        self._stop.set()
        if self._thread.ident is not None:  # started
            self._thread.join(timeout=5.0)

    def __exit__(self, *exc: object) -> None:
        self.stop()

"""The live camera preview and microphone level the job seeker sees while getting ready.

Wraps :class:`~precheck.probes.devices.capture.CameraPreview` and
:class:`~precheck.probes.devices.capture.MicrophoneMeter` so that nothing the app calls can
block: both devices are opened in daemon threads, the app reads the newest frame and level at
once, and a device that has not opened within ``open_s`` is reported as not answering (a hung
driver never freezes the screen, and a daemon thread never keeps the app from exiting). Both
are released by :meth:`LiveFeeds.close`, and at the latest after ``max_s`` even if the job seeker
walks away. Nothing is recorded: the checks measure the devices themselves, afterwards.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from precheck.errors import ProbeError
from precheck.probes.devices import OPEN_GRACE_S

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

log = logging.getLogger(__name__)

#: The longest the preview may hold the devices (the checks need them afterwards).
MAX_LIVE_S = 180.0


class FeedState(StrEnum):
    OFF = "off"  # not asked for
    STARTING = "starting"
    LIVE = "live"
    NOT_FOUND = "not_found"  # no such device
    FAILED = "failed"  # it could not be opened
    NO_ANSWER = "no_answer"  # it did not open within the time allowed
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class CameraSource:
    """Which camera to show: an index (or a video file) and the OpenCV backend's name."""

    source: int | str = 0
    api: str | None = None  # "DSHOW", "AVFOUNDATION", "V4L2"; None: OpenCV chooses


class LiveFeeds:
    """A camera preview and a microphone meter, opened in the background and closed on request."""

    def __init__(self, camera: CameraSource | None, microphone: bool, *,
                 open_s: float = OPEN_GRACE_S, max_s: float = MAX_LIVE_S,
                 meter_factory: Callable[[], Any] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.camera_source = camera
        self.microphone = microphone
        self.open_s, self.max_s = open_s, max_s
        self._meter_factory = meter_factory
        self._clock = clock
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._preview: Any = None
        self._meter: Any = None
        self._camera_state = FeedState.OFF if camera is None else FeedState.STARTING
        self._meter_state = FeedState.STARTING if microphone else FeedState.OFF
        self._started: float | None = None  # when start() was called
        self._threads: list[threading.Thread] = []

    # -- starting ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Begin opening the devices; returns at once."""
        self._started = self._clock()
        if self.camera_source is not None:
            self._spawn(self._run_camera, "live camera preview")
        if self.microphone:
            self._spawn(self._run_meter, "live microphone meter")

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _run_camera(self) -> None:
        from precheck.probes.devices.capture import CameraPreview

        assert self.camera_source is not None  # noqa: S101 - only started with a source
        try:
            api = _cv2_api(self.camera_source.api)
        except ImportError:
            self._camera_state = FeedState.FAILED
            return
        preview = CameraPreview(self.camera_source.source, api)
        with self._lock:
            if self._stop.is_set():
                return
            self._preview = preview
            preview.__enter__()
        # The preview reads in its own thread; this one only watches the clock.
        if self._stop.wait(self.max_s):
            return
        log.info("the camera preview ran for %.0f s: released", self.max_s)
        self._release_camera(FeedState.STOPPED)

    def _run_meter(self) -> None:
        try:
            meter = self._new_meter()
            meter.__enter__()  # PortAudio may hang here: this is a daemon thread
        except ProbeError as exc:
            self._meter_state = FeedState.NOT_FOUND if exc.kind == "not_found" else (
                FeedState.FAILED)
            return
        except Exception:  # a PortAudio error: the microphone check will say what is wrong
            log.warning("the microphone meter could not start", exc_info=True)
            self._meter_state = FeedState.FAILED
            return
        with self._lock:
            late = self._stop.is_set() or self._meter_state is FeedState.NO_ANSWER
            if not late:
                self._meter = meter
                self._meter_state = FeedState.LIVE
        if late:  # opened after the app stopped waiting: release it at once
            meter.__exit__(None, None, None)
            return
        if not self._stop.wait(self.max_s):
            log.info("the microphone meter ran for %.0f s: released", self.max_s)
        self._release_meter(FeedState.STOPPED)

    def _new_meter(self) -> Any:
        if self._meter_factory is not None:
            return self._meter_factory()
        from precheck.probes.devices.capture import MicrophoneMeter

        return MicrophoneMeter()

    # -- reading (never blocks) -------------------------------------------------------------------

    @property
    def camera_state(self) -> FeedState:
        preview = self._preview
        if self._camera_state in (FeedState.STARTING, FeedState.NO_ANSWER):
            if preview is not None and preview.failed:
                self._camera_state = FeedState.FAILED
            elif preview is not None and preview.latest() is not None:
                self._camera_state = FeedState.LIVE  # a slow camera may still come
            elif self._waited_too_long():
                self._camera_state = FeedState.NO_ANSWER
        return self._camera_state

    @property
    def meter_state(self) -> FeedState:
        if self._meter_state is FeedState.STARTING and self._waited_too_long():
            with self._lock:
                if self._meter_state is FeedState.STARTING:
                    self._meter_state = FeedState.NO_ANSWER
        return self._meter_state

    def _waited_too_long(self) -> bool:
        return self._started is not None and self._clock() - self._started > self.open_s

    def frame(self) -> NDArray[np.uint8] | None:
        """The newest grey preview frame, or None."""
        preview = self._preview
        return None if preview is None else preview.latest()

    def level(self) -> float | None:
        """The newest microphone level in dBFS, or None."""
        meter = self._meter
        return None if meter is None else meter.level()

    # -- closing ----------------------------------------------------------------------------------

    def close(self) -> None:
        """Release both devices (blocks for at most a few seconds: call it from a worker)."""
        self._stop.set()
        self._release_camera(FeedState.STOPPED)
        self._release_meter(FeedState.STOPPED)

    @property
    def closed(self) -> bool:
        """True when neither device is held any more."""
        return self._preview is None and self._meter is None

    def _release_camera(self, state: FeedState) -> None:
        with self._lock:
            preview = self._preview
            if preview is not None:
                self._camera_state = state
        if preview is not None:
            preview.stop()  # joins the reading thread, which releases the camera
            with self._lock:
                self._preview = None

    def _release_meter(self, state: FeedState) -> None:
        with self._lock:
            meter, self._meter = self._meter, None
            if meter is not None:
                self._meter_state = state
        if meter is not None:
            meter.__exit__(None, None, None)


def _cv2_api(name: str | None) -> int:
    import cv2

    return int(getattr(cv2, f"CAP_{name}", 0)) if name else 0

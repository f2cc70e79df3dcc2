"""Pure analysis of what a camera or a microphone delivered: numbers in, statistics out.

Nothing here opens a device. The live probes (:mod:`precheck.probes.devices.capture`) and the
tests (which read real video and audio files) feed the same functions, so a device and a file are
judged by the same code. numpy and OpenCV are imported lazily by the callers' arrays' owners.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

#: Levels below this are reported as this (digital silence has no logarithm).
FLOOR_DBFS = -120.0


def dbfs(value: float) -> float:
    """A linear amplitude (1.0 = full scale) in dB relative to full scale, floored."""
    return FLOOR_DBFS if value <= 0 else max(FLOOR_DBFS, 20.0 * math.log10(value))


@dataclass(frozen=True, slots=True)
class AudioLevels:
    """Levels of one recording (mono, full scale = 1.0)."""

    seconds: float
    rms_dbfs: float  # whole recording
    peak_dbfs: float
    noise_floor_dbfs: float  # 20th percentile of the 100 ms window levels: the room, not speech
    loudest_window_dbfs: float  # the loudest 100 ms window
    longest_clip_run: int  # most consecutive samples at full scale
    clipped_samples: int

    def to_json(self) -> dict[str, float | int]:
        return {
            "seconds": round(self.seconds, 3), "rms_dbfs": round(self.rms_dbfs, 1),
            "peak_dbfs": round(self.peak_dbfs, 1),
            "noise_floor_dbfs": round(self.noise_floor_dbfs, 1),
            "loudest_window_dbfs": round(self.loudest_window_dbfs, 1),
            "longest_clip_run": self.longest_clip_run, "clipped_samples": self.clipped_samples,
        }


def audio_levels(samples: NDArray[Any], samplerate: float, *, window_s: float = 0.1,
                 clip_level: float = 0.999) -> AudioLevels:
    """Levels of a recording; ``samples`` is float in [-1, 1], shape (n,) or (n, channels).

    Clipping is counted as testrtc does: runs of consecutive samples at full scale (its limit is
    more than 6 in a row), so one loud peak is not clipping but a flattened waveform is.
    """
    import numpy as np

    data = np.asarray(samples, dtype=np.float64)
    if data.ndim == 2:
        data = data.mean(axis=1) if data.shape[1] > 1 else data[:, 0]
    if data.size == 0:
        return AudioLevels(0.0, FLOOR_DBFS, FLOOR_DBFS, FLOOR_DBFS, FLOOR_DBFS, 0, 0)
    magnitude = np.abs(data)
    window = max(1, int(samplerate * window_s))
    usable = (data.size // window) * window or data.size
    blocks = data[:usable].reshape(-1, min(window, usable))
    window_levels = [dbfs(float(v)) for v in np.sqrt(np.mean(blocks**2, axis=1))]
    clipped = magnitude >= clip_level
    return AudioLevels(
        seconds=data.size / samplerate,
        rms_dbfs=dbfs(float(np.sqrt(np.mean(data**2)))),
        peak_dbfs=dbfs(float(magnitude.max())),
        noise_floor_dbfs=float(np.percentile(window_levels, 20)),
        loudest_window_dbfs=max(window_levels),
        longest_clip_run=longest_run(clipped),
        clipped_samples=int(clipped.sum()),
    )


def longest_run(mask: NDArray[np.bool_]) -> int:
    """The length of the longest run of True values."""
    import numpy as np

    if not mask.any():
        return 0
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return int((ends - starts).max())


# -- camera -------------------------------------------------------------------------------------

#: Frames are compared at most this wide (SSIM on the full HD frame costs time, not accuracy).
ANALYSIS_WIDTH = 640


def luma(frame: NDArray[Any]) -> NDArray[np.float32]:
    """Rec. 709 luma of a BGR frame (what testrtc's black-frame rule measures), 0-255."""
    import numpy as np

    if frame.ndim == 2:
        return frame.astype(np.float32)
    blue, green, red = (frame[..., i].astype(np.float32) for i in range(3))
    result: NDArray[np.float32] = 0.0722 * blue + 0.7152 * green + 0.2126 * red
    return result


def shrink(grey: NDArray[np.float32]) -> NDArray[np.float32]:
    """The frame scaled down to at most ANALYSIS_WIDTH, for comparisons and previews."""
    import cv2

    height, width = grey.shape[:2]
    if width <= ANALYSIS_WIDTH:
        return grey
    size = (ANALYSIS_WIDTH, max(1, round(height * ANALYSIS_WIDTH / width)))
    return cv2.resize(grey, size, interpolation=cv2.INTER_AREA)  # type: ignore[return-value] # cv2 stubs widen dtypes


def ssim(a: NDArray[np.float32], b: NDArray[np.float32]) -> float:
    """Mean structural similarity of two grey images (Wang et al. 2004, 11x11 Gaussian, σ=1.5)."""
    import cv2
    import numpy as np

    x, y = a.astype(np.float64), b.astype(np.float64)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(img: NDArray[np.float64]) -> NDArray[np.float64]:
        return cv2.GaussianBlur(img, (11, 11), 1.5)  # type: ignore[return-value] # cv2 stubs widen dtypes

    mu_x, mu_y = blur(x), blur(y)
    var_x, var_y = blur(x * x) - mu_x**2, blur(y * y) - mu_y**2
    cov = blur(x * y) - mu_x * mu_y
    index = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / (
        (mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))
    return float(index.mean())


@dataclass(frozen=True, slots=True)
class FrameStat:
    """One frame, as numbers: never the picture."""

    brightness: float  # mean luma, 0-255
    contrast: float  # standard deviation of luma
    similarity: float | None  # SSIM to the previous frame (None for the first)
    motion: float | None  # mean absolute luma difference to the previous frame

    def to_json(self) -> list[float | None]:
        return [round(self.brightness, 2), round(self.contrast, 2),
                None if self.similarity is None else round(self.similarity, 5),
                None if self.motion is None else round(self.motion, 3)]

    @classmethod
    def from_json(cls, raw: Sequence[Any]) -> FrameStat:
        brightness, contrast, similarity, motion = raw
        return cls(float(brightness), float(contrast),
                   None if similarity is None else float(similarity),
                   None if motion is None else float(motion))


class FrameStatistics:
    """Turns frames into :class:`FrameStat` one at a time, keeping only the previous frame."""

    def __init__(self) -> None:
        self._previous: NDArray[np.float32] | None = None
        self.stats: list[FrameStat] = []

    def add(self, frame: NDArray[Any]) -> FrameStat:
        import numpy as np

        grey = shrink(luma(frame))
        similarity = motion = None
        if self._previous is not None and self._previous.shape == grey.shape:
            similarity = ssim(self._previous, grey)
            motion = float(np.mean(np.abs(grey - self._previous)))
        stat = FrameStat(float(grey.mean()), float(grey.std()), similarity, motion)
        self._previous = grey
        self.stats.append(stat)
        return stat


@dataclass(frozen=True, slots=True)
class FrameSummary:
    """What a run of frames amounts to, judged with the given thresholds."""

    frames: int
    brightness: float  # median
    contrast: float  # median
    motion: float  # median
    black_fraction: float  # frames darker than the black threshold
    frozen_fraction: float  # frames (after the first) at least this similar to the previous


def summarize(stats: Sequence[FrameStat], *, black_luma: float, frozen_ssim: float
              ) -> FrameSummary:
    """Summary of frame statistics (testrtc's rules: black below a mean luma, frozen above SSIM)."""
    import statistics

    if not stats:
        return FrameSummary(0, 0.0, 0.0, 0.0, 0.0, 0.0)
    pairs = [s.similarity for s in stats if s.similarity is not None]
    motions = [s.motion for s in stats if s.motion is not None]
    return FrameSummary(
        frames=len(stats),
        brightness=statistics.median(s.brightness for s in stats),
        contrast=statistics.median(s.contrast for s in stats),
        motion=statistics.median(motions) if motions else 0.0,
        black_fraction=sum(s.brightness < black_luma for s in stats) / len(stats),
        frozen_fraction=(sum(p >= frozen_ssim for p in pairs) / len(pairs)) if pairs else 0.0,
    )

"""Throughput and latency over the Speedtest Mini protocol, measured where speedtest-cli errs.

The requests are the protocol's own (``latency.txt``, ``random4000x4000.jpg``, ``upload.php``
answering ``size=N``), so any Speedtest Mini server, a legacy speedtest.net server and the
booking gateway all serve them. What differs from speedtest-cli (research note "precall
anchors", section 3.1) is how the bytes are turned into a rate:

* speedtest-cli divides all bytes by all the time, so connection set-up and TCP slow start count
  as slow time, and bytes handed to the socket count as sent before they left (it over-reports
  a slow uplink: sivel/speedtest-cli#341). Here the byte counters are sampled every 50 ms and
  the rate is the slope over the *second half* of the time since the first byte: set-up and
  ramp-up fall in the discarded half, and a send buffer that is full at both ends of the window
  adds nothing to the difference.
* uploads count what the peer acknowledged where the OS says it (Linux ``SIOCOUTQ``, macOS
  ``SO_NWRITE``: written minus still queued), else what was written;
* the test stops as soon as the rate is steady (the first and second halves of the window agree
  within :data:`STEADY_TOLERANCE`, three samples running), or at the phase's time limit;
* several streams (:data:`STREAMS`) keep the link full where one TCP stream would under-use it
  (a long path, a lossy Wi-Fi), as speedtest-cli (8), LibreSpeed (6) and SamKnows (8) do.

The estimate, the latency test and the errors are here; the streams in
:mod:`.throughput`, the HTTP connections through the system's proxy in :mod:`.transport`.

Failures are :class:`MeasureError` with a step and a kind the check explains: ``unreachable``
(no connection), ``garbage`` (answers that are not the protocol's), ``dropped`` (the bytes
stopped mid-test), ``budget`` (no usable figure within the time allowed).
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from precheck.probes.network.transport import Url, busted, connect, headers, reason

#: Shortest time a direction is measured (from its first byte).
MIN_PHASE_S = 1.2
#: The halves of the measured window must agree this closely, this many samples running.
STEADY_TOLERANCE = 0.03
STEADY_SAMPLES = 3
#: The share of the window at each end where the envelope looks for its end points.
ENVELOPE_EDGE = 0.25

Step = Literal["discover", "latency", "download", "upload", "udp", "observed"]
Kind = Literal["unreachable", "garbage", "dropped", "budget", "no_internet", "http_status"]


class MeasureError(Exception):
    """A measurement that could not give a figure, with the step and why."""

    def __init__(self, step: Step, kind: Kind, detail: str) -> None:
        super().__init__(f"{step}: {kind}: {detail}")
        self.step = step
        self.kind = kind
        self.detail = detail

    def to_json(self) -> dict[str, str]:
        return {"step": self.step, "kind": self.kind, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class Progress:
    """How far a quality test is: for a progress bar (the TUI) or a log line."""

    phase: str  # "discover", "latency", "download", "upload", "done"
    elapsed_s: float
    budget_s: float
    mbit: float | None = None  # the current estimate of the phase, when it has one


ProgressCallback = Callable[[Progress], None]


@dataclass(slots=True)
class Clock:
    """The test's time budget: every phase is cut to what is left of it."""

    budget_s: float
    on_progress: ProgressCallback | None = None
    start: float = field(default_factory=time.monotonic)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.start

    @property
    def left(self) -> float:
        return self.budget_s - self.elapsed

    def report(self, phase: str, mbit: float | None = None) -> None:
        if self.on_progress is not None:
            self.on_progress(Progress(phase, round(self.elapsed, 2), self.budget_s, mbit))


# -- the estimate: pure, over sampled byte counters ------------------------------------------

@dataclass(frozen=True, slots=True)
class Estimate:
    """A rate from sampled byte counters."""

    mbit: float
    steady: bool  # the two halves of the window agreed
    window_s: float  # the time the rate was measured over
    elapsed_s: float  # time since the first byte (of the current set of streams)


def _bytes_at(samples: Sequence[tuple[float, int]], t: float) -> float:
    """The byte counter at time ``t``, linearly interpolated between samples."""
    for (t0, b0), (t1, b1) in itertools.pairwise(samples):
        if t0 <= t <= t1:
            return b0 if t1 == t0 else b0 + (b1 - b0) * (t - t0) / (t1 - t0)
    return float(samples[-1][1] if t > samples[-1][0] else samples[0][1])


def rate_between(samples: Sequence[tuple[float, int]], a: float, b: float) -> float:
    """Mbit/s between times ``a`` and ``b`` (a plain difference, for quick decisions)."""
    return (_bytes_at(samples, b) - _bytes_at(samples, a)) * 8 / (b - a) / 1e6 if b > a else 0.0


def _enveloperate_between(points: Sequence[tuple[float, int]]) -> float:
    """Bytes per second along the upper envelope of a cumulative byte counter.

    TCP hands data to the program in order: when a segment is lost, everything behind it waits
    for the retransmission and then arrives at once (downloads), and the sender's count of
    acknowledged bytes stalls the same way (uploads). The counter therefore runs *below* the
    line of what the link delivered for a while, then catches up; it never runs above it. A
    chord between two samples that sit on the line measures the link; so each end of the window
    is moved to the sample, among the first and last quarter of the window, that lies highest
    relative to the current slope (three rounds).
    """
    first, last = points[0], points[-1]
    span = last[0] - first[0]
    if span <= 0:
        return 0.0
    rate = (last[1] - first[1]) / span
    head = [p for p in points if p[0] <= first[0] + span * ENVELOPE_EDGE]
    tail = [p for p in points if p[0] >= last[0] - span * ENVELOPE_EDGE]
    for _ in range(3):
        a = max(head, key=lambda p: p[1] - rate * p[0])
        b = max(tail, key=lambda p: p[1] - rate * p[0])
        if b[0] <= a[0]:
            break
        rate = (b[1] - a[1]) / (b[0] - a[0])
    return rate


def estimate(samples: Sequence[tuple[float, int]], since: float = 0.0,
             tolerance: float = STEADY_TOLERANCE) -> Estimate | None:
    """The rate over the second half of the time since the first byte after ``since``, or
    None (too early).

    ``samples`` are (seconds, cumulative bytes), in time order; ``since`` is when the set of
    streams last changed. The first half (connection set-up, slow start, a send buffer filling)
    is left out; the second half is measured along its upper envelope (:func:`_envelope_rate`),
    and called steady when its own two halves agree within ``tolerance``.
    """
    after = [(t, b) for t, b in samples if t >= since]
    if len(after) < 2:
        return None
    base = after[0][1]
    moving = next((i for i, (_, count) in enumerate(after) if count > base), None)
    if moving is None or moving == 0:
        return None
    started = after[moving - 1][0]  # the last sample before bytes moved
    end = after[-1][0]
    elapsed = end - started
    if elapsed < MIN_PHASE_S:
        return None
    begin = started + elapsed / 2
    window = [p for p in after if p[0] >= begin - 1e-9]
    if len(window) < 4:
        return None
    rate = _enveloperate_between(window) * 8 / 1e6
    middle = (begin + end) / 2
    early = _enveloperate_between([p for p in window if p[0] <= middle + 1e-9]) * 8 / 1e6
    late = _enveloperate_between([p for p in window if p[0] >= middle - 1e-9]) * 8 / 1e6
    steady = rate > 0 and abs(late - early) <= tolerance * rate
    return Estimate(max(rate, 0.0), steady, end - begin, elapsed)


# -- latency ------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Latency:
    """HTTP request times on one kept-alive connection (the first, with set-up, left out)."""

    samples_ms: tuple[float, ...]

    @property
    def min_ms(self) -> float:
        return min(self.samples_ms)

    @property
    def median_ms(self) -> float:
        ordered = sorted(self.samples_ms)
        return ordered[len(ordered) // 2]

    def to_json(self) -> dict[str, Any]:
        return {"min_ms": round(self.min_ms, 2), "median_ms": round(self.median_ms, 2),
                "samples_ms": [round(s, 2) for s in self.samples_ms]}


def latency(base: Url, clock: Clock, count: int = 6) -> Latency:
    """Time ``count`` GETs of ``latency.txt`` (which must answer ``test=test``)."""
    clock.report("latency")
    target = base.with_path(base.path.rstrip("/") + "/latency.txt")
    timeout = max(0.5, min(3.0, clock.left))
    try:
        conn, path = connect(target, timeout)
        times: list[float] = []
        with contextlib.closing(conn):
            for _ in range(count):
                if clock.left <= 0:
                    raise MeasureError("latency", "budget", "no time left for the latency test")
                started = time.perf_counter()
                conn.request("GET", busted(path), headers=headers())
                response = conn.getresponse()
                body = response.read(64)
                times.append((time.perf_counter() - started) * 1000)
                if response.status != 200:
                    raise MeasureError("latency", "http_status",
                                       f"latency.txt answered HTTP {response.status}")
                if not body.startswith(b"test=test"):
                    raise MeasureError("latency", "garbage",
                                       f"latency.txt did not answer test=test: {body[:20]!r}")
                if response.will_close:
                    conn.close()
    except MeasureError:
        raise
    except (OSError, http.client.HTTPException) as exc:
        raise MeasureError("latency", "unreachable", reason(exc)) from exc
    return Latency(tuple(times[1:] if len(times) > 1 else times))


def new_measurement_id() -> str:
    """A random id for the gateway to file what it observed under (128 bits, hex)."""
    return secrets.token_hex(16)

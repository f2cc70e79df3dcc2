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

Failures are :class:`MeasureError` with a step and a kind the check explains: ``unreachable``
(no connection), ``garbage`` (answers that are not the protocol's), ``dropped`` (the bytes
stopped mid-test), ``budget`` (no usable figure within the time allowed).
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import itertools
import secrets
import socket
import ssl
import struct
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

#: Parallel TCP streams per direction: a test starts with :data:`STREAMS` and adds
#: :data:`MORE_STREAMS` (once) when each stream carries more than :data:`PER_STREAM_MBIT`:
#: one stream under-reports a fast link (measured here: -11 % at 200 Mbit/s upload), while
#: many streams on a slow link with a short queue time out and under-report too (-20 % with
#: four at 2 Mbit/s).
STREAMS = 2
MORE_STREAMS = 2
PER_STREAM_MBIT = 20.0
#: When, after the first byte, the per-stream rate is judged.
GROW_AFTER_S = 0.5
#: Sampling period of the byte counters.
SAMPLE_S = 0.05
#: Shortest and longest time a direction is measured (from its first byte).
MIN_PHASE_S = 1.2
MAX_PHASE_S = 4.0
#: The halves of the measured window must agree this closely, this many samples running.
STEADY_TOLERANCE = 0.03
STEADY_SAMPLES = 3
#: The share of the window at each end where the envelope looks for its end points.
ENVELOPE_EDGE = 0.25
#: No byte for this long after bytes flowed: the connection dropped.
STALL_S = 2.0
#: The answer keeps every fifth sample (every 250 ms): the throughput's course, in brief.
KEEP_EVERY = 5
#: The download file (Speedtest Mini's largest) and the upload body size (speedtest-cli's
#: largest is 7 MiB; an upload stream posts bodies of this size one after the other).
DOWNLOAD_FILE = "random4000x4000.jpg"
UPLOAD_BYTES = 8 * 1024 * 1024
#: A download answer shorter than this is not a speed-test file (Mini's smallest is 245 kB).
MIN_FILE_BYTES = 200_000
USER_AGENT = "precheck (speedtest-compatible)"
_CHUNK = 64 * 1024
_SIOCOUTQ = 0x5411  # Linux: bytes not yet acknowledged by the peer (TIOCOUTQ)
_SO_NWRITE = 0x1024  # macOS: bytes in the send buffer not yet sent or acknowledged
_PLATFORM: str = sys.platform

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


def _rate(samples: Sequence[tuple[float, int]], a: float, b: float) -> float:
    """Mbit/s between times ``a`` and ``b`` (a plain difference, for quick decisions)."""
    return (_bytes_at(samples, b) - _bytes_at(samples, a)) * 8 / (b - a) / 1e6 if b > a else 0.0


def _envelope_rate(points: Sequence[tuple[float, int]]) -> float:
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
    rate = _envelope_rate(window) * 8 / 1e6
    middle = (begin + end) / 2
    early = _envelope_rate([p for p in window if p[0] <= middle + 1e-9]) * 8 / 1e6
    late = _envelope_rate([p for p in window if p[0] >= middle - 1e-9]) * 8 / 1e6
    steady = rate > 0 and abs(late - early) <= tolerance * rate
    return Estimate(max(rate, 0.0), steady, end - begin, elapsed)


# -- HTTP over the system's proxy settings --------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Url:
    scheme: str
    host: str
    port: int
    path: str  # with the query

    @classmethod
    def parse(cls, url: str) -> Url:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            msg = f"not an http(s) URL: {url!r}"
            raise ValueError(msg)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return cls(parts.scheme, parts.hostname, port, path)

    def with_path(self, path: str) -> Url:
        return Url(self.scheme, self.host, self.port, path)

    def __str__(self) -> str:
        default = 443 if self.scheme == "https" else 80
        port = "" if self.port == default else f":{self.port}"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}{port}{self.path}"


def proxy_for(url: Url) -> str | None:
    """The proxy the system sets for ``url`` (environment, Windows registry, macOS settings)."""
    if urllib.request.proxy_bypass(url.host):
        return None
    return urllib.request.getproxies().get(url.scheme)


def connect(url: Url, timeout: float) -> tuple[http.client.HTTPConnection, str]:
    """An unopened connection for ``url`` through the system proxy, and the request target."""
    proxy = proxy_for(url)
    if proxy is None:
        if url.scheme == "https":
            return http.client.HTTPSConnection(url.host, url.port, timeout=timeout,
                                               context=ssl.create_default_context()), url.path
        return http.client.HTTPConnection(url.host, url.port, timeout=timeout), url.path
    through = Url.parse(proxy if "://" in proxy else f"http://{proxy}")
    if url.scheme == "https":
        conn = http.client.HTTPSConnection(through.host, through.port, timeout=timeout,
                                           context=ssl.create_default_context())
        conn.set_tunnel(url.host, url.port)
        return conn, url.path
    return http.client.HTTPConnection(through.host, through.port, timeout=timeout), str(url)


_counter = iter(range(1 << 62))


def busted(path: str, measurement: str | None = None) -> str:
    """``path`` with speedtest-cli's cache buster (``x=<ms>.<n>``) and the measurement id."""
    query = f"x={int(time.time() * 1000)}.{next(_counter)}"
    if measurement:
        query += f"&m={measurement}"
    return f"{path}{'&' if '?' in path else '?'}{query}"


def _headers() -> dict[str, str]:
    return {"User-Agent": USER_AGENT, "Cache-Control": "no-cache", "Accept-Encoding": "identity"}


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


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
                conn.request("GET", busted(path), headers=_headers())
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
        raise MeasureError("latency", "unreachable", _reason(exc)) from exc
    return Latency(tuple(times[1:] if len(times) > 1 else times))


# -- throughput ---------------------------------------------------------------------------------

def _unacknowledged(sock: socket.socket | None) -> int:
    """Bytes written to ``sock`` that the peer has not acknowledged yet (0 when unknown)."""
    if sock is None:
        return 0
    system = _PLATFORM  # a plain string: the OS is chosen at run time, not by the type checker
    try:
        if system.startswith("linux"):
            import fcntl

            raw = fcntl.ioctl(sock.fileno(), _SIOCOUTQ, b"\0\0\0\0")
            return int(struct.unpack("i", raw)[0])
        if system == "darwin":
            return int(sock.getsockopt(socket.SOL_SOCKET, _SO_NWRITE))
    except (OSError, ValueError):
        return 0
    return 0


def acknowledged_counting() -> bool:
    """Whether uploads count what the peer acknowledged (else what was written)."""
    return _PLATFORM.startswith("linux") or _PLATFORM == "darwin"


class _Stream(threading.Thread):
    """One TCP connection downloading or uploading until told to stop."""

    def __init__(self, index: int, url: Url, direction: str, stop: threading.Event, *,
                 measurement: str | None, timeout: float) -> None:
        super().__init__(name=f"speed-{direction}-{index}", daemon=True)
        self.url = url
        self.direction = direction
        self.stop = stop
        self.measurement = measurement
        self.timeout = timeout
        self.lock = threading.Lock()
        self.done = 0  # bytes of finished transfers (downloads: every byte read)
        self.written = 0  # bytes written to the current socket in the current upload body
        self.sock: socket.socket | None = None
        self.conn: http.client.HTTPConnection | None = None
        self.error: MeasureError | None = None
        self.server_sizes: list[int] = []  # upload: the server's size=N answers
        self.target = ""
        self.answered = False  # the server has answered a request on this stream

    def count(self) -> int:
        """Bytes moved so far: read (download) or acknowledged or written (upload)."""
        with self.lock:
            if self.direction == "down":
                return self.done
            return self.done + max(0, self.written - _unacknowledged(self.sock))

    def halt(self) -> None:
        """Unblock a read or write in progress (called from the measuring thread)."""
        with self.lock:
            sock = self.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def run(self) -> None:
        step: Step = "download" if self.direction == "down" else "upload"
        try:
            while not self.stop.is_set():
                self._open()
                if self.direction == "down":
                    self._download()
                else:
                    self._upload()
        except MeasureError as exc:
            self.error = exc
        except (OSError, http.client.HTTPException) as exc:
            if not self.stop.is_set():
                # Once the server has answered, silence is the line dropping, not a server that
                # cannot be reached.
                kind: Kind = "dropped" if self.answered or self.count() else "unreachable"
                self.error = MeasureError(step, kind, _reason(exc))
        finally:
            if self.conn is not None:
                self.conn.close()

    def _open(self) -> None:
        if self.conn is not None and self.conn.sock is not None:
            return
        if self.conn is not None:
            self.conn.close()
        conn, self.target = connect(self.url, self.timeout)
        conn.connect()
        with self.lock:
            self.conn, self.sock = conn, conn.sock

    def _download(self) -> None:
        assert self.conn is not None  # noqa: S101 - _open() set it
        self.conn.request("GET", busted(self.target, self.measurement), headers=_headers())
        response = self.conn.getresponse()
        self.answered = True
        if response.status != 200:
            raise MeasureError("download", "http_status",
                               f"{DOWNLOAD_FILE} answered HTTP {response.status}")
        length = response.length
        if length is not None and length < MIN_FILE_BYTES:
            raise MeasureError("download", "garbage",
                               f"{DOWNLOAD_FILE} is only {length} bytes, not a speed-test file")
        while not self.stop.is_set():
            chunk = response.read1(_CHUNK)
            if not chunk:
                break
            with self.lock:
                self.done += len(chunk)
        if self.stop.is_set() or response.will_close or not response.isclosed():
            self.conn.close()

    def _upload(self) -> None:
        assert self.conn is not None  # noqa: S101 - _open() set it
        conn = self.conn
        conn.putrequest("POST", busted(self.target, self.measurement), skip_accept_encoding=True)
        for name, value in {**_headers(), "Content-Type": "application/x-www-form-urlencoded",
                            "Content-Length": str(UPLOAD_BYTES)}.items():
            conn.putheader(name, value)
        conn.endheaders()
        body = memoryview(_upload_body())
        sent = 0
        while sent < UPLOAD_BYTES and not self.stop.is_set():
            piece = body[:min(_CHUNK, UPLOAD_BYTES - sent)]
            # send(), not sendall(): what the kernel took is counted the moment it took it, so
            # "written minus not yet acknowledged" never runs ahead of what was written.
            taken = conn.sock.send(piece)
            sent += taken
            with self.lock:
                self.written += taken
        if self.stop.is_set():
            conn.close()
            return
        response = conn.getresponse()
        answer = response.read(64).strip()
        if response.status != 200:
            raise MeasureError("upload", "http_status",
                               f"upload answered HTTP {response.status}")
        if not answer.startswith(b"size=") or not answer[5:].split(b"\n")[0].isdigit():
            raise MeasureError("upload", "garbage",
                               f"upload did not answer size=N: {answer[:20]!r}")
        with self.lock:
            self.done += self.written
            self.written = 0
            self.server_sizes.append(int(answer[5:].split(b"\n")[0]))
        if response.will_close:
            conn.close()


@functools.cache
def _upload_body() -> bytes:
    """A piece of speedtest-cli's upload body: ``content1=`` and a 36-character filler.

    Every piece of a body is this one, so the body is a form field of filler throughout.
    """
    chars = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return (b"content1=" + chars * (_CHUNK // len(chars) + 1))[:_CHUNK]


@dataclass(frozen=True, slots=True)
class Throughput:
    """What one direction measured."""

    direction: str
    mbit: float
    steady: bool
    window_s: float
    elapsed_s: float
    streams: int
    total_bytes: int
    counting: str  # "received", "acknowledged" or "written"
    samples: tuple[tuple[float, int], ...]  # (s, cumulative bytes), every 250 ms
    duration_s: float  # the phase's wall time, connecting and stopping included

    def to_json(self) -> dict[str, Any]:
        return {"mbit": round(self.mbit, 3), "steady": self.steady,
                "window_s": round(self.window_s, 3), "elapsed_s": round(self.elapsed_s, 3),
                "streams": self.streams, "bytes": self.total_bytes, "counting": self.counting,
                "duration_s": round(self.duration_s, 3),
                "samples": [[round(t, 3), b] for t, b in self.samples]}


class _Phase:
    """One direction's streams, byte counters and decisions, sampled every :data:`SAMPLE_S`."""

    def __init__(self, url: Url, direction: str, clock: Clock, measurement: str | None) -> None:
        self.url = url
        self.direction = direction
        self.step: Step = "download" if direction == "down" else "upload"
        self.clock = clock
        self.measurement = measurement
        self.stop = threading.Event()
        self.timeout = max(1.0, min(STALL_S, clock.left))
        self.workers: list[_Stream] = []
        self.started = time.monotonic()
        self.samples: list[tuple[float, int]] = [(0.0, 0)]
        self.since = 0.0  # when the set of streams last changed
        self.first_byte: float | None = None
        self.last_byte_at = self.started

    def add(self, count: int) -> None:
        added = [_Stream(len(self.workers) + i, self.url, self.direction, self.stop,
                         measurement=self.measurement, timeout=self.timeout)
                 for i in range(count)]
        for worker in added:
            worker.start()
        self.workers += added

    def sample(self) -> float:
        """Read the counters; raise MeasureError when the streams failed or stalled."""
        time.sleep(SAMPLE_S)
        now = time.monotonic()
        total = sum(w.count() for w in self.workers)
        if total > self.samples[-1][1]:
            self.last_byte_at = now
            if self.first_byte is None:
                self.first_byte = now - self.started
        self.samples.append((now - self.started, total))
        errors = [w.error for w in self.workers if w.error is not None]
        if errors and (len(errors) == len(self.workers) or total == 0
                       or errors[0].kind in ("garbage", "http_status")):
            raise errors[0]
        if total > 0 and now - self.last_byte_at >= STALL_S:
            raise MeasureError(self.step, "dropped",
                               f"no data for {STALL_S:g} s after {total} bytes")
        return now - self.started

    def per_stream_mbit(self, elapsed: float) -> float:
        """The rate per stream over the last half of :data:`GROW_AFTER_S`."""
        assert self.first_byte is not None  # noqa: S101 - called only after the first byte
        begin = max(self.first_byte, elapsed - GROW_AFTER_S / 2)
        return _rate(self.samples, begin, elapsed) / len(self.workers)

    def end(self) -> None:
        self.stop.set()
        for worker in self.workers:
            worker.halt()
        for worker in self.workers:
            worker.join(timeout=0.5)


def throughput(file_url: Url, direction: str, clock: Clock, limit_s: float, *,
               measurement: str | None = None, streams: int = STREAMS,
               more_streams: int = MORE_STREAMS) -> Throughput:
    """Download ``file_url`` (``direction="down"``) or post to it (``"up"``) until the rate is
    steady, ``limit_s`` passes, or the budget is spent.

    Starts ``streams`` connections and, once, adds ``more_streams`` when each carries more than
    :data:`PER_STREAM_MBIT` (the window then starts again from the change).
    """
    phase = _Phase(file_url, direction, clock, measurement)
    clock.report(phase.step)
    phase.add(streams)
    grown = more_streams <= 0
    steady_run, last_progress = 0, 0.0
    result: Estimate | None = None
    try:
        while True:
            elapsed = phase.sample()
            if (not grown and phase.first_byte is not None
                    and elapsed - phase.first_byte >= GROW_AFTER_S):
                grown = True
                if phase.per_stream_mbit(elapsed) > PER_STREAM_MBIT:
                    phase.add(more_streams)
                    phase.since, steady_run = elapsed, 0
                    continue
            result = estimate(phase.samples, phase.since)
            steady_run = steady_run + 1 if result is not None and result.steady else 0
            if elapsed - last_progress >= 0.25:
                clock.report(phase.step, None if result is None else round(result.mbit, 2))
                last_progress = elapsed
            if result is not None and (steady_run >= STEADY_SAMPLES
                                       or result.elapsed_s >= limit_s):
                break
            if clock.left <= 0 or elapsed >= limit_s + 2.0:
                if result is None:
                    raise MeasureError(phase.step, "budget",
                                       f"no usable figure within {elapsed:.1f} s "
                                       f"({phase.samples[-1][1]} bytes)")
                break
    finally:
        phase.end()
    counting = "received" if direction == "down" else (
        "acknowledged" if acknowledged_counting() else "written")
    thinned = tuple(s for i, s in enumerate(phase.samples)
                    if i % KEEP_EVERY == 0 or i == len(phase.samples) - 1)
    return Throughput(direction, result.mbit, result.steady, result.window_s, result.elapsed_s,
                      len(phase.workers), phase.samples[-1][1], counting, thinned,
                      time.monotonic() - phase.started)


def new_measurement_id() -> str:
    """A random id for the gateway to file what it observed under (128 bits, hex)."""
    return secrets.token_hex(16)

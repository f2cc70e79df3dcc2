"""Throughput: parallel TCP streams downloading or uploading, their byte counters sampled
until the rate is steady (the estimate is :func:`precheck.probes.network.speed.estimate`).
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import socket
import struct
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

from precheck.probes.network.speed import (
    STEADY_SAMPLES,
    Clock,
    Estimate,
    Kind,
    MeasureError,
    Step,
    estimate,
    rate_between,
)
from precheck.probes.network.transport import Url, busted, connect, headers, reason

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
#: Longest time a direction is measured (from its first byte).
MAX_PHASE_S = 4.0

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
_CHUNK = 64 * 1024
_SIOCOUTQ = 0x5411  # Linux: bytes not yet acknowledged by the peer (TIOCOUTQ)
_SO_NWRITE = 0x1024  # macOS: bytes in the send buffer not yet sent or acknowledged
_PLATFORM: str = sys.platform


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
                self.error = MeasureError(step, kind, reason(exc))
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
        self.conn.request("GET", busted(self.target, self.measurement), headers=headers())
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
        for name, value in {**headers(), "Content-Type": "application/x-www-form-urlencoded",
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
        return rate_between(self.samples, begin, elapsed) / len(self.workers)

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



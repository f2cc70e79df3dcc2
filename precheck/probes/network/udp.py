"""Jitter, loss and round-trip time over UDP, against the gateway's echo.

RTP-sized packets (:data:`precheck.protocol.udp.PACKET_SIZE`) go out at a steady rate, 50 a
second as an audio stream sends them; the echo stamps each with its receive time and count. The
interarrival jitter of each direction is computed as RFC 3550 section 6.4.1 defines it (and
iperf3 does): for consecutive packets i, j in arrival order, D = (Rj - Ri) - (Sj - Si), and
J += (|D| - J) / 16. Only differences of one clock's times enter D, so the client's and the
server's clocks need not agree.
"""

from __future__ import annotations

import itertools
import socket
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from precheck.protocol.udp import pack_probe, parse_reply

#: Packets a second (one per 20 ms audio frame) and how long the stream runs by default.
RATE = 50
DURATION_S = 2.5


def rfc3550_jitter(transits_ms: Sequence[float]) -> float:
    """The RFC 3550 interarrival jitter (ms) of transit times given in arrival order."""
    jitter = 0.0
    for previous, current in itertools.pairwise(transits_ms):
        jitter += (abs(current - previous) - jitter) / 16
    return jitter


@dataclass(frozen=True, slots=True)
class UdpResult:
    """What the UDP stream measured."""

    sent: int
    received: int
    server_received: int  # the highest count the server reported (0: no answer)
    rtt_ms: tuple[float, ...]  # per answered packet, in sequence order
    jitter_up_ms: float
    jitter_down_ms: float
    duration_s: float

    @property
    def blocked(self) -> bool:
        return self.received == 0

    @property
    def loss(self) -> float:
        return 1 - self.received / self.sent if self.sent else 1.0

    @property
    def loss_up(self) -> float:
        return 1 - self.server_received / self.sent if self.sent else 1.0

    @property
    def loss_down(self) -> float:
        if not self.server_received:
            return 1.0
        return max(0.0, 1 - self.received / self.server_received)

    @property
    def jitter_ms(self) -> float:
        """The worse direction: a call suffers from either."""
        return max(self.jitter_up_ms, self.jitter_down_ms)

    def to_json(self) -> dict[str, Any]:
        ordered = sorted(self.rtt_ms)
        median = ordered[len(ordered) // 2] if ordered else None
        p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] if ordered else None
        return {
            "sent": self.sent, "received": self.received,
            "server_received": self.server_received,
            "rtt_ms_median": None if median is None else round(median, 2),
            "rtt_ms_p95": None if p95 is None else round(p95, 2),
            "jitter_up_ms": round(self.jitter_up_ms, 3),
            "jitter_down_ms": round(self.jitter_down_ms, 3),
            "loss": round(self.loss, 4), "loss_up": round(self.loss_up, 4),
            "loss_down": round(self.loss_down, 4), "duration_s": round(self.duration_s, 3),
        }


def summarize(sent: int, replies: Sequence[tuple[int, int, int, int, int]],
              duration_s: float) -> UdpResult:
    """Figures from replies (seq, client send ns, server ns, server count, client receive ns),
    in the order they arrived."""
    by_server = sorted(replies, key=lambda r: r[2])
    jitter_up = rfc3550_jitter([(r[2] - r[1]) / 1e6 for r in by_server])
    jitter_down = rfc3550_jitter([(r[4] - r[2]) / 1e6 for r in replies])
    rtt = tuple((r[4] - r[1]) / 1e6 for r in sorted(replies))
    server = max((r[3] for r in replies), default=0)
    return UdpResult(sent, len(replies), min(server, sent), rtt, jitter_up, jitter_down,
                     duration_s)


def udp_stream(host: str, port: int, duration_s: float = DURATION_S,
               rate: int = RATE) -> UdpResult:
    """Send ``rate`` packets a second for ``duration_s`` to the echo and collect the answers.

    Raises OSError when no UDP socket can be made or the address does not resolve.
    """
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
    sock = socket.socket(family, kind, proto)
    replies: list[tuple[int, int, int, int, int]] = []
    done = threading.Event()
    seen: set[int] = set()

    def receive() -> None:
        while not done.is_set():
            try:
                data = sock.recv(2048)
            except TimeoutError:
                continue
            except OSError:
                # ICMP "port unreachable" (Linux reports it on the socket) or the socket was
                # closed: no answer for this packet; keep listening until done.
                if done.is_set():
                    return
                time.sleep(0.01)
                continue
            arrived = time.monotonic_ns()
            reply = parse_reply(data)
            if reply is None or reply.seq in seen:
                continue
            seen.add(reply.seq)
            replies.append((reply.seq, reply.sent_ns, reply.server_ns, reply.server_count,
                            arrived))

    started = time.monotonic()
    with sock:
        sock.connect(address)
        sock.settimeout(0.1)
        listener = threading.Thread(target=receive, name="udp-echo-client", daemon=True)
        listener.start()
        count = max(1, int(duration_s * rate))
        for seq in range(count):
            wait = started + seq / rate - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            try:
                sock.send(pack_probe(seq, time.monotonic_ns()))
            except OSError:
                continue  # e.g. a previous packet's ICMP error: this one is lost
        # Stragglers: three round trips, at least 0.3 s, at most 1 s.
        rtts = sorted((r[4] - r[1]) / 1e9 for r in list(replies))
        grace = min(1.0, max(0.3, 3 * rtts[len(rtts) // 2])) if rtts else 1.0
        time.sleep(grace)
        done.set()
        listener.join(timeout=0.5)
    return summarize(count, list(replies), time.monotonic() - started)

"""A small UDP echo for jitter and loss: the part of the network test that HTTP cannot do.

Video apps send audio and video over UDP (RTP) when they can. The client sends RTP-sized packets
at a steady rate (50 a second, one per 20 ms audio frame); this echo stamps each with its own
receive time and how many packets it has received from that client, and sends it back at once.
From the stamps the client computes, as RFC 3550 (section 6.4.1 and appendix A.8) does, the
interarrival jitter of each direction (clocks need not agree: only differences of transit times
count) and the loss upstream, downstream and in total, and it learns that UDP gets through at all.

Standard library only: the echo runs in a daemon thread, whatever event loop the web app uses.
A reply is never larger than the request (no amplification), only well-formed packets are
answered, and each client address gets at most :data:`MAX_RATE` replies a second.

The wire format is :mod:`precheck.protocol.udp`, shared with the client
(:mod:`precheck.probes.network.udp`).
"""

from __future__ import annotations

import socket
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from precheck.protocol.udp import is_probe, stamp_reply

#: Replies a second per client address; a test sends 50.
MAX_RATE = 200
#: Client addresses remembered (their counters), and for how long after their last packet.
MAX_CLIENTS = 4096
CLIENT_TTL_S = 60.0


@dataclass(slots=True)
class _Client:
    count: int = 0
    window_start: float = 0.0
    window_count: int = 0
    last: float = 0.0


class UdpEcho:
    """A running echo. ``port`` is the bound port (useful with port 0); ``close()`` stops it."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self.host, self.port = sock.getsockname()[:2]
        self._stop = threading.Event()
        self._clients: OrderedDict[tuple[str, int], _Client] = OrderedDict()
        self._thread = threading.Thread(target=self._serve, name="udp-echo", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop answering and release the port (idempotent)."""
        self._stop.set()
        self._thread.join(timeout=2.0)
        self._sock.close()

    def __enter__(self) -> UdpEcho:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _serve(self) -> None:
        buffer = bytearray(2048)
        while not self._stop.is_set():
            try:
                size, address = self._sock.recvfrom_into(buffer)
            except TimeoutError:
                continue
            except OSError:
                if self._stop.is_set():
                    return
                continue  # e.g. an ICMP error reported on the socket: keep serving
            received = time.monotonic_ns()
            if not is_probe(memoryview(buffer)[:size]):
                continue
            count = self._admit(address[:2], received / 1e9)
            if count is None:
                continue
            stamp_reply(buffer, received, count)
            try:
                self._sock.sendto(memoryview(buffer)[:size], address)
            except OSError:
                continue

    def _admit(self, address: tuple[str, int], now: float) -> int | None:
        """The client's packet count, or None when it exceeds its rate."""
        client = self._clients.get(address)
        if client is None:
            client = self._clients[address] = _Client(window_start=now)
            while len(self._clients) > MAX_CLIENTS:
                self._clients.popitem(last=False)
        else:
            self._clients.move_to_end(address)
        if now - client.window_start >= 1.0:
            client.window_start, client.window_count = now, 0
        client.count += 1
        client.last = now
        client.window_count += 1
        oldest = next(iter(self._clients.values()))
        if now - oldest.last > CLIENT_TTL_S:
            self._clients.popitem(last=False)
        return None if client.window_count > MAX_RATE else client.count


def start_udp_echo(host: str, port: int, *, reuse_port: bool = False) -> UdpEcho:
    """Bind ``host``:``port`` (UDP; port 0 picks a free one) and start answering.

    ``reuse_port``: let the other gateway processes on this host bind the same port
    (SO_REUSEPORT, where the OS has it). The kernel then hands each client's packets, by their
    addresses, always to the same process, so every process can serve ``/measure/udp`` and a
    client's per-address rate limit stays in one place. Raises OSError when the address cannot
    be bound (in use without reuse, not this machine's).
    """
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        if reuse_port and hasattr(socket, "SO_REUSEPORT"):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
        sock.settimeout(0.25)
    except OSError:
        sock.close()
        raise
    return UdpEcho(sock)

"""The UDP echo's wire format, shared by the network probe and the gateway's echo.

The client sends RTP-sized packets; the echo stamps each with its own receive time and how many
packets it has received from that client, and sends it back unchanged in size.

Wire format (network byte order), :data:`PACKET_SIZE` bytes both ways::

    0  4  magic b"PCU1"
    4  4  sequence number (client)
    8  8  client send time, ns (client clock)
    16 8  server receive time, ns (server clock; 0 from the client)
    24 4  packets the server has received from this client address (0 from the client)
    28 .. padding (zeros)
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

MAGIC = b"PCU1"
#: An RTP packet of G.711 audio, 20 ms a packet: 12-byte RTP header + 160 bytes of payload.
PACKET_SIZE = 172
HEADER = struct.Struct("!4sIQQI")
#: Where the echo writes its stamp (server receive time, count) into the client's packet.
STAMP = struct.Struct("!QI")
STAMP_OFFSET = 16


def pack_probe(seq: int, sent_ns: int) -> bytes:
    """A client's packet number ``seq`` sent at ``sent_ns`` (client clock)."""
    return HEADER.pack(MAGIC, seq & 0xFFFFFFFF, sent_ns, 0, 0).ljust(PACKET_SIZE, b"\0")


def is_probe(packet: bytes | bytearray | memoryview) -> bool:
    """Whether ``packet`` is a well-formed client packet (the only kind the echo answers)."""
    return len(packet) == PACKET_SIZE and bytes(packet[:len(MAGIC)]) == MAGIC


def stamp_reply(packet: bytearray, received_ns: int, count: int) -> None:
    """Turn a client's packet into the echo's reply, in place: same size, stamped."""
    STAMP.pack_into(packet, STAMP_OFFSET, received_ns, count)


@dataclass(frozen=True, slots=True)
class Reply:
    """An echoed packet as the client reads it."""

    seq: int
    sent_ns: int  # client clock
    server_ns: int  # server clock: when the server received the packet
    server_count: int  # packets the server had received from this client, this one included


def parse_reply(data: bytes) -> Reply | None:
    """The echo's answer, or None when ``data`` is not one."""
    if not is_probe(data):
        return None
    _, seq, sent, server, count = HEADER.unpack_from(data)
    return Reply(seq, sent, server, count)

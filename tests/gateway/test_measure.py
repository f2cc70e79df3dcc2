"""The gateway's speed-test endpoints (precheck.gateway.measure) over real HTTP, and its UDP echo.

A bare FastAPI app with only the measurement router, served by uvicorn on 127.0.0.1: what a
Speedtest Mini client asks and what the server records per measurement id.
"""

from __future__ import annotations

import http.client
import json
import socket
import time
from collections.abc import Iterator

import pytest

from precheck.gateway.measure import MAX_UPLOAD_BYTES, MINI_SIZES, Observations
from precheck.gateway.udp_echo import start_udp_echo
from precheck.probes.network.udp import rfc3550_jitter, summarize, udp_stream
from precheck.protocol.udp import PACKET_SIZE, pack_probe, parse_reply
from tests.network_support import LOCAL, measure_app, served_app


@pytest.fixture(scope="module")
def echo() -> Iterator[object]:
    with start_udp_echo(LOCAL, 0) as running:
        yield running


@pytest.fixture(scope="module")
def server(echo: object) -> Iterator[tuple[str, int]]:
    with served_app(measure_app(echo)) as url:
        host, port = url.removeprefix("http://").split(":")
        yield host, int(port)


def request(server: tuple[str, int], method: str, path: str, body: bytes | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection(*server, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def test_the_index_names_the_upload_extension_as_speedtest_mini_does(
        server: tuple[str, int]) -> None:
    status, _, body = request(server, "GET", "/measure?x=1")
    assert status == 200
    assert b'upload_extension: "php"' in body


def test_latency_answers_test_test_without_caching(server: tuple[str, int]) -> None:
    status, headers, body = request(server, "GET", "/measure/speedtest/latency.txt?x=1.0")
    assert status == 200
    assert body.startswith(b"test=test")
    assert "no-store" in headers["cache-control"]


@pytest.mark.parametrize("side", [350, 1000, 4000])
def test_downloads_have_speedtest_minis_sizes_and_do_not_compress(
        server: tuple[str, int], side: int) -> None:
    status, headers, body = request(server, "GET", f"/measure/speedtest/random{side}x{side}.jpg")
    assert status == 200
    assert len(body) == MINI_SIZES[side] == int(headers["content-length"])
    assert headers["content-type"] == "image/jpeg"
    import zlib

    assert len(zlib.compress(body[:1 << 20])) > 0.99 * min(len(body), 1 << 20)


@pytest.mark.parametrize("path", ["random123x123.jpg", "random350x500.jpg", "random0x0.jpg"])
def test_other_files_are_not_found(server: tuple[str, int], path: str) -> None:
    assert request(server, "GET", f"/measure/speedtest/{path}")[0] == 404


def test_upload_answers_the_size_it_read(server: tuple[str, int]) -> None:
    body = b"content1=" + b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ" * 1000
    status, _, answer = request(server, "POST", "/measure/speedtest/upload.php?x=2.1", body,
                                {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200
    assert answer == f"size={len(body)}".encode()
    assert request(server, "GET", "/measure/speedtest/upload.php")[2] == b"size=0"


def test_an_oversized_upload_is_refused(server: tuple[str, int]) -> None:
    conn = http.client.HTTPConnection(*server, timeout=10)
    conn.putrequest("POST", "/measure/speedtest/upload.php")
    conn.putheader("Content-Length", str(MAX_UPLOAD_BYTES + 1))
    conn.endheaders()
    response = conn.getresponse()
    assert response.status == 413
    conn.close()


def test_the_server_files_what_it_saw_under_the_measurement_id(server: tuple[str, int]) -> None:
    ident = "0123456789abcdef0123456789abcdef"
    request(server, "GET", f"/measure/speedtest/random500x500.jpg?x=1&m={ident}")
    payload = b"content1=" + b"x" * 300_000
    request(server, "POST", f"/measure/speedtest/upload.php?x=2&m={ident}", payload)
    status, _, body = request(server, "GET", f"/measure/observed/{ident}")
    assert status == 200
    seen = json.loads(body)
    assert seen["download"]["bytes"] == MINI_SIZES[500]
    assert seen["upload"]["bytes"] == len(payload)
    assert seen["download"]["requests"] == seen["upload"]["requests"] == 1
    assert sum(seen["upload"]["buckets"]) == len(payload)
    assert seen["upload"]["first_s"] >= seen["download"]["first_s"]
    assert "client" not in body.decode()
    assert LOCAL not in body.decode()


def test_an_unknown_or_malformed_measurement_id(server: tuple[str, int]) -> None:
    assert request(server, "GET", "/measure/observed/" + "f" * 32)[0] == 404
    assert request(server, "GET", "/measure/observed/NOT-HEX")[0] == 422
    assert request(server, "GET", "/measure/speedtest/latency.txt?m=x")[0] == 200  # not used
    assert request(server, "GET", "/measure/speedtest/random350x350.jpg?m=xyz")[0] == 422


def test_observations_are_bounded() -> None:
    from precheck.gateway import measure

    store = Observations()
    for number in range(measure.MAX_OBSERVATIONS + 10):
        store.add(f"{number:032x}", "up", 1)
    assert store.get(f"{0:032x}") is None
    assert store.get(f"{measure.MAX_OBSERVATIONS + 9:032x}") is not None


def test_the_udp_port_is_published(server: tuple[str, int], echo: object) -> None:
    status, _, body = request(server, "GET", "/measure/udp")
    assert status == 200
    assert json.loads(body)["port"] == echo.port  # type: ignore[attr-defined]


def test_without_an_echo_the_udp_description_is_not_found() -> None:
    with served_app(measure_app()) as url:
        host, port = url.removeprefix("http://").split(":")
        assert request((host, int(port)), "GET", "/measure/udp")[0] == 404


# -- the UDP echo -------------------------------------------------------------------------------

def test_the_echo_stamps_and_counts(echo: object) -> None:
    port = echo.port  # type: ignore[attr-defined]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(2)
        for seq in range(3):
            sock.sendto(pack_probe(seq, 1000 + seq), (LOCAL, port))
            data = sock.recv(2048)
            reply = parse_reply(data)
            assert reply is not None
            assert len(data) == PACKET_SIZE  # never larger than the request
            assert (reply.seq, reply.sent_ns, reply.server_count) == (seq, 1000 + seq, seq + 1)
            assert reply.server_ns > 0


def test_the_echo_ignores_what_is_not_its_protocol(echo: object) -> None:
    port = echo.port  # type: ignore[attr-defined]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.5)
        sock.sendto(b"GET / HTTP/1.0\r\n\r\n", (LOCAL, port))
        sock.sendto(b"PCU1" + b"\0" * 20, (LOCAL, port))  # too short
        with pytest.raises(TimeoutError):
            sock.recv(2048)


def test_a_stream_through_the_echo_measures_no_loss_and_little_jitter(echo: object) -> None:
    result = udp_stream(LOCAL, echo.port, duration_s=1.0)  # type: ignore[attr-defined]
    assert result.sent == result.received == result.server_received == 50
    assert result.loss == 0.0
    assert result.jitter_ms < 5
    assert not result.blocked


def test_nothing_answering_means_udp_is_blocked() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as holder:
        holder.bind((LOCAL, 0))  # a port that takes packets and never answers
        started = time.monotonic()
        result = udp_stream(LOCAL, holder.getsockname()[1], duration_s=0.4)
    assert result.blocked
    assert result.loss == 1.0
    assert time.monotonic() - started < 2.0


def test_rfc3550_jitter_is_the_running_mean_of_transit_differences() -> None:
    # Transit alternating 10 and 14 ms: |D| = 4 every packet; J converges towards 4 by 1/16 steps.
    transits = [10.0, 14.0] * 100
    assert rfc3550_jitter(transits) == pytest.approx(4.0, abs=1e-4)
    assert rfc3550_jitter([20.0] * 50) == 0.0
    # The first step, by hand: J = 0 + (|4| - 0) / 16.
    assert rfc3550_jitter([10.0, 14.0]) == pytest.approx(0.25)


def test_loss_is_split_by_direction() -> None:
    # 10 sent; the server saw 8 (2 lost upstream); 6 answers came back (2 lost downstream).
    replies = [(seq, seq * 20_000_000, 5 + seq * 20_000_000, count, 9 + seq * 20_000_000)
               for count, seq in enumerate([0, 1, 2, 4, 5, 7], start=1)]
    replies[-1] = (7, 140_000_000, 140_000_005, 8, 140_000_009)
    result = summarize(10, replies, 0.2)
    assert result.loss == pytest.approx(0.4)
    assert result.loss_up == pytest.approx(0.2)
    assert result.loss_down == pytest.approx(0.25)


@pytest.mark.skipif(not hasattr(socket, "SO_REUSEPORT"), reason="the OS has no SO_REUSEPORT")
def test_gateway_processes_on_one_host_share_the_udp_echo_port() -> None:
    with start_udp_echo(LOCAL, 0, reuse_port=True) as first:
        port = first.port
        with start_udp_echo(LOCAL, port, reuse_port=True) as second:
            assert second.port == port
            result = udp_stream(LOCAL, port, duration_s=0.5)
            assert result.received == result.sent > 0  # whichever process got them answered
    with start_udp_echo(LOCAL, 0) as alone, pytest.raises(OSError, match="in use"):
        start_udp_echo(LOCAL, alone.port)  # without reuse, a taken port is refused

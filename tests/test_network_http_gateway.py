"""network.connectivity against a gateway on plain http (``precheck gateway serve`` as the README
starts it): the gateway is asked over http, as the app and the speed test reach it, not over TLS."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from precheck.probes.network import web


class _Latency(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"test=test\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def plain_gateway() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Latency)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_an_http_gateway_is_reached_over_http(plain_gateway: str) -> None:
    answer = web.connectivity([{"name": "gateway", "role": "gateway",
                                "url": plain_gateway + "/measure/speedtest/latency.txt"}])
    (target,) = answer["targets"]
    assert target["https"]["ok"] is True, target
    assert target["https"]["status"] == 200
    assert target["https"]["plain_http"] is True  # said, since nothing there is encrypted


def test_an_https_address_still_needs_tls(plain_gateway: str) -> None:
    """The same server asked as https:// fails at the TLS step: https is never downgraded."""
    address = plain_gateway.replace("http://", "https://")
    answer = web.connectivity([{"name": "gateway", "role": "gateway", "url": address + "/"}])
    (target,) = answer["targets"]
    assert target["https"]["ok"] is False
    assert target["https"]["step"] == "tls"

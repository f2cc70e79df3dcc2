"""Local servers for the network tests: the gateway's measurement endpoints on 127.0.0.1, and
stand-ins that misbehave (answer garbage, stop mid-test, never answer) or play speedtest.net.

Nothing here leaves the machine: every server listens on 127.0.0.1 on a free port.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

from precheck.gateway.measure import MINI_SIZES

LOCAL = "127.0.0.1"


@contextlib.contextmanager
def served_app(app: Any) -> Iterator[str]:
    """Serve an ASGI app with uvicorn in a thread; yields its base URL (http://127.0.0.1:P)."""
    import uvicorn

    sock = socket.socket()
    sock.bind((LOCAL, 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False,
                                          lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://{LOCAL}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def measure_app(udp_echo: object | None = None) -> Any:
    """A bare FastAPI app with only the measurement router (and the UDP echo, if given)."""
    from fastapi import FastAPI

    from precheck.gateway.measure import UDP_ECHO_STATE, router

    app = FastAPI()
    app.include_router(router)
    if udp_echo is not None:
        setattr(app.state, UDP_ECHO_STATE, udp_echo)
    return app


# -- stand-ins that speak (or break) the protocol -------------------------------------------------

Handler = Callable[[BaseHTTPRequestHandler], None]


class _Quiet(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    routes: ClassVar[dict[str, Handler]] = {}

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base name
        """Tests stay quiet."""

    def _dispatch(self) -> None:
        path = self.path.split("?", 1)[0]
        for prefix, handler in self.routes.items():
            if path.endswith(prefix) or path == prefix:
                handler(self)
                return
        self.send_error(404)

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_CONNECT(self) -> None:
        self.send_error(405, "no tunnels here")


def reply(handler: BaseHTTPRequestHandler, body: bytes, status: int = 200,
          content_type: str = "text/plain") -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def drain(handler: BaseHTTPRequestHandler) -> int:
    length = int(handler.headers.get("Content-Length") or 0)
    left = length
    while left > 0:
        chunk = handler.rfile.read(min(left, 65536))
        if not chunk:
            break
        left -= len(chunk)
    return length - left


@contextlib.contextmanager
def stand_in(routes: dict[str, Handler]) -> Iterator[str]:
    """An HTTP server on 127.0.0.1 answering ``routes`` (path suffix -> handler)."""
    handler = type("StandIn", (_Quiet,), {"routes": routes})
    with serving(ThreadingHTTPServer((LOCAL, 0), handler)) as port:
        yield f"http://{LOCAL}:{port}"


@contextlib.contextmanager
def serving(server: socketserver.TCPServer) -> Iterator[int]:
    """``server`` answering on its own thread until the block ends; yields its port."""
    if isinstance(server, socketserver.ThreadingMixIn):
        server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def mini_routes(download: Handler | None = None, upload: Handler | None = None,
                latency: Handler | None = None) -> dict[str, Handler]:
    """Speedtest Mini's routes under /measure, with any of them replaced."""

    def index(h: BaseHTTPRequestHandler) -> None:
        reply(h, b'<html><!-- upload_extension: "php" --></html>', content_type="text/html")

    def upload_default(h: BaseHTTPRequestHandler) -> None:
        if h.command == "GET":
            reply(h, b"size=0")
            return
        reply(h, f"size={drain(h)}".encode())

    def download_default(h: BaseHTTPRequestHandler) -> None:
        size = MINI_SIZES[4000]
        h.send_response(200)
        h.send_header("Content-Length", str(size))
        h.end_headers()
        block = b"\xa5" * 65536
        with contextlib.suppress(OSError):
            for _ in range(size // len(block)):
                h.wfile.write(block)
            h.wfile.write(block[:size % len(block)])

    return {
        "/measure/udp": lambda h: h.send_error(404),
        "/speedtest/latency.txt": latency or (lambda h: reply(h, b"test=test\n")),
        "/speedtest/upload.php": upload or upload_default,
        "/speedtest/random4000x4000.jpg": download or download_default,
        "/measure": index,
        "/measure/": index,
    }


# -- raw TCP: a server that accepts and then goes silent ---------------------------------------

@contextlib.contextmanager
def silent_after_headers(headers: bytes) -> Iterator[int]:
    """Accepts connections, reads a request, sends ``headers`` and then nothing at all."""

    class Silent(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            self.request.recv(65536)
            with contextlib.suppress(OSError):
                self.request.sendall(headers)
            time.sleep(30)

    with serving(socketserver.ThreadingTCPServer((LOCAL, 0), Silent)) as port:
        yield port

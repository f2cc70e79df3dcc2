"""A stand-in for the booking gateway: the standard library's HTTP server on this machine,
answering each path as the test says (the gateway contract's JSON shapes, or anything else)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

#: path -> (status, body bytes, extra headers); or a callable that gets the request.
Route = tuple[int, bytes, dict[str, str]]


class Stand:
    """A local HTTP server whose answers the test sets, and what it was asked."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Route | Callable[[BaseHTTPRequestHandler], None]] = {}
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        stand = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                stand.requests.append((self.command, self.path, dict(self.headers), body))
                route = stand.routes.get((self.command, self.path)) or stand.routes.get(
                    (self.command, self.path.split("?", 1)[0]))  # any query, when set so
                if route is None:
                    route = (404, b'{"detail": "Not Found"}', {})
                if callable(route):
                    route(self)
                    return
                status, payload, headers = route
                self.send_response(status)
                self.send_header("Content-Type", headers.pop("Content-Type", "application/json"))
                self.send_header("Content-Length", headers.pop("Content-Length",
                                                               str(len(payload))))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _answer  # noqa: N815 - http.server's names

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def json(self, method: str, path: str, status: int, value: object) -> None:
        self.routes[(method, path)] = (status, json.dumps(value).encode(), {})


@pytest.fixture
def stand() -> Iterator[Stand]:
    server = Stand()
    thread = threading.Thread(target=server.server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()

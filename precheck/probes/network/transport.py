"""HTTP for the speed test, through the system's proxy settings (as the app reaches the gateway).

The Speedtest Mini requests carry speedtest-cli's cache buster and, against the gateway, the
measurement id (:func:`busted`), so the gateway can file what it observed of them.
"""

from __future__ import annotations

import http.client
import ssl
import time
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

USER_AGENT = "precheck (speedtest-compatible)"


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


def headers() -> dict[str, str]:
    """The headers of every speed-test request (no caching, no compression)."""
    return {"User-Agent": USER_AGENT, "Cache-Control": "no-cache", "Accept-Encoding": "identity"}


def reason(exc: BaseException) -> str:
    """An exception as a failure's detail: its type, and its message when it has one."""
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__

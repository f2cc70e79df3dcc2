"""The live side of the connectivity and captive-portal probes (the only code here that talks
to the network). Answers are plain JSON, read as typed facts by :mod:`.facts`; the judging is in
:mod:`precheck.checks.network`.

HTTPS goes through the system's proxy settings as urllib reads them (environment variables, the
Windows Internet Settings, macOS's network settings). A proxy auto-configuration (PAC) file is
JavaScript, which precheck cannot run: when a target cannot be reached directly, the proxies the
PAC file names (``PROXY host:port``) are tried in the order it names them.
"""

from __future__ import annotations

import contextlib
import http.client
import re
import socket
import ssl
import threading
import time
import urllib.request
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from precheck.probes.network.transport import Url, proxy_for

#: Longest time for a name lookup, and for a whole HTTPS request, per target.
DNS_TIMEOUT_S = 4.0
HTTPS_TIMEOUT_S = 6.0
#: The whole probe.
BUDGET_S = 9.0
USER_AGENT = "precheck (connectivity check)"
_PAC_PROXY = re.compile(r"\bPROXY\s+([A-Za-z0-9.\-\[\]:]+:\d+)")


def _lookup(host: str, timeout: float) -> dict[str, Any]:
    """Resolve ``host`` (getaddrinfo has no time-out of its own: a thread is given one)."""
    box: dict[str, Any] = {}

    def resolve() -> None:
        try:
            box["addresses"] = sorted({str(a[4][0]) for a in socket.getaddrinfo(
                host, 443, type=socket.SOCK_STREAM)})
        except OSError as exc:
            box["error"] = f"{type(exc).__name__}: {exc}"

    started = time.monotonic()
    worker = threading.Thread(target=resolve, name=f"dns-{host}", daemon=True)
    worker.start()
    worker.join(timeout)
    seconds = round(time.monotonic() - started, 3)
    if worker.is_alive():
        return {"ok": False, "error": f"no answer within {timeout:g} s", "seconds": seconds}
    if "error" in box:
        return {"ok": False, "error": box["error"], "seconds": seconds}
    return {"ok": True, "count": len(box["addresses"]), "seconds": seconds}


def _classify_tls(exc: ssl.SSLError) -> str:
    """Why a TLS handshake failed: the clock, an interception, or something else."""
    text = str(exc).lower()
    if "not yet valid" in text or "has expired" in text or "expired" in text:
        return "clock_or_expired"
    if ("self signed" in text or "self-signed" in text or "unable to get local issuer" in text
            or "unknown ca" in text):
        return "untrusted"
    if "hostname mismatch" in text or "doesn't match" in text:
        return "hostname_mismatch"
    return "tls"


def _connection(target: Url, proxy: str | None, timeout: float
                ) -> tuple[http.client.HTTPConnection, str]:
    """The connection to ask ``target`` through, and the path to ask for."""
    through = Url.parse(proxy if "://" in proxy else f"http://{proxy}") if proxy else None
    if target.scheme == "http":  # a forward proxy takes the whole address
        if through is not None:
            return (http.client.HTTPConnection(through.host, through.port, timeout=timeout),
                    str(target))
        return http.client.HTTPConnection(target.host, target.port, timeout=timeout), target.path
    context = ssl.create_default_context()
    if through is not None:
        conn = http.client.HTTPSConnection(through.host, through.port, timeout=timeout,
                                           context=context)
        conn.set_tunnel(target.host, target.port)
        return conn, target.path
    return (http.client.HTTPSConnection(target.host, target.port, timeout=timeout,
                                        context=context), target.path)


def _https(url: str, proxy: str | None, timeout: float) -> dict[str, Any]:
    """One HTTPS GET of ``url`` (directly, or through ``proxy`` "host:port" by CONNECT).

    A plain ``http://`` address (a gateway an operator runs locally with ``precheck gateway
    serve``) is asked over plain HTTP, as the app and the speed test reach it; the answer says
    so (``"plain_http": true``), since nothing there is encrypted.
    """
    target = Url.parse(url)
    started = time.monotonic()
    conn, path = _connection(target, proxy, timeout)
    try:
        conn.request("GET", path, headers={"User-Agent": USER_AGENT})
        response = conn.getresponse()
        response.read(4096)
        date = response.getheader("Date")
        answer: dict[str, Any] = {"ok": True, "status": response.status, "date": date,
                                  "seconds": round(time.monotonic() - started, 3),
                                  "local_time": datetime.now(UTC).isoformat()}
        if target.scheme == "http":
            answer["plain_http"] = True
        return answer
    except ssl.SSLCertVerificationError as exc:
        return {"ok": False, "step": "tls", "kind": _classify_tls(exc),
                "error": exc.verify_message or str(exc),
                "local_time": datetime.now(UTC).isoformat()}
    except ssl.SSLError as exc:
        return {"ok": False, "step": "tls", "kind": _classify_tls(exc), "error": str(exc)}
    except TimeoutError:
        return {"ok": False, "step": "connect", "kind": "timeout",
                "error": f"no answer within {timeout:g} s"}
    except ConnectionRefusedError as exc:
        return {"ok": False, "step": "connect", "kind": "refused", "error": str(exc)}
    except OSError as exc:
        kind = "proxy" if proxy and "tunnel" in str(exc).lower() else "network"
        return {"ok": False, "step": "connect", "kind": kind, "error": str(exc)}
    except http.client.HTTPException as exc:
        return {"ok": False, "step": "http", "kind": "protocol", "error": repr(exc)}
    finally:
        conn.close()


def pac_proxies(script: str) -> list[str]:
    """The ``PROXY host:port`` entries a PAC file names, in order, without repeats."""
    seen: list[str] = []
    for found in _PAC_PROXY.findall(script):
        if found not in seen:
            seen.append(found)
    return seen


def _fetch_pac(url: str, timeout: float) -> tuple[list[str], str | None]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:  # noqa: S310 - the OS's PAC URL
            script = answer.read(256 * 1024).decode("utf-8", "replace")
    except (OSError, ValueError) as exc:
        return [], f"{type(exc).__name__}: {exc}"
    return pac_proxies(script), None


def _target(target: Mapping[str, str], pac: list[str], deadline: float) -> dict[str, Any]:
    url = target["url"]
    host = urlsplit(url).hostname or ""
    answer: dict[str, Any] = {"name": target.get("name", host), "role": target.get("role", ""),
                              "host": host}
    proxy = proxy_for(Url.parse(url))
    answer["via"] = "proxy" if proxy else "direct"
    if proxy is None:
        # With a proxy the proxy resolves the name; without one the lookup is ours to make.
        answer["dns"] = _lookup(host, min(DNS_TIMEOUT_S, max(0.5, deadline - time.monotonic())))
        if not answer["dns"]["ok"] and not pac:
            answer["https"] = {"ok": False, "step": "dns", "kind": "dns",
                               "error": answer["dns"]["error"]}
            return answer
    timeout = min(HTTPS_TIMEOUT_S, max(0.5, deadline - time.monotonic()))
    result = _https(url, proxy, timeout) if (proxy or answer.get("dns", {}).get("ok")) else None
    if (result is None or not result["ok"]) and not proxy:
        for candidate in pac:
            timeout = min(HTTPS_TIMEOUT_S, max(0.5, deadline - time.monotonic()))
            tried = _https(url, candidate, timeout)
            if tried["ok"]:
                answer["via"] = "pac"
                result = tried
                break
    if result is None:
        result = {"ok": False, "step": "dns", "kind": "dns",
                  "error": answer.get("dns", {}).get("error", "")}
    answer["https"] = result
    return answer


def connectivity(targets: Sequence[Mapping[str, str]], pac_url: str | None = None
                 ) -> dict[str, Any]:
    """DNS and HTTPS for every target, in parallel, within :data:`BUDGET_S`."""
    deadline = time.monotonic() + BUDGET_S
    pac: list[str] = []
    pac_error = None
    if pac_url:
        pac, pac_error = _fetch_pac(pac_url, min(3.0, BUDGET_S / 3))
    results: list[dict[str, Any] | None] = [None] * len(targets)

    def run(index: int, target: Mapping[str, str]) -> None:
        results[index] = _target(target, pac, deadline)

    workers = [threading.Thread(target=run, args=(i, t), name=f"https-{i}", daemon=True)
               for i, t in enumerate(targets)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(max(0.0, deadline - time.monotonic() + 0.5))
    answered = []
    for target, result in zip(targets, results, strict=True):
        if result is not None:
            answered.append(result)
            continue
        host = urlsplit(target["url"]).hostname or ""
        answered.append({"name": target.get("name", host), "role": target.get("role", ""),
                         "host": host, "https": {"ok": False, "step": "connect",
                                                 "kind": "timeout",
                                                 "error": f"no answer within {BUDGET_S:g} s"}})
    return {"targets": answered, "pac_proxies": len(pac), "pac_error": pac_error}


# -- captive portals ----------------------------------------------------------------------------

def _captive_one(probe: Mapping[str, Any], timeout: float) -> dict[str, Any]:
    url = str(probe["url"])
    expected_status = int(probe.get("status", 204))
    expected_body = str(probe.get("body", ""))
    target = Url.parse(url)
    answer: dict[str, Any] = {"url": url}
    conn = http.client.HTTPConnection(target.host, target.port, timeout=timeout)
    proxy = proxy_for(target)
    path = target.path
    if proxy:
        through = Url.parse(proxy if "://" in proxy else f"http://{proxy}")
        conn = http.client.HTTPConnection(through.host, through.port, timeout=timeout)
        path = str(target)
    try:
        # A portal answers what it likes: a redirect to its login page, or its page itself.
        conn.request("GET", path, headers={"User-Agent": USER_AGENT, "Cache-Control": "no-cache"})
        response = conn.getresponse()
        body = response.read(64 * 1024).decode("utf-8", "replace")
    except (OSError, http.client.HTTPException) as exc:
        answer.update(outcome="unreachable", detail=f"{type(exc).__name__}: {exc}")
        return answer
    finally:
        with contextlib.suppress(OSError):
            conn.close()
    answer["status"] = response.status
    if response.status == expected_status and body.strip() == expected_body.strip():
        answer["outcome"] = "ok"
    else:
        answer["outcome"] = "portal"
        location = response.getheader("Location")
        answer["detail"] = ("redirected" if location else f"{len(body)} bytes of other content")
    return answer


def captive_probes(probes: Sequence[Mapping[str, Any]], timeout: float = 4.0
                   ) -> list[dict[str, Any]]:
    """Every known-answer probe, in parallel."""
    results: list[dict[str, Any] | None] = [None] * len(probes)

    def run(index: int, probe: Mapping[str, Any]) -> None:
        results[index] = _captive_one(probe, timeout)

    workers = [threading.Thread(target=run, args=(i, p), name=f"captive-{i}", daemon=True)
               for i, p in enumerate(probes)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout + 1.0)
    return [r if r is not None else {"url": str(p["url"]), "outcome": "unreachable",
                                     "detail": "no answer in time"}
            for p, r in zip(probes, results, strict=True)]

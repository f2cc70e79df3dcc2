"""The connection-quality test: at most :data:`BUDGET_S` seconds, every phase cut to fit.

Two targets (issue 4):

* **the booking gateway** (the default once one is configured: it is the path to the office):
  speedtest-cli's engine finds its Speedtest Mini endpoints with a configuration precheck
  supplies; latency and a UDP stream to its echo (jitter, loss, whether UDP gets through) run
  together, then download, then upload; finally the gateway says what it observed of the upload;
* **public speedtest.net servers** (no gateway): speedtest-cli's configuration and server list
  give the nearest servers, the quickest to answer is measured; jitter and loss cannot be
  measured there (no echo).

The answer is JSON (the probe ``network:quality``), phase by phase, so the check judges it and a
bundle replays it. A phase that fails ends the test: ``error`` holds its step, kind and detail,
and the phases before it keep their figures.
"""

from __future__ import annotations

import http.client
import json
import threading
from typing import Any

from precheck.probes.network import engine, speed, throughput, transport, udp
from precheck.probes.network.speed import Clock, MeasureError, ProgressCallback
from precheck.probes.network.transport import Url

#: The whole test, discovery included (issue 4: "at most 10 seconds").
BUDGET_S = 10.0
#: Where the gateway serves the Speedtest Mini protocol (precheck.gateway.measure.MINI_BASE).
MINI_BASE = "/measure"
#: Kept back at the end of the download for the upload, and at the end for the last requests.
RESERVE_S = 0.6


def mini_base(gateway: str) -> str:
    """The gateway's Speedtest Mini base URL."""
    return gateway.rstrip("/") + MINI_BASE


def run(gateway: str | None, *, budget_s: float = BUDGET_S,
        on_progress: ProgressCallback | None = None, streams: int = throughput.STREAMS
        ) -> dict[str, Any]:
    """Measure against ``gateway`` (a URL) or, without one, a public speedtest.net server."""
    clock = Clock(budget_s, on_progress)
    answer: dict[str, Any] = {"target": "gateway" if gateway else "public",
                              "budget_s": budget_s, "streams": streams, "error": None}
    try:
        if gateway:
            _gateway(gateway, clock, answer, streams)
        else:
            _public(clock, answer, streams)
    except MeasureError as exc:
        answer["error"] = exc.to_json()
    answer["duration_s"] = round(clock.elapsed, 3)
    if clock.elapsed > budget_s + 1.0 and answer["error"] is None:
        answer["error"] = MeasureError("upload", "budget",
                                       f"the test took {clock.elapsed:.1f} s").to_json()
    clock.report("done")
    return answer


def _gateway(gateway: str, clock: Clock, answer: dict[str, Any], streams: int) -> None:
    base = mini_base(gateway)
    clock.report("discover")
    upload_url = Url.parse(engine.gateway_upload_url(base, min(3.0, clock.left)))
    speedtest_dir = upload_url.with_path(upload_url.path.rsplit("/", 1)[0])
    port = _udp_port(Url.parse(base), clock)
    answer["server"] = {"kind": "gateway"}
    measurement = speed.new_measurement_id()
    answer["measurement_id"] = measurement
    udp_box: dict[str, Any] = {}
    listener = None
    if port is not None:
        def stream() -> None:
            try:
                udp_box["result"] = udp.udp_stream(upload_url.host, port).to_json()
            except OSError as exc:
                udp_box["error"] = f"{type(exc).__name__}: {exc}"

        listener = threading.Thread(target=stream, name="udp-stream", daemon=True)
        listener.start()
    try:
        answer["latency"] = speed.latency(speedtest_dir, clock).to_json()
    finally:
        if listener is not None:
            listener.join(timeout=max(0.0, udp.DURATION_S + 1.5))
    answer["udp"] = _udp_answer(port, udp_box)
    _directions(speedtest_dir, upload_url, clock, answer, streams=streams,
                measurement=measurement)
    answer["observed"] = _observed(Url.parse(base), measurement, clock)


def _public(clock: Clock, answer: dict[str, Any], streams: int) -> None:
    clock.report("discover")
    candidates = engine.public_candidates(min(4.0, clock.left / 2))
    chosen, timed = _quickest(candidates, clock)
    answer["server"] = {"kind": "public", **chosen.to_json()}
    upload_url = Url.parse(chosen.url)
    speedtest_dir = upload_url.with_path(upload_url.path.rsplit("/", 1)[0])
    answer["latency"] = timed.to_json()
    answer["udp"] = {"measured": False, "reason": "no_echo"}
    _directions(speedtest_dir, upload_url, clock, answer, streams=streams, measurement=None)


def _quickest(candidates: list[engine.PublicServer], clock: Clock
              ) -> tuple[engine.PublicServer, speed.Latency]:
    """The candidate with the lowest latency, timed in parallel (speedtest-cli times them one
    after another, on a new connection per request, and halves the mean)."""
    results: dict[int, speed.Latency | MeasureError] = {}
    sub = Clock(min(2.0, clock.left / 3))

    def time_one(index: int, server: engine.PublicServer) -> None:
        url = Url.parse(server.url)
        try:
            results[index] = speed.latency(url.with_path(url.path.rsplit("/", 1)[0]), sub, 4)
        except MeasureError as exc:
            results[index] = exc

    threads = [threading.Thread(target=time_one, args=(i, s), daemon=True)
               for i, s in enumerate(candidates)]
    clock.report("latency")
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(0.0, sub.left + 0.5))
    timed = {i: r for i, r in list(results.items()) if isinstance(r, speed.Latency)}
    if not timed:
        errors = [r for r in list(results.values()) if isinstance(r, MeasureError)]
        if errors and all(e.kind == "garbage" for e in errors):
            raise errors[0]
        detail = errors[0].detail if errors else "no server answered in time"
        raise MeasureError("latency", "unreachable", f"no speedtest.net server answered: {detail}")
    best = min(timed, key=lambda i: timed[i].median_ms)
    return candidates[best], timed[best]


def _directions(speedtest_dir: Url, upload_url: Url, clock: Clock, answer: dict[str, Any], *,
                streams: int, measurement: str | None) -> None:
    file_url = speedtest_dir.with_path(f"{speedtest_dir.path}/{throughput.DOWNLOAD_FILE}")
    limit = min(throughput.MAX_PHASE_S, (clock.left - RESERVE_S) / 2)
    down = throughput.throughput(file_url, "down", clock, limit, measurement=measurement,
                            streams=streams)
    answer["download"] = down.to_json()
    limit = min(throughput.MAX_PHASE_S, clock.left - RESERVE_S)
    up = throughput.throughput(upload_url, "up", clock, limit, measurement=measurement,
                          streams=streams)
    answer["upload"] = up.to_json()


def _get_json(url: Url, clock: Clock) -> tuple[int, Any]:
    conn, path = transport.connect(url, max(0.3, min(2.0, clock.left)))
    try:
        conn.request("GET", transport.busted(path), headers={"Accept": "application/json"})
        response = conn.getresponse()
        body = response.read(1 << 20)
    finally:
        conn.close()
    try:
        return response.status, json.loads(body)
    except ValueError:
        return response.status, None


def _udp_port(base: Url, clock: Clock) -> int | None:
    """The gateway's UDP echo port, or None when it runs none."""
    try:
        status, data = _get_json(base.with_path(base.path + "/udp"), clock)
    except (OSError, http.client.HTTPException) as exc:
        raise MeasureError("discover", "unreachable", f"{type(exc).__name__}: {exc}") from exc
    if status == 404:
        return None
    port = data.get("port") if isinstance(data, dict) else None
    if status != 200 or not isinstance(port, int) or not 0 < port < 65536:
        raise MeasureError("discover", "garbage", f"the UDP echo's description is not valid "
                           f"(HTTP {status})")
    return port


def _udp_answer(port: int | None, box: dict[str, Any]) -> dict[str, Any]:
    if port is None:
        return {"measured": False, "reason": "no_echo"}
    if "result" in box:
        result: dict[str, Any] = box["result"]
        if result["received"] == 0:
            return {"measured": False, "reason": "blocked", **result}
        return {"measured": True, **result}
    return {"measured": False, "reason": "blocked", "detail": box.get("error", "no answer")}


def _observed(base: Url, measurement: str, clock: Clock) -> dict[str, Any] | None:
    """What the gateway observed: its own figure of the upload (bytes that arrived)."""
    try:
        status, data = _get_json(base.with_path(f"{base.path}/observed/{measurement}"), clock)
    except (OSError, http.client.HTTPException):
        return None
    if status != 200 or not isinstance(data, dict):
        return None
    found: dict[str, Any] = {}
    for direction in ("download", "upload"):
        side = data.get(direction)
        if not isinstance(side, dict) or not isinstance(side.get("buckets"), list):
            continue
        step = float(side.get("bucket_s") or 0.05)
        total, samples = 0, [(0.0, 0)]
        for index, count in enumerate(side["buckets"]):
            total += int(count)
            samples.append(((index + 1) * step, total))
        rate = speed.estimate(samples)
        found[direction] = {"bytes": side.get("bytes"), "requests": side.get("requests"),
                            "mbit": None if rate is None else round(rate.mbit, 3)}
    return found

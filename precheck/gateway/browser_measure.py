"""The browser check's connection test: round trip, download and upload, timed by the gateway.

One WebSocket (``/check/{token}/connection``) carries the whole test, as M-Lab's ndt7 does over
one TCP connection; the gateway drives it and times everything on its own clock, so the figures
are the gateway's, not the browser's word:

1. **Round trip**: the gateway sends ``PINGS`` small messages one after another and times each
   answer (the minimum is the figure, as the app's HTTP latency is; the median is kept too).
2. **Download**: the gateway sends incompressible bytes for ``SECONDS`` s (as fast as the
   connection takes them: each send waits for the socket to drain); the page reports the bytes it
   has received every 200 ms and its final count after the last byte; the gateway stamps each
   report with its own clock and never counts more than it sent. The rate is the final count
   over the time from the first byte sent to that final report.
3. **Upload**: the page sends bytes for ``SECONDS`` s; the gateway counts what arrives and when;
   the rate is the slope of bytes over time from the end of ``WARMUP_S`` (TCP's slow start) to
   the end of the test (least squares over every arrival).

The answer is stored with the check (``browser_checks.figures``) in the form of the app's
quality test (precheck.probes.network.quality), so the app's own check judges it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import statistics
import time
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from sqlalchemy import select, update

from precheck.gateway.deps import STATE, AppState
from precheck.gateway.models import BrowserCheck

router = APIRouter(include_in_schema=False)

PINGS = 10
SECONDS = 4.0
WARMUP_S = 0.6
CHUNK = 64 * 1024
#: Stop waiting for a page that stopped answering.
ANSWER_TIMEOUT_S = 5.0

_BLOCK = os.urandom(CHUNK)


def _state(websocket: WebSocket) -> AppState:
    state: AppState = getattr(websocket.app.state, STATE)
    return state


def _same_origin(websocket: WebSocket) -> bool:
    origin = websocket.headers.get("origin")
    if not origin:
        return False
    return urlsplit(origin).netloc == websocket.headers.get("host", "")


def _check_id(state: AppState, token: str, now: datetime) -> int | None:
    digest = hashlib.sha256(token.encode()).hexdigest()
    with state.sessions() as session:
        return session.execute(select(BrowserCheck.id).where(
            BrowserCheck.token_hash == digest, BrowserCheck.expires_at > now,
            BrowserCheck.report.is_(None))).scalar_one_or_none()


@router.websocket("/check/{token}/connection")
async def connection(websocket: WebSocket, token: str) -> None:
    """Run the connection test for the check ``token`` and store what the gateway measured."""
    state = _state(websocket)
    if not _same_origin(websocket):
        await websocket.close(code=1008)
        return
    check_id = await asyncio.to_thread(_check_id, state, token[:200], state.clock())
    if check_id is None:
        await websocket.close(code=1008)
        return
    await websocket.accept()
    started = time.perf_counter()
    figures: dict[str, Any] = {"target": "gateway", "server": {"kind": "gateway"}}
    try:
        figures["latency"] = await _round_trips(websocket)
        figures["download"] = await _download(websocket)
        figures["upload"] = await _upload(websocket)
        figures["udp"] = {"measured": False, "reason": "browser"}
    except (WebSocketDisconnect, TimeoutError, ValueError) as exc:
        step = next((s for s in ("latency", "download", "upload") if s not in figures), "upload")
        figures = {"target": "gateway", "error": {
            "kind": "connection_lost", "step": step, "detail": type(exc).__name__}}
    figures["duration_s"] = round(time.perf_counter() - started, 2)
    await asyncio.to_thread(_store, state, check_id, figures)
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        await websocket.send_text(json.dumps({"op": "done", "ok": "error" not in figures}))
        await websocket.close()


def _store(state: AppState, check_id: int, figures: dict[str, Any]) -> None:
    with state.sessions() as session:
        session.execute(update(BrowserCheck).where(BrowserCheck.id == check_id)
                        .values(figures=figures))
        session.commit()


async def _answer(websocket: WebSocket) -> dict[str, Any]:
    async with asyncio.timeout(ANSWER_TIMEOUT_S):
        text = await websocket.receive_text()
    message = json.loads(text[:1000])
    if not isinstance(message, dict):
        raise ValueError("not a JSON object")
    return message


async def _round_trips(websocket: WebSocket) -> dict[str, Any]:
    times: list[float] = []
    for index in range(PINGS):
        sent = time.perf_counter()
        await websocket.send_text(json.dumps({"op": "ping", "i": index, "of": PINGS}))
        answer = await _answer(websocket)
        if answer.get("op") != "pong" or answer.get("i") != index:
            raise ValueError("a wrong answer to a ping")
        times.append((time.perf_counter() - sent) * 1000)
    return {"min_ms": round(min(times), 1), "median_ms": round(statistics.median(times), 1),
            "samples": len(times)}


def _rate(samples: list[tuple[float, int]], start: float, *, whole: bool = False
          ) -> dict[str, Any]:
    """Mbit/s from the last sample of the warm-up to the last sample.

    ``whole``: the samples are the page's reports, stamped when the gateway read them (a report
    read late would shorten the time and inflate the rate), so only the last one, the page's
    final count that the gateway waits for, is used: the rate over the whole test, slow start
    included (conservative, like speedtest-cli's).
    """
    last = samples[-1] if samples else (start, 0)
    warm = [(t, n) for t, n in samples if t - start <= WARMUP_S]
    first = warm[-1] if warm and not whole else (start, 0)
    steady = [(t, n) for t, n in samples if t - start > WARMUP_S]
    seconds = last[0] - first[0]
    mbit = (last[1] - first[1]) * 8 / seconds / 1e6 if seconds > 0 else 0.0
    return {"mbit": round(mbit, 3), "bytes": last[1], "seconds": round(seconds, 2),
            "steady": len(steady) >= 2, "streams": 1}


async def _download(websocket: WebSocket) -> dict[str, Any]:
    await websocket.send_text(json.dumps({"op": "download", "seconds": SECONDS}))
    start = time.perf_counter()
    sent = 0
    samples: list[tuple[float, int]] = []
    finished = asyncio.Event()

    async def acknowledgements() -> None:
        while True:
            answer = await _answer(websocket)
            if answer.get("op") == "got" and isinstance(answer.get("bytes"), int):
                samples.append((time.perf_counter(), min(int(answer["bytes"]), sent)))
                if answer.get("final"):
                    finished.set()
                    return

    reader = asyncio.create_task(acknowledgements())
    try:
        while time.perf_counter() - start < SECONDS and not reader.done():
            await websocket.send_bytes(_BLOCK)
            sent += CHUNK
            await asyncio.sleep(0)  # let the reader stamp the page's reports as they come
        await websocket.send_text(json.dumps({"op": "download_end", "sent": sent}))
        async with asyncio.timeout(ANSWER_TIMEOUT_S * 2):
            await finished.wait()
    finally:
        if not reader.done():
            reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader
    return _rate(samples, start, whole=True)


async def _upload(websocket: WebSocket) -> dict[str, Any]:
    await websocket.send_text(json.dumps({"op": "upload", "seconds": SECONDS}))
    start = time.perf_counter()
    received = 0
    samples: list[tuple[float, int]] = []
    ended = False
    while True:
        async with asyncio.timeout(ANSWER_TIMEOUT_S):
            message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000))
        data = message.get("bytes")
        if data:
            received += len(data)
            samples.append((time.perf_counter(), received))
        elif message.get("text") and json.loads(message["text"][:1000]).get("op") == "upload_done":
            break
        if not ended and time.perf_counter() - start >= SECONDS:
            ended = True
            await websocket.send_text(json.dumps({"op": "upload_end"}))
    within = [(t, n) for t, n in samples if t - start <= SECONDS + 0.05]
    return _slope(within, start)


def _slope(samples: list[tuple[float, int]], start: float) -> dict[str, Any]:
    """Mbit/s as the least-squares slope of the bytes received over time after the warm-up:
    every arrival counts, so one read late (a busy server) barely moves the figure."""
    steady = [(t, n) for t, n in samples if t - start > WARMUP_S]
    if len(steady) < 3:
        return _rate(samples, start)
    mean_t = statistics.fmean(t for t, _ in steady)
    mean_n = statistics.fmean(n for _, n in steady)
    spread = sum((t - mean_t) ** 2 for t, _ in steady)
    slope = sum((t - mean_t) * (n - mean_n) for t, n in steady) / spread if spread else 0.0
    return {"mbit": round(slope * 8 / 1e6, 3), "bytes": steady[-1][1],
            "seconds": round(steady[-1][0] - steady[0][0], 2), "steady": True, "streams": 1}

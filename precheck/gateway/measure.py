"""The gateway's speed-test endpoints: the Speedtest Mini protocol, plus what the server saw.

A client measures the path to the office against these endpoints (DESIGN.md section 5). They
speak the protocol of Ookla's Speedtest Mini, so ``speedtest-cli`` (``set_mini_server``) and
precheck's own measurement both work against them:

==========================================  ====================================================
``GET  /measure``                           the index; names the upload extension the way Mini's
                                            ``index.html`` does (``upload_extension: "php"``)
``GET  /measure/speedtest/latency.txt``     ``test=test``
``GET  /measure/speedtest/randomNxN.jpg``   N = 350 ... 4000: incompressible bytes of the size of
                                            Mini's picture of that name (only bytes count)
``POST /measure/speedtest/upload.php``      reads the body, answers ``size=<bytes read>``
``GET  /measure/speedtest/upload.php``      ``size=0`` (how clients find the extension)
``GET  /measure/udp``                       ``{"port": P}`` of the UDP echo (404 without one)
``GET  /measure/observed/{id}``             what this server observed for measurement ``id``
==========================================  ====================================================

A client may add ``m=<id>`` (16 to 64 lower-case hex digits, chosen by the client) to the query
of download and upload requests. The server then records, per direction, the bytes it read
(upload) or handed to the network (download) in 50 ms buckets, and returns them from
``/measure/observed/{id}``: the upload figure is the server's own count of what arrived, which
the gateway can trust more than a client's claim. A bare app (this router alone) keeps them in
memory, at most :data:`MAX_OBSERVATIONS` measurements, each for :data:`OBSERVATION_TTL_S` seconds;
the booking gateway (``create_app``) installs its database store instead
(:class:`precheck.gateway.evidence.DatabaseObservations`), so every worker process sees every
measurement and the gate can hold a report to what this gateway saw. Each request's share is
handed to the store's :meth:`Observations.record` when the request ends.

The booking app includes :data:`router` and starts the UDP echo
(:func:`precheck.gateway.udp_echo.start_udp_echo`), storing its handle as
``app.state.udp_echo`` (:data:`UDP_ECHO_STATE`) so ``/measure/udp`` can name its port.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    Response,
    StreamingResponse,
)
from pydantic import BaseModel
from starlette.requests import ClientDisconnect

#: Where the Speedtest Mini base lives on the gateway: clients are given ``<gateway>/measure``.
MINI_BASE = "/measure"
#: Sizes in bytes of Speedtest Mini's ``random{N}x{N}.jpg`` files (the same sizes as Ookla's
#: legacy servers serve; speedtest-cli fetches N = 350 ... 4000).
MINI_SIZES = {
    350: 245388, 500: 505544, 750: 1118012, 1000: 1986284, 1500: 4468241, 2000: 7907740,
    2500: 12407926, 3000: 17816816, 3500: 24262167, 4000: 31625365,
}
#: The largest upload body accepted (speedtest-cli's largest is 7 MiB; precheck's 8 MiB).
MAX_UPLOAD_BYTES = 64 * 1024 * 1024
#: Name of the ``app.state`` attribute holding the running UDP echo (anything with ``.port``).
UDP_ECHO_STATE = "udp_echo"
#: What the server remembers about measurements: how many, for how long, at what resolution.
MAX_OBSERVATIONS = 1024
OBSERVATION_TTL_S = 600.0
BUCKET_S = 0.05
MAX_BUCKETS = 600  # 30 s of 50 ms buckets: far beyond a 10 s test

_CHUNK = 64 * 1024
_NO_CACHE = {"Cache-Control": "no-store, no-cache, must-revalidate, max-age=0",
             "Pragma": "no-cache"}
#: A measurement id: 16 to 64 lower-case hexadecimal digits, chosen by the client.
MEASUREMENT_PATTERN = r"^[0-9a-f]{16,64}$"
MEASUREMENT_ID = re.compile(MEASUREMENT_PATTERN)
_MEASUREMENT_ID = MEASUREMENT_ID
#: Name of the ``app.state`` attribute holding the measurement store (Observations or a
#: subclass; create_app installs the database's).
STORE_STATE = "measure_observations"
_STORE_STATE = STORE_STATE
_BLOCK_STATE = "measure_block"


@dataclass(slots=True)
class _Direction:
    """What the server saw in one direction of one measurement."""

    bytes: int = 0
    requests: int = 0
    first: float | None = None
    last: float | None = None
    buckets: list[int] = field(default_factory=list)

    def add(self, origin: float, now: float, count: int) -> None:
        self.bytes += count
        self.first = now if self.first is None else self.first
        self.last = now
        index = int((now - origin) / BUCKET_S)
        if index < MAX_BUCKETS:
            if len(self.buckets) <= index:
                self.buckets.extend([0] * (index + 1 - len(self.buckets)))
            self.buckets[index] += count

    def to_json(self, origin: float) -> dict[str, Any]:
        return {
            "bytes": self.bytes, "requests": self.requests,
            "first_s": None if self.first is None else round(self.first - origin, 4),
            "last_s": None if self.last is None else round(self.last - origin, 4),
            "bucket_s": BUCKET_S, "buckets": list(self.buckets),
        }


@dataclass(slots=True)
class _Observation:
    origin: float
    down: _Direction = field(default_factory=_Direction)
    up: _Direction = field(default_factory=_Direction)


class Observations:
    """What the server observed per measurement id: bounded in number and in time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: OrderedDict[str, _Observation] = OrderedDict()

    def _get(self, ident: str, now: float) -> _Observation:
        item = self._items.get(ident)
        if item is None:
            item = self._items[ident] = _Observation(now)
            while len(self._items) > MAX_OBSERVATIONS:
                self._items.popitem(last=False)
        return item

    def start(self, ident: str, direction: str) -> None:
        """A request of measurement ``ident`` began in ``direction`` ("down" or "up")."""
        with self._lock:
            getattr(self._get(ident, time.monotonic()), direction).requests += 1

    def add(self, ident: str, direction: str, count: int) -> None:
        """``count`` bytes went ``direction`` for measurement ``ident`` just now."""
        now = time.monotonic()
        with self._lock:
            item = self._get(ident, now)
            getattr(item, direction).add(item.origin, now, count)

    def get(self, ident: str) -> dict[str, Any] | None:
        """The observation as JSON (times relative to its first request), or None."""
        now = time.monotonic()
        with self._lock:
            for key in [k for k, v in self._items.items() if now - v.origin > OBSERVATION_TTL_S]:
                del self._items[key]
            item = self._items.get(ident)
            if item is None:
                return None
            return {"id": ident, "download": item.down.to_json(item.origin),
                    "upload": item.up.to_json(item.origin)}

    async def record(self, request: Request, ident: str, direction: str, part: Part) -> None:
        """One request of measurement ``ident`` ended, having moved ``part`` (kept by stores
        that outlive the process; the memory store already counted it live)."""

    async def find(self, request: Request, ident: str) -> dict[str, Any] | None:
        """What the server observed of ``ident`` (see :meth:`get`)."""
        return self.get(ident)


@dataclass(slots=True)
class Part:
    """What one request of a measurement moved: bytes per 50 ms from its own start."""

    origin: float = field(default_factory=time.monotonic)
    direction: _Direction = field(default_factory=_Direction)

    def add(self, count: int) -> None:
        self.direction.add(self.origin, time.monotonic(), count)


def observations(request: Request) -> Observations:
    """The app's observation store (made on first use; one per app, no module-level state)."""
    store = getattr(request.app.state, _STORE_STATE, None)
    if store is None:
        store = Observations()
        setattr(request.app.state, _STORE_STATE, store)
    return store


def _block(request: Request) -> bytes:
    """1 MiB of random bytes per app, repeated in downloads: incompressible, made once."""
    block = getattr(request.app.state, _BLOCK_STATE, None)
    if block is None:
        block = os.urandom(1024 * 1024)
        setattr(request.app.state, _BLOCK_STATE, block)
    assert isinstance(block, bytes)  # noqa: S101 - only this function sets it
    return block


def _measurement(m: str | None) -> str | None:
    return m or None


# The pattern is checked by FastAPI, so a bad id gets the validation answer the OpenAPI
# document describes (HTTPValidationError), like every other malformed parameter.
class Refused(BaseModel):
    """An error of the speed-test endpoints (FastAPI's plain shape)."""

    detail: str


_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": Refused,
                                                     "description": "no such file"}}
_UPLOAD: dict[int | str, dict[str, Any]] = {
    413: {"description": "body too large (text: size=0)", "content": {"text/plain": {}}},
    499: {"description": "the client stopped sending"}}

MeasurementId = Annotated[str | None, Query(description="measurement id chosen by the client",
                                            pattern=r"^([0-9a-f]{16,64})?$")]

router = APIRouter(tags=["measure"])


@router.get(MINI_BASE, response_class=HTMLResponse, include_in_schema=False)
@router.get(f"{MINI_BASE}/", response_class=HTMLResponse, include_in_schema=False)
async def index() -> HTMLResponse:
    """The base page; Speedtest Mini clients read the upload extension from it."""
    page = ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>precheck speed test'
            '</title></head><body><!-- Speedtest Mini compatible: upload_extension: "php" -->'
            '<p>precheck speed-test endpoints (Speedtest Mini protocol).</p></body></html>')
    return HTMLResponse(page, headers=_NO_CACHE)


@router.get(f"{MINI_BASE}/speedtest/latency.txt", response_class=PlainTextResponse)
async def latency() -> PlainTextResponse:
    """``test=test``: what speedtest-cli and Mini clients time as latency."""
    return PlainTextResponse("test=test\n", headers=_NO_CACHE)


@router.get(f"{MINI_BASE}/speedtest/random{{side:int}}x{{side2:int}}.jpg", responses=_NOT_FOUND)
async def download(request: Request, side: int, side2: int,
                   m: MeasurementId = None) -> StreamingResponse:
    """Incompressible bytes of Mini's size for ``random{side}x{side}.jpg``."""
    size = MINI_SIZES.get(side) if side == side2 else None
    if size is None:
        raise HTTPException(404, f"no such file; sizes: {sorted(MINI_SIZES)}")
    ident = _measurement(m)
    store = observations(request) if ident else None
    if store is not None and ident is not None:
        store.start(ident, "down")
    block = memoryview(_block(request))
    part = Part()

    async def body() -> AsyncIterator[bytes]:
        left, offset = size, 0
        try:
            while left > 0:
                count = min(_CHUNK, left, len(block) - offset)
                yield bytes(block[offset:offset + count])
                if store is not None and ident is not None:
                    store.add(ident, "down", count)
                    part.add(count)
                left -= count
                offset = (offset + count) % len(block)
        finally:
            if store is not None and ident is not None:
                with anyio.CancelScope(shield=True):  # the client hung up: still file it
                    await store.record(request, ident, "down", part)

    headers = {**_NO_CACHE, "Content-Length": str(size)}
    return StreamingResponse(body(), media_type="image/jpeg", headers=headers)


@router.post(f"{MINI_BASE}/speedtest/upload.php", response_class=PlainTextResponse,
             responses=_UPLOAD)
async def upload(request: Request, m: MeasurementId = None) -> Response:
    """Read the body (``content1=`` and filler) and answer ``size=<bytes read>``."""
    ident = _measurement(m)
    store = observations(request) if ident else None
    if store is not None and ident is not None:
        store.start(ident, "up")
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_UPLOAD_BYTES):
        return PlainTextResponse(f"size=0\nerror=body larger than {MAX_UPLOAD_BYTES} bytes\n",
                                 status_code=413, headers=_NO_CACHE)
    received = 0
    part = Part()
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if store is not None and ident is not None and chunk:
                store.add(ident, "up", len(chunk))
                part.add(len(chunk))
            if received > MAX_UPLOAD_BYTES:
                return PlainTextResponse("size=0\n", status_code=413, headers=_NO_CACHE)
    except ClientDisconnect:
        # The client stopped mid-body (its test ended): what arrived is recorded below.
        return Response(status_code=499)
    finally:
        if store is not None and ident is not None:
            with anyio.CancelScope(shield=True):
                await store.record(request, ident, "up", part)
    return PlainTextResponse(f"size={received}", headers=_NO_CACHE)


@router.get(f"{MINI_BASE}/speedtest/upload.php", response_class=PlainTextResponse)
async def upload_probe() -> PlainTextResponse:
    """``size=0``: speedtest-cli finds the upload extension by this answer."""
    return PlainTextResponse("size=0", headers=_NO_CACHE)


@router.get(f"{MINI_BASE}/udp", responses=_NOT_FOUND)
async def udp(request: Request) -> JSONResponse:
    """The UDP echo's port, for jitter and loss (404 when the gateway runs none)."""
    echo = getattr(request.app.state, UDP_ECHO_STATE, None)
    port = getattr(echo, "port", None)
    if not isinstance(port, int):
        raise HTTPException(404, "this gateway runs no UDP echo")
    return JSONResponse({"port": port, "protocol": "precheck-udp-echo/1"}, headers=_NO_CACHE)


@router.get(f"{MINI_BASE}/observed/{{ident}}", responses=_NOT_FOUND)
async def observed(request: Request, ident: Annotated[str, Path(pattern=MEASUREMENT_PATTERN)]
                   ) -> JSONResponse:
    """What this server observed for measurement ``ident`` (bytes per 50 ms, per direction)."""
    found = await observations(request).find(request, ident)
    if found is None:
        raise HTTPException(404, "no such measurement (none with this id seen lately)")
    return JSONResponse(found, headers=_NO_CACHE)

"""speedtest-cli's engine, for finding the server to measure against.

speedtest-cli (``speedtest.Speedtest``) knows the protocol's discovery: the speedtest.net
configuration and server list, the distance ordering, and how a Speedtest Mini server names its
upload script (``set_mini_server``). Its constructor always fetches ``speedtest-config.php``
from speedtest.net, even for a Mini server (sivel/speedtest-cli#261): for the booking gateway
precheck supplies the configuration itself (:class:`OfflineSpeedtest`), so measuring against the
gateway never contacts speedtest.net. Its requests go through urllib's proxy handling, so a
system proxy is used.

speedtest-cli's servers are blocking calls with 10 s time-outs each (and a server list tried
from four addresses), so each call here runs in a daemon thread and is given up at the deadline.
"""

from __future__ import annotations

import functools
import importlib
import io
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any, TypeVar

from precheck.probes.network.speed import MeasureError

#: The configuration speedtest.net hands out by default (research note "precall anchors" 3.1:
#: ``server-config threadcount=4``; ``download testlength=10 threadsperurl=4``; ``upload
#: testlength=10 ratio=5 maxchunkcount=50 threads=2``), as speedtest-cli's get_config() turns
#: it into ``Speedtest.config``.
UPLOAD_SIZES = [32768, 65536, 131072, 262144, 524288, 1048576, 7340032]
OFFLINE_CONFIG: dict[str, Any] = {
    "client": {"ip": "", "lat": "0", "lon": "0", "isp": "", "country": ""},
    "ignore_servers": [],
    "sizes": {"upload": UPLOAD_SIZES[4:],
              "download": [350, 500, 750, 1000, 1500, 2000, 2500, 3000, 3500, 4000]},
    "counts": {"upload": 17, "download": 4},
    "threads": {"upload": 2, "download": 8},
    "length": {"upload": 10, "download": 10},
    "upload_max": 51,
}
#: How many of the nearest public servers are timed before one is chosen.
CANDIDATES = 5

T = TypeVar("T")
_IMPORT_LOCK = threading.Lock()


def speedtest_module() -> ModuleType:
    """speedtest-cli's module, imported so that it leaves the process's own output alone.

    On import it wraps the file descriptors of ``sys.stdout`` and ``sys.stderr`` in new file
    objects of its own (a UTF-8 printer from its Python 2 days) that close those descriptors
    when they are collected at exit. Given streams without a descriptor it uses them as they are
    instead; it prints nothing unless asked to debug.
    """
    with _IMPORT_LOCK:
        if "speedtest" not in sys.modules:
            saved = sys.stdout, sys.stderr
            sys.stdout = sys.stderr = io.StringIO()
            try:
                importlib.import_module("speedtest")
            finally:
                sys.stdout, sys.stderr = saved
        return sys.modules["speedtest"]


def offline_speedtest_class() -> type[Any]:
    """``speedtest.Speedtest`` with the configuration supplied instead of fetched."""
    speedtest = speedtest_module()

    class OfflineSpeedtest(speedtest.Speedtest):  # type: ignore[name-defined,misc] # untyped
        """speedtest-cli's engine that never asks speedtest.net for its configuration."""

        def get_config(self) -> dict[str, Any]:
            self.config.update({k: _copy(v) for k, v in OFFLINE_CONFIG.items()})
            self.lat_lon = (0.0, 0.0)
            return self.config  # type: ignore[no-any-return] # speedtest has no types

    return OfflineSpeedtest


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return list(value)
    return value


def bounded(step: str, seconds: float, work: Callable[[], T]) -> T:
    """``work()`` in a daemon thread, given up after ``seconds`` (a ``budget`` error)."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = work()
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread below
            box["error"] = exc

    thread = threading.Thread(target=run, name=f"speedtest-{step}", daemon=True)
    thread.start()
    thread.join(max(0.0, seconds))
    if thread.is_alive():
        raise MeasureError("discover", "budget", f"{step} did not answer within {seconds:.1f} s")
    if "error" in box:
        raise box["error"]
    value: T = box["value"]
    return value


def gateway_upload_url(base: str, timeout: float) -> str:
    """The upload URL speedtest-cli's ``set_mini_server`` finds at the gateway's Mini base."""
    speedtest = speedtest_module()

    def find() -> str:
        engine = offline_speedtest_class()(timeout=max(1, round(timeout)),
                                           secure=base.startswith("https:"))
        try:
            servers = engine.set_mini_server(base)
        except speedtest.SpeedtestMiniConnectFailure as exc:
            raise MeasureError("discover", "unreachable", str(exc)) from exc
        except speedtest.InvalidSpeedtestMiniServer as exc:
            raise MeasureError("discover", "garbage",
                               "the gateway does not serve the speed-test protocol") from exc
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            raise MeasureError("discover", "garbage", f"{type(exc).__name__}: {exc}") from exc
        return str(servers[0]["url"])

    return bounded("the gateway's speed-test discovery", timeout, find)


@dataclass(frozen=True, slots=True)
class PublicServer:
    """A speedtest.net server near the client (no client detail: the client's IP stays out)."""

    url: str  # its upload URL; the protocol's files sit beside it
    sponsor: str
    name: str
    country: str
    distance_km: float

    def to_json(self) -> dict[str, Any]:
        return {"sponsor": self.sponsor, "name": self.name, "country": self.country,
                "distance_km": round(self.distance_km, 1)}


def public_candidates(timeout: float) -> list[PublicServer]:
    """The nearest speedtest.net servers, by speedtest-cli's configuration and server list.

    HTTPS first (plain-HTTP configuration requests are refused since 2022), then plain HTTP.
    """
    speedtest = speedtest_module()

    def find(secure: bool) -> list[PublicServer]:
        engine = speedtest.Speedtest(timeout=max(1, round(timeout)), secure=secure)
        engine.get_servers()
        return [PublicServer(str(s["url"]), str(s.get("sponsor", "")), str(s.get("name", "")),
                             str(s.get("country", "")), float(s.get("d", 0.0)))
                for s in engine.get_closest_servers(CANDIDATES)]

    reasons: list[str] = []
    for secure in (True, False):
        try:
            found = bounded("speedtest.net", timeout, functools.partial(find, secure))
        except MeasureError:
            raise
        except speedtest.ConfigRetrievalError as exc:
            reasons.append(f"configuration: {exc}")
            continue
        except speedtest.SpeedtestException as exc:
            reasons.append(f"{type(exc).__name__}: {exc}")
            continue
        except (OSError, ValueError) as exc:
            reasons.append(f"{type(exc).__name__}: {exc}")
            continue
        if found:
            return found
        reasons.append("the server list is empty")
    raise MeasureError("discover", "no_internet", "; ".join(dict.fromkeys(reasons)))

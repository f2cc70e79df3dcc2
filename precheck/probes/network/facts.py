"""The typed network facts: the connectivity and quality answers as frozen dataclasses.

The probes record plain JSON (``net:connectivity``, ``network:quality``; docs/bundle-format.md),
and bundles keep that JSON unchanged. These types are what the checks read: each ``parse_*``
takes a recorded answer as it stands, old bundles included, and keeps every figure as it was
recorded (no rounding, no conversion), so the evidence a check derives stays the same.
"""

from __future__ import annotations

import email.utils
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from precheck.errors import ProbeError
from precheck.system import JSON

CONNECTIVITY_PROBE = "net:connectivity"
QUALITY_PROBE = "network:quality"

ProxyKind = Literal["unreadable", "pac", "manual", "none"]


@dataclass(frozen=True, slots=True)
class Proxy:
    """The system's proxy settings (never their credentials)."""

    manual: bool
    pac_url: str | None = None
    source: str = ""  # "windows", "macos", "linux"
    unreadable: bool = False  # the OS would not say

    @property
    def kind(self) -> ProxyKind:
        if self.unreadable:
            return "unreadable"
        if self.pac_url:
            return "pac"
        return "manual" if self.manual else "none"


@dataclass(frozen=True, slots=True)
class Https:
    """One HTTPS request to a target: its answer, or the step and kind of its failure."""

    ok: bool
    step: str | None = None  # "dns", "connect", "tls", "http" (None when it answered)
    kind: str | None = None  # "dns", "timeout", "refused", "proxy", "untrusted" ...
    date: str | None = None  # the server's Date header
    local_time: str | None = None  # this machine's clock at the answer (ISO 8601)

    def clock_skew_s(self) -> float | None:
        """Local clock minus the server's ``Date`` (seconds; positive: this clock is ahead)."""
        if self.date is None or self.local_time is None:
            return None
        try:
            server = email.utils.parsedate_to_datetime(self.date)
            mine = datetime.fromisoformat(self.local_time)
        except (TypeError, ValueError):
            return None
        if server.tzinfo is None:
            return None
        return (mine - server).total_seconds()


@dataclass(frozen=True, slots=True)
class Target:
    """A service asked for connectivity: the gateway or a video app's."""

    name: str
    role: str  # "gateway" or "video_app"
    via: str  # "direct", "proxy" or "pac"
    https: Https


@dataclass(frozen=True, slots=True)
class Connectivity:
    """DNS, HTTPS and the clock of every target, and the proxy they went through."""

    targets: tuple[Target, ...]
    proxy: Proxy


def parse_connectivity(raw: JSON, proxy: Proxy) -> Connectivity:
    """The ``net:connectivity`` answer as typed facts."""
    if not isinstance(raw, dict) or not isinstance(raw.get("targets"), list):
        raise ProbeError(CONNECTIVITY_PROBE, "malformed", "not a connectivity answer")
    return Connectivity(tuple(_target(item) for item in raw["targets"]), proxy)


def _target(item: JSON) -> Target:
    if not isinstance(item, dict) or not isinstance(item.get("https"), dict):
        raise ProbeError(CONNECTIVITY_PROBE, "malformed", "not a target's answer")
    https = item["https"]
    return Target(str(item.get("name", "")), str(item.get("role", "")),
                  str(item.get("via", "direct")),
                  Https(bool(https.get("ok")), _text(https.get("step")), _text(https.get("kind")),
                        _string(https.get("date")), _string(https.get("local_time"))))


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _string(value: object) -> str | None:
    return value if isinstance(value, str) else None


# -- quality ------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class QualityError:
    """Why the quality test stopped: the step it was in, the kind of failure, a detail."""

    step: str | None
    kind: str
    detail: str


@dataclass(frozen=True, slots=True)
class Throughput:
    """One direction's measured rate."""

    mbit: float
    steady: bool
    streams: JSON


@dataclass(frozen=True, slots=True)
class Latency:
    """The round trips timed over HTTP (the fastest one)."""

    min_ms: JSON


@dataclass(frozen=True, slots=True)
class Observed:
    """What the gateway itself observed of the upload."""

    upload_mbit: JSON


@dataclass(frozen=True, slots=True)
class UdpFigures:
    """The UDP stream against the gateway's echo, or why it was not measured."""

    measured: bool
    reason: JSON  # "no_echo", "blocked" ... (None when measured)
    rtt_ms_median: JSON = None
    jitter_ms: float | None = None  # the worse direction
    loss: float | None = None  # 0..1


@dataclass(frozen=True, slots=True)
class Quality:
    """What the connection-quality test measured (figures as recorded)."""

    target: str  # "gateway" or "public"
    duration_s: JSON = None
    server: str | None = None  # a public server's "sponsor (name)"; None for the gateway
    download: Throughput | None = None
    upload: Throughput | None = None
    latency: Latency | None = None
    udp: UdpFigures | None = None  # None: the test stopped before the UDP stream
    observed: Observed | None = None
    measurement_id: JSON = None
    error: QualityError | None = None


def parse_quality(raw: JSON) -> Quality:
    """The ``network:quality`` answer as typed facts."""
    if not isinstance(raw, dict) or raw.get("target") not in ("gateway", "public"):
        raise ProbeError(QUALITY_PROBE, "malformed", "not a quality-test answer")
    latency = raw.get("latency")
    return Quality(
        target=str(raw["target"]), duration_s=raw.get("duration_s"), server=_server(raw),
        download=_throughput(raw.get("download")), upload=_throughput(raw.get("upload")),
        latency=Latency(latency.get("min_ms")) if isinstance(latency, dict) else None,
        udp=_udp(raw.get("udp")), observed=_observed(raw.get("observed")),
        measurement_id=raw.get("measurement_id"), error=_error(raw.get("error")))


def _observed(observed: JSON) -> Observed | None:
    if isinstance(observed, dict) and isinstance(observed.get("upload"), dict):
        return Observed(observed["upload"].get("mbit"))
    return None


def _server(raw: dict[str, Any]) -> str | None:
    server = raw.get("server")
    if isinstance(server, dict) and server.get("kind") == "public":
        return f"{server.get('sponsor', '')} ({server.get('name', '')})"
    return None


def _throughput(side: JSON) -> Throughput | None:
    if not isinstance(side, dict):
        return None
    try:
        return Throughput(float(side["mbit"]), bool(side.get("steady")), side.get("streams"))
    except (KeyError, TypeError, ValueError) as exc:
        raise ProbeError(QUALITY_PROBE, "malformed", "a throughput without its rate") from exc


def _udp(udp: JSON) -> UdpFigures | None:
    if not isinstance(udp, dict):
        return None
    if not udp.get("measured"):
        return UdpFigures(False, udp.get("reason", "no_echo"))
    try:
        jitter = max(float(udp["jitter_up_ms"]), float(udp["jitter_down_ms"]))
        return UdpFigures(True, None, udp.get("rtt_ms_median"), jitter, float(udp["loss"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise ProbeError(QUALITY_PROBE, "malformed", "a UDP measurement without figures") from exc


def _error(error: JSON) -> QualityError | None:
    if not isinstance(error, dict):
        return None
    step = error.get("step")
    return QualityError(None if step is None else str(step), str(error.get("kind", "")),
                        str(error.get("detail", "")))

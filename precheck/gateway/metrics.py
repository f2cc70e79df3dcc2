"""Prometheus metrics of the gateway (``GET /metrics``), with ``prometheus-client``.

What is counted, in each process:

=========================================  =====================================================
``precheck_gateway_bookings_total``        booking attempts by ``outcome`` (booked, taken,
                                           rule_broken, gate_rejected, error) and ``rule`` (the
                                           office rule or gate rule that refused; one count per
                                           rule a refusal names; empty for the others)
``precheck_gateway_staff_bookings_total``  bookings staff made for a caller
``precheck_gateway_gate_seconds``          time the gate takes to inspect one report
``precheck_gateway_rate_limited_total``    requests refused by a rate limit, by ``scope``
=========================================  =====================================================

and, read from the database when scraped (the same for every process):
``precheck_gateway_outbox_waiting`` (mails not yet sent), ``precheck_gateway_outbox_oldest_seconds``
(how long the oldest of them has waited) and ``precheck_gateway_outbox_failed`` (set aside).

**Several processes** (``serve --workers N``): ``PROMETHEUS_MULTIPROC_DIR`` names a folder where
each process writes its counters (prometheus-client's multiprocess mode); ``serve`` makes an empty
one when it is not set. A scrape that reaches any process then sums every process's counts.
The metrics are created on first use, not at import.
"""

from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry, Counter, Histogram
    from sqlalchemy.orm import Session, sessionmaker

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
PREFIX = "precheck_gateway_"
#: Gate times: from 0.1 ms to 1 s.
_GATE_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                 0.5, 1.0)

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class _Metrics:
    bookings: Counter
    staff_bookings: Counter
    gate_seconds: Histogram
    rate_limited: Counter


_made: list[_Metrics] = []
_making = threading.Lock()


def _metrics() -> _Metrics:
    """The process's metrics, made once (under a lock: the first requests come in together, and
    a metric registered twice is an error)."""
    if _made:
        return _made[0]
    with _making:
        if not _made:
            _made.append(_new_metrics())
    return _made[0]


def _new_metrics() -> _Metrics:
    from prometheus_client import Counter, Histogram

    return _Metrics(
        bookings=Counter(PREFIX + "bookings", "Booking attempts by outcome and refusing rule",
                         ["outcome", "rule"]),
        staff_bookings=Counter(PREFIX + "staff_bookings", "Bookings staff made for a caller"),
        gate_seconds=Histogram(PREFIX + "gate_seconds", "Time to inspect one report",
                               buckets=_GATE_BUCKETS),
        rate_limited=Counter(PREFIX + "rate_limited", "Requests refused by a rate limit",
                             ["scope"]))


def booking_outcome(outcome: str, rules: tuple[str, ...] = ()) -> None:
    """Count one booking attempt (once per refusing rule, or once with no rule)."""
    counter = _metrics().bookings
    for rule in rules or ("",):
        counter.labels(outcome=outcome, rule=rule).inc()


def staff_booking() -> None:
    _metrics().staff_bookings.inc()


def rate_limited(scope: str) -> None:
    _metrics().rate_limited.labels(scope=scope).inc()


def observe_booking(method: Callable[P, R]) -> Callable[P, R]:
    """Count a booking operation's outcome (service.Gateway.create_booking)."""
    from precheck.gateway.gate import GateRejected

    @functools.wraps(method)
    def counted(*args: P.args, **kwargs: P.kwargs) -> R:
        from precheck.gateway.service import GatewayError, RuleBroken

        try:
            result = method(*args, **kwargs)
        except GateRejected as exc:
            booking_outcome("gate_rejected", tuple(r.rule for r in exc.reasons))
            raise
        except RuleBroken as exc:
            booking_outcome("rule_broken", tuple(v.code for v in exc.violations))
            raise
        except GatewayError as exc:
            booking_outcome(exc.code)
            raise
        except Exception:
            booking_outcome("error")
            raise
        booking_outcome("booked")
        return result

    return counted


def timed_gate(function: Callable[P, R]) -> Callable[P, R]:
    """Record how long the gate's inspection of a report takes (gate.inspect)."""

    @functools.wraps(function)
    def timed(*args: P.args, **kwargs: P.kwargs) -> R:
        began = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            _metrics().gate_seconds.observe(time.perf_counter() - began)

    return timed


# -- the scrape -----------------------------------------------------------------------------------

class _OutboxCollector:
    """The outbox's depth and age, read from the database at each scrape."""

    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], datetime]) -> None:
        self.sessions = sessions
        self.clock = clock

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        waiting, oldest, failed = outbox_state(self.sessions, self.clock())
        yield GaugeMetricFamily(PREFIX + "outbox_waiting", "Mails not yet sent", value=waiting)
        yield GaugeMetricFamily(PREFIX + "outbox_oldest_seconds",
                                "How long the oldest unsent mail has waited", value=oldest)
        yield GaugeMetricFamily(PREFIX + "outbox_failed", "Mails set aside as failed",
                                value=failed)


def outbox_state(sessions: sessionmaker[Session], now: datetime) -> tuple[int, float, int]:
    """(mails waiting, seconds the oldest has waited, mails set aside as failed)."""
    from sqlalchemy import func, select

    from precheck.gateway.models import OutboxMail

    with sessions() as db:
        waiting, first = db.execute(
            select(func.count(), func.min(OutboxMail.created_at)).where(
                OutboxMail.sent_at.is_(None), OutboxMail.failed_at.is_(None))).one()
        failed = db.execute(select(func.count()).select_from(OutboxMail).where(
            OutboxMail.failed_at.is_not(None))).scalar_one()
    if first is not None and first.tzinfo is None:  # SQLite's MIN() skips the type's decoding
        first = datetime.fromisoformat(str(first)).replace(tzinfo=UTC)
    age = max(0.0, (now - first).total_seconds()) if first is not None else 0.0
    return int(waiting), age, int(failed)


def exposition(sessions: sessionmaker[Session], clock: Callable[[], datetime]
               ) -> tuple[bytes, str]:
    """The text a scrape gets, and its content type."""
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

    _metrics()  # so a process that has booked nothing yet still lists its metrics
    registry: CollectorRegistry
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        # prometheus-client leaves this constructor unannotated
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        from prometheus_client import REGISTRY

        registry = CollectorRegistry()
        for collector in _own_collectors(REGISTRY):
            registry.register(collector)
    registry.register(_OutboxCollector(sessions, clock))
    return generate_latest(registry), CONTENT_TYPE_LATEST


def _own_collectors(registry: CollectorRegistry) -> list[Any]:
    m = _metrics()
    return [m.bookings, m.staff_bookings, m.gate_seconds, m.rate_limited]

"""Evidence the gateway saw: its own speed-test observations, and the gate rule that uses them.

A signed report proves only which key signed it (docs/report.md, "Threat model"): anyone can
write a report in which every check passes. What a forger cannot write is what **this gateway**
saw. The speed test of ``network.quality`` runs against the gateway's ``/measure`` endpoints
(measure.py) under a measurement id the client chooses; :class:`DatabaseObservations` files each
request's bytes per 50 ms in the database with the keyed hash of the client's address and the
time, so every worker process knows every measurement.

:func:`measurement_reasons` is the gate's rule for the checks named in
``GatePolicy.observed_checks`` (``network.quality`` by default, when it is required): the
report's ``measurement_id`` must name a measurement

* this gateway observed (``measurement_unknown``),
* from the address the booking's challenge was issued to (``measurement_client``),
* within the report's window, ``report_max_age`` before its ``created`` up to the clock skew
  after (``measurement_window``),
* not already used by another booking or check-in (``measurement_used``),
* whose reported download and upload do not exceed what the gateway saw by more than the stated
  tolerance (``measurement_mismatch``): ``reported <= seen * (1 + measure_tolerance) +
  measure_slack_mbit``. A report may claim less than the gateway saw (that harms only its
  maker). The upload must have been seen (the gateway counts the bytes that arrive); the
  download is compared when the gateway has a figure for it (it counts bytes handed to the
  network, which runs ahead of what the client received, never behind).

A report without a measurement id against this gateway gets ``measurement_missing``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import anyio
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from precheck.gateway import measure
from precheck.gateway.gate import Reason
from precheck.gateway.models import Measurement, MeasurementUse
from precheck.result import N_, Message

if TYPE_CHECKING:
    from fastapi import Request
    from sqlalchemy.orm import Session, sessionmaker

    from precheck.gateway.gate import AcceptedReport, GatePolicy

log = logging.getLogger(__name__)

#: Rule codes, stable (gate.py holds the others).
MEASUREMENT_MISSING = "measurement_missing"
MEASUREMENT_UNKNOWN = "measurement_unknown"
MEASUREMENT_CLIENT = "measurement_client"
MEASUREMENT_WINDOW = "measurement_window"
MEASUREMENT_USED = "measurement_used"
MEASUREMENT_MISMATCH = "measurement_mismatch"

#: The most request rows one measurement may have (precheck uses 4 streams a direction, a
#: few requests each); more rows are not read.
MAX_PARTS = 400
#: Observations are kept this long (the sweeper deletes older ones).
RETENTION = timedelta(days=1)

_AGAIN = N_("Run precheck again on this computer, with this gateway as the network target "
            "(it is when you book from the app or with precheck run --gateway), then book "
            "with the new report.")


# -- the store ------------------------------------------------------------------------------------

class DatabaseObservations(measure.Observations):
    """The measurement store of the booking gateway: each request's share in the database.

    The memory store underneath still counts live (for ``/measure/observed`` during a run in
    this process); what the gate and ``/measure/observed`` read is the database.
    """

    def __init__(self, sessions: sessionmaker[Session], keyed: Callable[[str], str],
                 clock: Callable[[], datetime]) -> None:
        super().__init__()
        self._sessions = sessions
        self._keyed = keyed
        self._clock = clock

    async def record(self, request: Request, ident: str, direction: str,
                     part: measure.Part) -> None:
        import time

        seen = part.direction
        if seen.bytes == 0 and seen.first is None:
            return
        elapsed = timedelta(seconds=max(0.0, time.monotonic() - part.origin))
        address = request.client.host if request.client else None
        row = Measurement(ident=ident, direction=direction,
                          client=self._keyed("client:" + address) if address else None,
                          started_at=self._clock() - elapsed, bytes=seen.bytes,
                          buckets=list(seen.buckets))
        try:
            await anyio.to_thread.run_sync(self._save, row)
        except SQLAlchemyError as exc:  # the speed test goes on; the gate then finds nothing
            log.warning("measurement not filed: %s", type(exc).__name__)

    def _save(self, row: Measurement) -> None:
        with self._sessions() as session, session.begin():
            session.add(row)

    async def find(self, request: Request, ident: str) -> dict[str, Any] | None:
        return await anyio.to_thread.run_sync(self._find, ident)

    def _find(self, ident: str) -> dict[str, Any] | None:
        with self._sessions() as session:
            parts = load_parts(session, ident)
            found = observed_json(ident, parts) if parts else None
            session.rollback()
        return found


def load_parts(session: Session, ident: str) -> list[Measurement]:
    """The request rows of measurement ``ident``, oldest first."""
    return list(session.execute(
        select(Measurement).where(Measurement.ident == ident)
        .order_by(Measurement.started_at, Measurement.id).limit(MAX_PARTS)).scalars())


def merged(parts: Sequence[Measurement], direction: str) -> tuple[list[int], int, int]:
    """One direction's buckets summed over its requests, aligned on the measurement's first
    request; with the bytes and the number of requests."""
    if not parts:
        return [], 0, 0
    origin = min(p.started_at for p in parts)
    buckets: list[int] = []
    total = count = 0
    for part in parts:
        if part.direction != direction:
            continue
        count += 1
        total += part.bytes
        offset = int((part.started_at - origin).total_seconds() / measure.BUCKET_S)
        for index, value in enumerate(part.buckets or []):
            at = offset + index
            if at >= measure.MAX_BUCKETS * 4:
                break
            if len(buckets) <= at:
                buckets.extend([0] * (at + 1 - len(buckets)))
            buckets[at] += int(value)
    return buckets, total, count


def observed_json(ident: str, parts: Sequence[Measurement]) -> dict[str, Any]:
    """``/measure/observed/{id}``'s answer from the database rows (the memory store's shape)."""
    answer: dict[str, Any] = {"id": ident}
    for direction, name in (("down", "download"), ("up", "upload")):
        buckets, total, count = merged(parts, direction)
        used = [i for i, value in enumerate(buckets) if value]
        answer[name] = {
            "bytes": total, "requests": count,
            "first_s": round(used[0] * measure.BUCKET_S, 4) if used else None,
            "last_s": round((used[-1] + 1) * measure.BUCKET_S, 4) if used else None,
            "bucket_s": measure.BUCKET_S, "buckets": buckets}
    return answer


def mbit(buckets: Sequence[int]) -> float | None:
    """The rate the gateway saw, by the client's own estimator (precheck.probes.network.speed),
    or the mean rate over the busy buckets when the transfer was too short to estimate."""
    from precheck.probes.network import speed

    total, samples = 0, [(0.0, 0)]
    for index, count in enumerate(buckets):
        total += int(count)
        samples.append(((index + 1) * measure.BUCKET_S, total))
    rate = speed.estimate(samples)
    if rate is not None:
        return float(rate.mbit)
    used = [i for i, value in enumerate(buckets) if value]
    if not used:
        return None
    seconds = (used[-1] + 1 - used[0]) * measure.BUCKET_S
    return total * 8 / 1e6 / seconds


def sweep(session: Session, now: datetime) -> int:
    """Delete observations older than :data:`RETENTION` (and their uses); how many rows."""
    gone = session.execute(delete(Measurement).where(Measurement.started_at < now - RETENTION))
    used = session.execute(delete(MeasurementUse).where(MeasurementUse.used_at
                                                        < now - RETENTION))
    return int(gone.rowcount) + int(used.rowcount)  # type: ignore[attr-defined]


# -- the gate's rule ------------------------------------------------------------------------------

def _reason(rule: str, problem: str, **args: object) -> Reason:
    return Reason(rule, Message.of(N_("{problem} {again}"),
                                   problem=Message.of(problem, **args),
                                   again=Message.of(_AGAIN)))


def measurement_reasons(session: Session, policy: GatePolicy, accepted: AcceptedReport, *,
                        challenge_client: str | None, challenge_id: int, now: datetime
                        ) -> list[Reason]:
    """Why the report's measurements do not hold up against what this gateway saw (empty: they
    do; the measurement is then marked used, in the caller's transaction)."""
    reasons: list[Reason] = []
    for check_id in sorted(policy.observed_checks):
        found = accepted.observed.get(check_id)
        if found is None:
            continue  # not in the report: CHECK_MISSING said so already
        reason = _one(session, policy, check_id, found, created=accepted.created,
                      challenge_client=challenge_client, challenge_id=challenge_id, now=now)
        if reason is not None:
            reasons.append(reason)
    return reasons


def _one(session: Session, policy: GatePolicy, check_id: str, evidence: Mapping[str, Any], *,
         created: datetime, challenge_client: str | None, challenge_id: int, now: datetime
         ) -> Reason | None:
    ident = evidence.get("measurement_id")
    if (evidence.get("target") != "gateway" or not isinstance(ident, str)
            or not measure.MEASUREMENT_ID.fullmatch(ident)):
        return _reason(MEASUREMENT_MISSING, N_(
            "The report's network check ({check}) was not measured against this gateway, so "
            "the gateway cannot confirm its figures."), check=check_id)
    parts = load_parts(session, ident)
    if not parts:
        return _reason(MEASUREMENT_UNKNOWN, N_(
            "This gateway has no record of the network measurement the report names."))
    if challenge_client is None or any(p.client != challenge_client for p in parts):
        return _reason(MEASUREMENT_CLIENT, N_(
            "The network measurement came from another connection than the booking. Measure "
            "and book from the same computer and network."))
    low = created - policy.max_age - policy.clock_skew
    high = created + policy.clock_skew
    if any(not low <= p.started_at.astimezone(UTC) <= high for p in parts):
        return _reason(MEASUREMENT_WINDOW, N_(
            "The network measurement was not made when the report was."))
    problems = _mismatches(policy, evidence, parts)
    if problems:
        return _reason(MEASUREMENT_MISMATCH, N_(
            "The report's network figures differ from what this gateway measured: {problems}."),
            problems=", ".join(problems))
    # Spend it: INSERT ... ON CONFLICT DO NOTHING, so a use by another booking (or a race with
    # one) leaves no row of ours and the transaction intact.
    insert = (postgresql_insert if session.get_bind().dialect.name == "postgresql"
              else sqlite_insert)
    spent = session.execute(
        insert(MeasurementUse).values(ident=ident, challenge_id=challenge_id, used_at=now)
        .on_conflict_do_nothing(index_elements=[MeasurementUse.ident])
        .returning(MeasurementUse.ident)).first()
    if spent is None:
        return _reason(MEASUREMENT_USED, N_(
            "The network measurement was already used for another booking or check-in."))
    return None


def _mismatches(policy: GatePolicy, evidence: Mapping[str, Any],
                parts: Sequence[Measurement]) -> list[str]:
    problems: list[str] = []
    for direction, keys in (("up", ("upload_mbit", "gateway_upload_mbit")),
                            ("down", ("download_mbit",))):
        buckets, total, _ = merged(parts, direction)
        seen = mbit(buckets) if total else None
        if seen is None:
            if direction == "up":
                problems.append("upload: none seen")
            continue
        allowed = seen * (1 + policy.measure_tolerance) + policy.measure_slack_mbit
        for key in keys:
            value = evidence.get(key)
            if value is None and key == "gateway_upload_mbit":
                continue
            if not isinstance(value, int | float) or isinstance(value, bool) \
                    or not value <= allowed:
                shown = value if isinstance(value, int | float) else "?"
                problems.append(f"{key} {shown} > {allowed:.1f} ({seen:.1f} seen)")
    return problems

"""Fifty job seekers book the same slot at the same moment through two gateway processes.

Two real ``precheck gateway serve`` processes (uvicorn) share one database, as behind a load
balancer. Each of 50 clients has its own challenge and signed report and posts its booking at
once (25 to each process). The database must let exactly one win; the 49 others get a clear
"taken" (409, in Japanese and English). Run on PostgreSQL (the scale path) and on SQLite (the
default, one file shared by both processes). The clock is the real one: the slot is the first
free one the gateway offers.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from precheck.gateway.db import make_engine, migrate, session_factory
from precheck.gateway.models import LIVE, Booking
from tests.gateway.conftest import FORM, GatewayProcess, make_report, memory_identity

CLIENTS = 50
OFFICE = "kagoshima"


@pytest.fixture
def two_gateways(database_url: str, tmp_path: Path) -> Iterator[list[GatewayProcess]]:
    engine = make_engine(database_url)
    migrate(engine)  # as an operator's first start would; the processes find it done
    engine.dispose()
    limits = {"challenge_limit": "1000/60", "booking_limit": "1000/60"}
    processes = [GatewayProcess(database_url, tmp_path, **limits).start() for _ in range(2)]
    try:
        for process in processes:
            process.wait_ready()
        yield processes
    finally:
        for process in processes:
            process.stop()


@pytest.mark.slow
def test_fifty_concurrent_bookings_of_one_slot_on_two_processes_leave_exactly_one(
        two_gateways: list[GatewayProcess], database_url: str) -> None:
    urls = [process.url for process in two_gateways]
    slots = httpx.get(f"{urls[0]}/api/v1/offices/{OFFICE}/slots", timeout=10).json()
    start = next(slot["start"] for slot in slots if slot["free"])
    identity = memory_identity()
    bodies = []
    for index in range(CLIENTS):
        issued = httpx.post(f"{urls[index % 2]}/api/v1/challenges", json={"office_id": OFFICE},
                            timeout=10)
        assert issued.status_code == 201, issued.text
        report = make_report(identity, issued.json()["nonce"], created=datetime.now(UTC))
        bodies.append({"office_id": OFFICE, "start": start, **FORM,
                       "email": f"seeker{index}@example.jp", "report": report})
    barrier = threading.Barrier(CLIENTS)
    answers: list[httpx.Response] = []
    lock = threading.Lock()

    def post(index: int) -> None:
        with httpx.Client(timeout=120) as client:
            barrier.wait()
            answer = client.post(f"{urls[index % 2]}/api/v1/bookings", json=bodies[index])
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201] + [409] * (CLIENTS - 1), [
        (a.status_code, a.text[:200]) for a in answers if a.status_code not in (201, 409)]
    taken = [answer.json() for answer in answers if answer.status_code == 409]
    assert {body["error"] for body in taken} == {"taken"}
    assert all("別の時間" in body["message"]["ja"] and "another time" in body["message"]["en"]
               for body in taken)
    winner = next(answer.json() for answer in answers if answer.status_code == 201)
    assert winner["status"] == "confirmed"
    _assert_one_live_booking(database_url, start)
    for process in two_gateways:  # no server error in either process's log
        assert "Traceback" not in process.output()


def _assert_one_live_booking(database_url: str, start: str) -> None:
    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as session:
            live: Any = session.execute(select(func.count()).select_from(Booking).where(
                Booking.office_id == OFFICE, Booking.status.in_(LIVE),
                Booking.slot_start == datetime.fromisoformat(start))).scalar_one()
    finally:
        engine.dispose()
    assert live == 1

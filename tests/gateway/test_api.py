"""The JSON API through the real app (create_app on real SQLite and PostgreSQL): its documents and
errors, rate limits, request size, the access history without identifiers in the clear, logs
without personal data, and a schemathesis run against the served OpenAPI that finds no server
error."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from sqlalchemy import select

from precheck.gateway import api
from precheck.gateway.app import create_app
from precheck.gateway.db import session_factory
from precheck.gateway.models import AccessLog, Booking
from precheck.gateway.settings import GatewaySettings, RateLimit
from tests.gateway.conftest import FORM, MONDAY, gateway_settings

Factory = Callable[..., dict[str, Any]]


class Clock:
    """The app's clock in tests: set it, and every request sees that time."""

    def __init__(self) -> None:
        self.now = MONDAY

    def __call__(self) -> Any:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make_client(settings: GatewaySettings, clock: Clock) -> TestClient:
    return TestClient(create_app(settings.replace(udp_echo=False), clock=clock))


@pytest.fixture
def client(settings: GatewaySettings, clock: Clock) -> Iterator[TestClient]:
    with make_client(settings, clock) as client:
        yield client


def book_body(client: TestClient, report_factory: Factory, office: str = "namerikawa",
              start: str = "2026-12-03T10:00:00+09:00", **fields: Any) -> dict[str, Any]:
    nonce = client.post("/api/v1/challenges", json={"office_id": office}).json()["nonce"]
    return {"office_id": office, "start": start, "name": FORM["name"], "email": FORM["email"],
            "phone": FORM["phone"], "jobseeker_number": FORM["jobseeker_number"],
            "report": report_factory(nonce), **fields}


def test_offices_and_their_fields_are_listed(client: TestClient) -> None:
    offices = {o["id"]: o for o in client.get("/api/v1/offices").json()}
    assert set(offices) >= {"kagoshima", "tenmonkan", "namerikawa"}
    assert offices["namerikawa"]["phone"] == "076-475-0324"
    assert offices["tenmonkan"]["confirmation_minutes"] == 60
    assert "jobseeker_number" in offices["tenmonkan"]["optional_fields"]
    assert client.get("/api/v1/offices/nowhere").json()["error"] == "not_found"


def test_slots_are_listed_in_tokyo_time_with_whether_they_are_free(
        client: TestClient, report_factory: Factory) -> None:
    answer = client.get("/api/v1/offices/namerikawa/slots",
                        params={"from": "2026-12-03", "to": "2026-12-05"})
    slots = answer.json()
    assert slots[0]["start"] == "2026-12-03T10:00:00+09:00"
    assert len(slots) == 24  # Thursday and Friday, 10:00-16:00; Saturday closed
    assert all(slot["free"] for slot in slots)
    assert client.post("/api/v1/bookings", json=book_body(client, report_factory)).is_success
    again = client.get("/api/v1/offices/namerikawa/slots",
                       params={"from": "2026-12-03", "to": "2026-12-03"}).json()
    assert [s["free"] for s in again[:2]] == [False, True]
    too_long = client.get("/api/v1/offices/namerikawa/slots",
                          params={"from": "2026-12-03", "to": "2027-06-01"})
    assert too_long.status_code == 422
    assert too_long.json()["reasons"][0]["rule"] == "range"


def test_a_booking_made_through_the_api(client: TestClient, report_factory: Factory,
                                        engine: Any) -> None:
    answer = client.post("/api/v1/bookings", json=book_body(client, report_factory))
    assert answer.status_code == 201
    booked = answer.json()
    assert booked["status"] == "confirmed"
    assert booked["start"] == "2026-12-03T10:00:00+09:00"
    status = client.get(f"/api/v1/bookings/{booked['reference']}").json()
    assert status == {"reference": booked["reference"], "office_id": "namerikawa",
                      "status": "confirmed", "start": booked["start"], "end": booked["end"],
                      "checked_in": False}  # and nothing personal
    with session_factory(engine)() as session:
        assert session.execute(select(Booking.email)).scalar_one() == FORM["email"]


def test_a_kind_2_booking_says_by_when_to_confirm(client: TestClient,
                                                  report_factory: Factory) -> None:
    body = book_body(client, report_factory, office="tenmonkan",
                     start="2026-12-02T10:30:00+09:00")
    booked = client.post("/api/v1/bookings", json=body).json()
    assert booked["status"] == "pending_confirmation"
    assert booked["confirm_by"] == "2026-11-30T10:00:00+09:00"
    assert "token" not in str(booked)  # the link goes by email only


def test_a_taken_slot_is_a_409_in_both_languages(client: TestClient,
                                                 report_factory: Factory) -> None:
    client.post("/api/v1/bookings", json=book_body(client, report_factory))
    taken = client.post("/api/v1/bookings",
                        json=book_body(client, report_factory, email="b@example.jp"))
    assert taken.status_code == 409
    body = taken.json()
    assert body["error"] == "taken"
    assert body["message"]["ja"].startswith("申し訳ありません")
    assert body["message"]["en"].startswith("Sorry")


def test_a_refused_report_says_which_rules_it_broke(client: TestClient, clock: Clock,
                                                    report_factory: Factory) -> None:
    body = book_body(client, report_factory)
    clock.now = MONDAY + timedelta(hours=1)  # the report is now stale, the nonce expired
    answer = client.post("/api/v1/bookings", json=body)
    assert answer.status_code == 422
    refused = answer.json()
    assert refused["error"] == "gate_rejected"
    assert [r["rule"] for r in refused["reasons"]] == ["stale", "challenge_expired"]
    assert all(r["message"]["ja"] and r["message"]["en"] for r in refused["reasons"])


def test_office_rules_are_422_with_the_fields_named(client: TestClient,
                                                    report_factory: Factory) -> None:
    body = book_body(client, report_factory, start="2026-12-05T10:00:00+09:00", email="x")
    refused = client.post("/api/v1/bookings", json=body).json()
    assert refused["error"] == "rule_broken"
    assert {(r["rule"], r["field"]) for r in refused["reasons"]} == {
        ("closed", "start"), ("invalid", "email")}


def test_a_malformed_request_is_a_422_in_the_apis_shape(client: TestClient) -> None:
    answer = client.post("/api/v1/bookings", json={"office_id": "namerikawa",
                                                   "start": "2026-12-03T10:00:00"})
    assert answer.status_code == 422
    body = answer.json()
    assert body["error"] == "invalid_request"
    assert {r["field"] for r in body["reasons"]} >= {"start", "report"}
    assert client.post("/api/v1/challenges", content=b"{not json",
                       headers={"content-type": "application/json"}).status_code == 422


def test_check_in_through_the_api(client: TestClient, clock: Clock,
                                  report_factory: Factory) -> None:
    booked = client.post("/api/v1/bookings", json=book_body(client, report_factory)).json()
    clock.now = MONDAY + timedelta(days=3, hours=0, minutes=55)  # Thursday 09:55
    nonce = client.post("/api/v1/challenges", json={"office_id": "namerikawa"}).json()["nonce"]
    answer = client.post(f"/api/v1/bookings/{booked['reference']}/check-in",
                         json={"report": report_factory(nonce, created=clock.now)})
    assert answer.status_code == 200, answer.text
    assert answer.json()["checked_in_at"] == "2026-12-03T09:55:00+09:00"
    again = client.post(f"/api/v1/bookings/{booked['reference']}/check-in",
                        json={"report": report_factory(nonce, created=clock.now)})
    assert again.status_code == 409
    assert client.post("/api/v1/bookings/AAAAA-AAAAA/check-in",
                       json={"report": None}).status_code == 404


def test_the_policy_document_names_what_the_gate_accepts(client: TestClient) -> None:
    from precheck import policy as policies

    document = client.get("/api/v1/policy").json()
    builtin = policies.builtin()
    assert document["accepted"] == [{"version": builtin.version, "digest": builtin.digest}]
    assert "security.firewall" in document["required_checks"]
    assert document["report_max_age_minutes"] == 30


def test_challenges_and_bookings_are_rate_limited_across_the_database(
        settings: GatewaySettings, clock: Clock, report_factory: Factory) -> None:
    limited = settings.replace(challenge_limit=RateLimit(3, timedelta(minutes=1)),
                               booking_limit=RateLimit(2, timedelta(minutes=1)))
    # Two apps on one database stand for two processes: the limit is shared.
    with make_client(limited, clock) as first, make_client(limited, clock) as second:
        assert first.post("/api/v1/challenges", json={"office_id": "kagoshima"}).is_success
        assert second.post("/api/v1/challenges", json={"office_id": "kagoshima"}).is_success
        assert first.post("/api/v1/challenges", json={"office_id": "kagoshima"}).is_success
        over = second.post("/api/v1/challenges", json={"office_id": "kagoshima"})
        assert over.status_code == 429
        assert over.json()["error"] == "rate_limited"
        assert 1 <= int(over.headers["Retry-After"]) <= 60
        for _ in range(2):
            first.post("/api/v1/bookings", json={"office_id": "kagoshima", "report": None,
                                                 "start": "2026-12-03T10:00:00+09:00"})
        assert second.post("/api/v1/bookings", json={
            "office_id": "kagoshima", "report": None,
            "start": "2026-12-03T10:00:00+09:00"}).status_code == 429
        clock.now = MONDAY + timedelta(minutes=1)  # a new window
        assert first.post("/api/v1/challenges", json={"office_id": "kagoshima"}).is_success


def test_an_oversized_request_is_refused_before_it_is_read(client: TestClient) -> None:
    big = b'{"report": "' + b"x" * (9 * 1024 * 1024) + b'"}'
    answer = client.post("/api/v1/bookings", content=big,
                         headers={"content-type": "application/json"})
    assert answer.status_code == 413
    assert answer.json()["error"] == "too_large"

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        yield b'{"report": "'
        for _ in range(10):
            yield b"x" * (1024 * 1024)
        yield b'"}'

    streamed = client.post("/api/v1/bookings", content=chunks(),
                           headers={"content-type": "application/json"})
    assert streamed.status_code == 413


def test_answers_carry_no_referrer_and_no_sniffing(client: TestClient) -> None:
    headers = client.get("/api/v1/offices").headers
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-content-type-options"] == "nosniff"


def test_the_access_history_holds_no_identifier_in_the_clear(
        client: TestClient, report_factory: Factory, engine: Any) -> None:
    body = book_body(client, report_factory)
    assert client.post("/api/v1/bookings", json=body).is_success
    with session_factory(engine)() as session:
        rows = session.execute(select(AccessLog).order_by(AccessLog.id)).scalars().all()
    assert [(r.action, r.outcome) for r in rows] == [("challenge", "ok"), ("booking", "ok")]
    device = body["report"]["device_id"]
    for row in rows:
        stored = " ".join(str(v) for v in (row.client, row.device, row.office_id))
        assert "testclient" not in stored  # the client's address (TestClient's own)
        assert device not in stored
        assert device.removeprefix("d1-") not in stored
    assert rows[1].device is not None
    assert len(rows[1].device) == 32


def test_logs_carry_no_personal_data(client: TestClient, report_factory: Factory,
                                     caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    body = book_body(client, report_factory, name="秘密 花子", email="secret@example.jp",
                     phone="090-9999-8888", jobseeker_number="46010-777777",
                     note="通訳が同席します")
    assert client.post("/api/v1/bookings", json=body).is_success
    client.post("/api/v1/bookings", json=body)  # refused: the nonce is used
    logged = caplog.text
    assert "booking" in logged  # something was logged ...
    for secret in ("秘密", "secret@example.jp", "9999", "777777", "通訳",
                   body["report"]["device_id"], "testclient"):
        assert secret not in logged  # ... but nothing personal


# -- schemathesis ---------------------------------------------------------------------------------

@pytest.fixture
def served(sqlite_url: str) -> Any:
    """The OpenAPI document the app serves, with the app to call."""
    app = create_app(gateway_settings(sqlite_url, udp_echo=False), clock=Clock())
    return schemathesis.openapi.from_asgi("/openapi.json", app)


FUZZ = settings(max_examples=40, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))


@schemathesis.pytest.from_fixture("served").include(path_regex=f"^{api.PREFIX}/").parametrize()
@FUZZ
def test_the_json_api_answers_as_its_openapi_says_and_never_with_a_server_error(
        case: Any) -> None:
    case.call_and_validate()  # every default check: no 5xx, documented codes, bodies, types


@schemathesis.pytest.from_fixture("served").exclude(path_regex=f"^{api.PREFIX}/").parametrize()
@FUZZ
def test_the_other_documented_endpoints_never_answer_with_a_server_error(case: Any) -> None:
    case.call_and_validate(checks=[not_a_server_error])


def test_a_year_the_holiday_data_does_not_cover_is_an_error_not_an_open_calendar(
        client: TestClient) -> None:
    answer = client.get("/api/v1/offices/namerikawa/slots",
                        params={"from": "2100-01-04", "to": "2100-01-08"})
    assert answer.status_code == 422
    reason = answer.json()["reasons"][0]
    assert reason["rule"] == "calendar_unknown"
    assert "2100" in reason["message"]["ja"]
    assert "2100" in reason["message"]["en"]


def test_a_database_that_is_gone_is_a_503_saying_nothing_was_booked(
        sqlite_url: str, tmp_path: Any, clock: Clock) -> None:
    with make_client(gateway_settings(sqlite_url), clock) as client:
        for leftover in tmp_path.glob("gateway.sqlite3*"):
            leftover.unlink()  # the file is gone: new connections find no tables
        client.app.state.gateway_state.engine.dispose()  # type: ignore[attr-defined]
        answer = client.post("/api/v1/challenges", json={"office_id": "kagoshima"})
    assert answer.status_code == 503
    body = answer.json()
    assert body["error"] == "unavailable"
    assert "Nothing was booked" in body["message"]["en"]
    assert answer.headers["Retry-After"] == "60"


def test_the_app_starts_the_udp_echo_and_names_its_port(sqlite_url: str, clock: Clock) -> None:
    from tests.gateway.conftest import free_port

    port = free_port()
    settings = gateway_settings(sqlite_url, udp_echo=True, udp_echo_port=port)
    with TestClient(create_app(settings, clock=clock)) as client:
        answer = client.get("/measure/udp")
        assert answer.status_code == 200
        assert answer.json()["port"] == port

"""precheck.gateway_client against a real HTTP server on this machine.

The server is the standard library's, answering each path as the test says: the JSON API's
shapes from the gateway contract (its error body included), and the ways a gateway goes wrong:
nothing listening, a web page from a proxy, a cut-off body, a slow answer, a 500, a wrong shape.
"""

from __future__ import annotations

import json
import socket
import threading
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler

import pytest

from precheck.errors import PrecheckError
from precheck.gateway_client import BookingForm, GatewayClient, GatewayError
from tests.tui import gateway_stand
from tests.tui.gateway_stand import Stand

stand = gateway_stand.stand

OFFICE = {"id": "tenmonkan", "name_ja": "ワークプラザ天文館", "name_en": "Work Plaza Tenmonkan",
          "kind": 2, "phone": None, "required_fields": ["name", "email", "phone"],
          "optional_fields": ["jobseeker_number", "note"], "slot_minutes": 30,
          "video_app": "TeleOffice", "confirmation_minutes": 60}
REPORT = {"report_version": 1, "verdict": "pass"}


def test_offices_slots_challenge_booking_and_check_in_read_the_contract_shapes(
        stand: Stand) -> None:
    stand.json("GET", "/api/v1/offices", 200, [OFFICE])
    stand.json("GET", "/api/v1/offices/tenmonkan/slots?from=2026-11-24&to=2026-11-30", 200, [
        {"start": "2026-11-24T10:00:00+09:00", "end": "2026-11-24T10:30:00+09:00", "free": True},
        {"start": "2026-11-24T10:30:00+09:00", "end": "2026-11-24T11:00:00+09:00",
         "free": False}])
    stand.json("POST", "/api/v1/challenges", 201,
               {"nonce": "n" * 32, "office_id": "tenmonkan", "expires_at": "2026-11-23T01:10:00Z"})
    stand.json("POST", "/api/v1/bookings", 201, {
        "reference": "TK-7Q2M", "office_id": "tenmonkan", "status": "pending_confirmation",
        "start": "2026-11-24T10:00:00+09:00", "end": "2026-11-24T10:30:00+09:00",
        "confirm_by": "2026-11-23T02:00:00Z"})
    stand.json("POST", "/api/v1/bookings/TK-7Q2M/check-in", 200,
               {"reference": "TK-7Q2M", "status": "confirmed",
                "checked_in_at": "2026-11-24T00:55:00Z"})
    client = GatewayClient(stand.url + "/")

    offices = client.offices()
    assert [o.id for o in offices] == ["tenmonkan"]
    assert offices[0].name("ja") == "ワークプラザ天文館"
    assert offices[0].required_fields == ("name", "email", "phone")
    slots = client.slots("tenmonkan", date(2026, 11, 24), date(2026, 11, 30))
    assert [(s.start.hour, s.free) for s in slots] == [(10, True), (10, False)]
    challenge = client.challenge("tenmonkan")
    assert challenge.nonce == "n" * 32
    assert challenge.expires_at == datetime(2026, 11, 23, 1, 10, tzinfo=UTC)
    booking = client.book(BookingForm("tenmonkan", slots[0].start, "山田 花子",
                                      "hanako@example.jp", phone="099-000-0000"), REPORT)
    assert (booking.reference, booking.status) == ("TK-7Q2M", "pending_confirmation")
    assert booking.confirm_by == datetime(2026, 11, 23, 2, tzinfo=UTC)
    checked = client.check_in("TK-7Q2M", REPORT)
    assert checked.checked_in_at == datetime(2026, 11, 24, 0, 55, tzinfo=UTC)

    sent = {(m, p): (h, b) for m, p, h, b in stand.requests}
    headers, body = sent[("POST", "/api/v1/bookings")]
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {
        "office_id": "tenmonkan", "start": "2026-11-24T10:00:00+09:00", "name": "山田 花子",
        "email": "hanako@example.jp", "phone": "099-000-0000", "language": "ja",
        "report": REPORT}
    assert json.loads(sent[("POST", "/api/v1/challenges")][1]) == {"office_id": "tenmonkan"}


def test_a_refusal_keeps_the_gateways_own_words_and_reasons(stand: Stand) -> None:
    stand.json("POST", "/api/v1/bookings", 422, {
        "error": "gate_rejected",
        "message": {"ja": "レポートを受け付けられません", "en": "The report is not accepted"},
        "reasons": [{"rule": "stale", "field": None,
                     "message": {"ja": "レポートが古すぎます", "en": "The report is too old"}}]})
    client = GatewayClient(stand.url)
    with pytest.raises(GatewayError) as caught:
        client.book(BookingForm("tenmonkan", datetime(2026, 11, 24, 1, tzinfo=UTC), "a", "b"),
                    REPORT)
    error = caught.value
    assert (error.kind, error.status, error.code) == ("rejected", 422, "gate_rejected")
    assert error.message is not None
    assert error.message.in_language("ja") == "レポートを受け付けられません"
    assert [(r.rule, r.message.in_language("en")) for r in error.reasons] == [
        ("stale", "The report is too old")]


def test_a_slot_taken_is_a_rejection_with_status_409(stand: Stand) -> None:
    stand.json("POST", "/api/v1/bookings", 409, {
        "error": "taken", "message": {"ja": "その時間は埋まりました", "en": "That time was taken"},
        "reasons": []})
    with pytest.raises(GatewayError) as caught:
        GatewayClient(stand.url).book(
            BookingForm("x", datetime(2026, 11, 24, 1, tzinfo=UTC), "a", "b"), REPORT)
    assert (caught.value.kind, caught.value.status, caught.value.code) == (
        "rejected", 409, "taken")


def test_nothing_listening_is_unreachable() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nobody listens on it
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(GatewayError) as caught:
        GatewayClient(f"http://127.0.0.1:{port}").offices()
    assert caught.value.kind == "unreachable"


def test_a_web_page_instead_of_json_is_a_bad_response_that_quotes_its_start(
        stand: Stand) -> None:
    stand.routes[("GET", "/api/v1/offices")] = (
        200, b"<html><body>Proxy login</body></html>", {"Content-Type": "text/html"})
    with pytest.raises(GatewayError) as caught:
        GatewayClient(stand.url).offices()
    assert caught.value.kind == "bad_response"
    assert "<html>" in str(caught.value)


def test_a_cut_off_body_is_a_bad_response(stand: Stand) -> None:
    stand.routes[("GET", "/api/v1/offices")] = (200, b'[{"id": "x"', {"Content-Length": "500"})
    with pytest.raises(GatewayError) as caught:
        GatewayClient(stand.url, timeout=5).offices()
    assert caught.value.kind == "bad_response"


@pytest.mark.parametrize(("answer", "names"), [
    ({"offices": []}, "offices"),                       # an object where a list belongs
    ([{"id": "x", "name_ja": "x", "name_en": "x", "kind": "2"}], "'kind'"),  # a string kind
    ([{**OFFICE, "required_fields": "name"}], "'required_fields'"),
])
def test_a_wrong_shape_names_what_is_wrong(stand: Stand, answer: object, names: str) -> None:
    stand.json("GET", "/api/v1/offices", 200, answer)
    with pytest.raises(GatewayError, match=names) as caught:
        GatewayClient(stand.url).offices()
    assert caught.value.kind == "bad_response"


def test_a_time_without_a_zone_is_a_bad_response(stand: Stand) -> None:
    stand.json("POST", "/api/v1/challenges", 201,
               {"nonce": "n", "office_id": "x", "expires_at": "2026-11-23T01:10"})
    with pytest.raises(GatewayError, match="time zone"):
        GatewayClient(stand.url).challenge("x")


def test_a_slow_gateway_times_out(stand: Stand) -> None:
    release = threading.Event()

    def slow(handler: BaseHTTPRequestHandler) -> None:
        release.wait(10)

    stand.routes[("GET", "/api/v1/offices")] = slow
    try:
        with pytest.raises(GatewayError) as caught:
            GatewayClient(stand.url, timeout=0.5).offices()
    finally:
        release.set()
    assert caught.value.kind == "timeout"


def test_a_server_error_without_a_body_is_a_server_error(stand: Stand) -> None:
    stand.routes[("GET", "/api/v1/offices")] = (500, b"Internal Server Error",
                                                {"Content-Type": "text/plain"})
    with pytest.raises(GatewayError) as caught:
        GatewayClient(stand.url).offices()
    assert (caught.value.kind, caught.value.status, caught.value.message) == (
        "server_error", 500, None)


def test_the_address_comes_from_the_environment_and_must_be_http() -> None:
    assert GatewayClient.from_env({}) is None
    assert GatewayClient.from_env({"PRECHECK_GATEWAY_URL": "  "}) is None
    client = GatewayClient.from_env({"PRECHECK_GATEWAY_URL": "https://gw.example.jp/base/"})
    assert client is not None
    assert client.base_url == "https://gw.example.jp/base"
    with pytest.raises(PrecheckError, match="http"):
        GatewayClient("file:///etc/passwd")
    with pytest.raises(PrecheckError, match="http"):
        GatewayClient("gw.example.jp")


def test_a_reference_is_quoted_into_the_path(stand: Stand) -> None:
    stand.json("POST", "/api/v1/bookings/A%2FB%20C/check-in", 200,
               {"reference": "A/B C", "status": "confirmed",
                "checked_in_at": "2026-11-24T00:55:00Z"})
    assert GatewayClient(stand.url).check_in("A/B C", REPORT).reference == "A/B C"

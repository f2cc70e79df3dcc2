"""A report with an impossible date is refused with the API's error shape, never a 500 (issue 13:
``created`` of 2026-02-30 or 2026-11-31 gave a traceback on the API and the form). The report
schema and model refuse such dates, so the gate never parses one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from precheck.gateway.app import create_app
from precheck.gateway.settings import GatewaySettings
from precheck.reports.signing import Identity
from tests.gateway.test_api import Clock, book_body
from tests.reports.test_dates import force_sign


@pytest.fixture
def api(settings: GatewaySettings) -> Iterator[TestClient]:
    with TestClient(create_app(settings.replace(udp_echo=False), clock=Clock())) as client:
        yield client


@pytest.mark.parametrize("created", ["2026-02-30T01:02:03Z", "2026-11-31T00:00:00Z"])
def test_an_impossible_date_is_a_4xx_with_the_error_shape(
        api: TestClient, report_factory: Any, identity: Identity, created: str) -> None:
    body = book_body(api, report_factory)
    body["report"] = force_sign({**body["report"], "created": created}, identity)
    answer = api.post("/api/v1/bookings", json=body)
    assert 400 <= answer.status_code < 500, answer.text[:300]
    assert answer.json()["error"]
    assert "created" in answer.text

"""A report's time is a real moment: impossible calendar dates are refused by the schema, the
model and ``precheck report verify`` (issue 13: 2026-02-30 and 2026-11-31 were called VALID and
gave the gateway a 500)."""

from __future__ import annotations

import copy
import io
import json
import os
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from precheck.cli import run_cli
from precheck.reports.errors import ReportInvalid
from precheck.reports.model import CREATED_PATTERN, Report
from precheck.reports.schema import schema, validate
from precheck.reports.signing import Identity, b64url, signed_bytes, verify
from precheck.status import Environment, ExitStatus

IMPOSSIBLE = [
    "2026-02-30T01:02:03Z",  # the finding
    "2026-11-31T01:02:03Z",  # the finding
    "2026-02-29T00:00:00Z",  # 2026 is no leap year
    "2100-02-29T00:00:00Z",  # a century is no leap year ...
    "2026-04-31T23:59:59Z",
    "2026-06-31T00:00:00Z",
    "2026-09-31T00:00:00Z",
    "0000-01-01T00:00:00Z",  # Python's datetime (and so the gateway) has no year 0
]
REAL = [
    "2028-02-29T00:00:00Z",  # a leap year
    "2000-02-29T12:00:00Z",  # ... unless it divides by 400
    "2026-11-30T01:02:03Z",
    "2026-12-31T23:59:59Z",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
]


def force_sign(document: dict[str, Any], identity: Identity) -> dict[str, Any]:
    """A signature over any document, as a forger's script would make it (``sign`` itself
    refuses to sign an invalid report)."""
    unsigned = {k: v for k, v in document.items() if k != "signature"}
    return {**unsigned, "signature": {
        "alg": "Ed25519", "key_id": identity.key_id, "public_key": identity.public_key_b64,
        "value": b64url(identity.private_key.sign(signed_bytes(unsigned)))}}


def test_the_schema_says_the_models_pattern() -> None:
    assert schema()["properties"]["created"]["pattern"] == CREATED_PATTERN


@pytest.mark.parametrize("created", IMPOSSIBLE)
def test_an_impossible_date_is_refused_by_schema_and_model(
        created: str, unsigned: dict[str, Any]) -> None:
    doc = copy.deepcopy(unsigned) | {"created": created}
    with pytest.raises(ReportInvalid, match=r"^created: "):
        validate(doc)
    with pytest.raises(ValidationError):
        Report.model_validate(doc)


@pytest.mark.parametrize("created", REAL)
def test_real_dates_are_accepted(created: str, unsigned: dict[str, Any]) -> None:
    doc = copy.deepcopy(unsigned) | {"created": created}
    validate(doc)
    assert Report.model_validate(doc).created == created


@pytest.mark.parametrize("created", ["2026-02-30T01:02:03Z", "2026-11-31T01:02:03Z"])
def test_a_signed_report_with_an_impossible_date_is_not_valid(
        created: str, unsigned: dict[str, Any], identity: Identity, tmp_path: Path) -> None:
    forged = force_sign(copy.deepcopy(unsigned) | {"created": created}, identity)
    with pytest.raises(ReportInvalid, match=r"^created: "):
        verify(forged)
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(forged), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    status = run_cli(["report", "verify", str(path), "--lang", "en"],
                     Environment(out, err, {"PRECHECK_HOME": os.environ["PRECHECK_HOME"]}))
    # The document is readable JSON but not a valid report: "not intact", exit 1, as the
    # README's exit codes say for a report that fails its schema.
    assert status is ExitStatus.CHECK_FAILED
    assert out.getvalue().startswith("NOT VALID: created: ")
    assert "is not a real date and time in UTC" in out.getvalue()
    assert out.getvalue().count("\n") == 1
    assert err.getvalue() == ""


@given(date=st.tuples(st.integers(0, 9999), st.integers(0, 13), st.integers(0, 32)),
       time=st.tuples(st.integers(0, 24), st.integers(0, 60), st.integers(0, 60)))
def test_the_pattern_accepts_exactly_what_datetime_accepts(
        date: tuple[int, int, int], time: tuple[int, int, int]) -> None:
    text = "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z".format(*date, *time)
    try:
        datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")  # noqa: DTZ007 - the Z is literal here
    except ValueError:
        real = False
    else:
        real = True
    assert bool(re.match(CREATED_PATTERN, text)) is real, text

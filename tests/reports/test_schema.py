"""The JSON Schema and the pydantic model define the same format."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import jsonschema
import pytest
from pydantic import ValidationError

from precheck.reports.errors import ReportInvalid
from precheck.reports.model import Report
from precheck.reports.schema import schema, validate

Mutation = Callable[[dict[str, Any]], object]


def test_the_schema_is_valid_draft_2020_12() -> None:
    jsonschema.Draft202012Validator.check_schema(schema())
    assert schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize("which", ["unsigned", "signed"])
def test_real_reports_validate_under_both(which: str, request: pytest.FixtureRequest) -> None:
    doc = request.getfixturevalue(which)
    validate(doc)
    report = Report.model_validate(doc)
    dumped = report.model_dump(mode="json", exclude_unset=True)
    assert dumped == doc  # the model loses and adds nothing
    assert any("provider" in check for check in doc["checks"])  # the real checks name theirs


MUTATIONS: dict[str, tuple[Mutation, str]] = {
    "status": (lambda d: d["checks"][0].update(status="passed"),
               "checks/0/status: 'passed' is not one of ['pass', 'warn', 'fail', 'skip', "
               "'error']"),
    "version": (lambda d: d.update(report_version=2), "report_version: 1 was expected"),
    "host-name": (lambda d: d.update(hostname="pc-01"),
                  "(top level): Additional properties are not allowed ('hostname'"),
    "user-in-platform": (lambda d: d["platform"].update(user="taro"), "platform: Additional"),
    "no-verdict": (lambda d: d.pop("verdict"), "(top level): 'verdict' is a required property"),
    "verdict": (lambda d: d.update(verdict="ok"), "verdict: 'ok' is not one of"),
    "created-zone": (lambda d: d.update(created="2026-11-23T10:02:03+09:00"), "created: "),
    "created-fraction": (lambda d: d.update(created="2026-11-23T01:02:03.5Z"), "created: "),
    "created-month": (lambda d: d.update(created="2026-13-23T01:02:03Z"), "created: "),
    "device-id": (lambda d: d.update(device_id="DESKTOP-1234"), "device_id: 'DESKTOP-1234'"),
    "digest": (lambda d: d["policy"].update(digest="md5:abc"), "policy/digest: 'md5:abc'"),
    "os": (lambda d: d["platform"].update(os="symbian"), "platform/os: 'symbian'"),
    "required-type": (lambda d: d["checks"][1].update(required="yes"),
                      "checks/1/required: 'yes' is not of type 'boolean'"),
    "duration": (lambda d: d["checks"][0].update(duration_ms=-1),
                 "checks/0/duration_ms: -1 is less than the minimum of 0"),
    "duration-type": (lambda d: d["checks"][0].update(duration_ms="5"),
                      "checks/0/duration_ms: '5' is not of type 'integer'"),
    "text-language": (lambda d: d["checks"][0]["title"]["text"].pop("ja"),
                      "checks/0/title/text: 'ja' is a required property"),
    "fix-item": (lambda d: d["checks"][0].update(fix=["Restart"]),
                 "checks/0/fix/0: 'Restart' is not of type 'object'"),
    "evidence": (lambda d: d["checks"][0].update(evidence=[1]),
                 "checks/0/evidence: [1] is not of type 'object'"),
    "source": (lambda d: d["source"].update(kind="usb"), "source/kind: 'usb'"),
    "challenge": (lambda d: d.update(challenge=7), "challenge: 7 is not of type"),
    "tool": (lambda d: d["tool"].update(name="other"), "tool/name: 'precheck' was expected"),
    "blocking": (lambda d: d.update(blocking="test.firewall"), "blocking: 'test.firewall'"),
    "signature-alg": (lambda d: d.update(signature={
        "alg": "none", "key_id": "k1-" + "0" * 32, "public_key": "A" * 43, "value": "A" * 86}),
        "signature/alg: 'none' is not one of ['Ed25519']"),
    "signature-type": (lambda d: d.update(signature="signed"),
                       "signature: 'signed' is not of type 'object', 'null'"),
    "signature-key-id": (lambda d: d.update(signature={
        "alg": "Ed25519", "key_id": "k2", "public_key": "A" * 43, "value": "A" * 86}),
        "signature/key_id: 'k2' does not match"),
    "empty": (lambda d: d.clear(), "(top level): 'report_version' is a required"),
}


@pytest.mark.parametrize("name", MUTATIONS)
def test_schema_and_model_both_reject(name: str, unsigned: dict[str, Any]) -> None:
    doc = copy.deepcopy(unsigned)
    mutate, expected = MUTATIONS[name]
    mutate(doc)
    with pytest.raises(ReportInvalid) as caught:
        validate(doc)
    assert expected in str(caught.value)
    with pytest.raises(ValidationError):
        Report.model_validate(doc)


@pytest.mark.parametrize("mutate", [
    lambda d: d.update(verdict="pass"),
    lambda d: d.update(blocking=[]),
    lambda d: d["checks"].append(copy.deepcopy(d["checks"][0])),
], ids=["verdict", "blocking", "duplicate-id"])
def test_the_model_adds_rules_between_fields(mutate: Mutation,
                                             unsigned: dict[str, Any]) -> None:
    mutate(unsigned)
    validate(unsigned)  # a JSON Schema cannot say these
    with pytest.raises(ValidationError):
        Report.model_validate(unsigned)


@pytest.mark.parametrize("doc", [[], "report", None])
def test_a_document_that_is_not_an_object(doc: object) -> None:
    with pytest.raises(ReportInvalid, match="a report is a JSON object"):
        validate(doc)


def test_the_model_is_frozen(signed: dict[str, Any]) -> None:
    report = Report.model_validate(signed)
    with pytest.raises(ValidationError):
        report.verdict = "pass"  # the point: it is frozen

"""The gate: every way a report is refused, each with a reason in Japanese and English that says
what to do; and what is stored of an accepted report."""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from precheck import policy as policies
from precheck.gateway import gate
from precheck.gateway.models import Booking, Challenge
from precheck.gateway.service import BookingForm
from precheck.gateway.settings import GatewaySettings
from precheck.reports.canonical import canonical_bytes
from precheck.result import Status
from tests.gateway.conftest import FORM, MONDAY
from tests.gateway.test_service import THURSDAY_1000

Factory = Callable[..., dict[str, Any]]


@pytest.fixture
def policy() -> gate.GatePolicy:
    return gate.gate_policy(GatewaySettings(database_url="sqlite://"))


def rules(inspection: gate.Inspection) -> list[str]:
    return [reason.rule for reason in inspection.reasons]


def test_a_fresh_passing_signed_report_is_accepted(
        policy: gate.GatePolicy, report_factory: Factory) -> None:
    report = report_factory("nonce-1")
    inspection = gate.inspect(report, policy, MONDAY + timedelta(minutes=1))
    assert inspection.reasons == ()
    accepted = inspection.accepted
    assert accepted is not None
    assert accepted.challenge == "nonce-1"
    assert accepted.key_id == report["signature"]["key_id"]
    assert accepted.digest == "sha256:" + hashlib.sha256(canonical_bytes(report)).hexdigest()


def test_the_gate_requires_the_built_in_required_checks_by_default(
        policy: gate.GatePolicy) -> None:
    assert "security.firewall" in policy.required_checks
    assert "power.battery" not in policy.required_checks  # advisory in the built-in catalog
    builtin = policies.builtin()
    assert dict(policy.accepted_policies) == {builtin.version: builtin.digest}


def test_a_changed_report_fails_its_signature(policy: gate.GatePolicy,
                                              report_factory: Factory) -> None:
    report = report_factory("nonce-1")
    report["platform"]["version"] = "13"  # still a valid report, no longer the signed one
    inspection = gate.inspect(report, policy, MONDAY)
    assert rules(inspection) == [gate.SIGNATURE]
    assert inspection.accepted is None


def test_a_forged_verdict_is_caught_by_the_signature_or_the_format(
        policy: gate.GatePolicy, report_factory: Factory) -> None:
    report = report_factory("nonce-1", statuses={"security.firewall": Status.FAIL})
    forged = copy.deepcopy(report)
    forged["checks"] = [dict(c, status="pass") if c["id"] == "security.firewall" else c
                        for c in forged["checks"]]
    forged["verdict"], forged["blocking"] = "pass", []
    assert rules(gate.inspect(forged, policy, MONDAY)) == [gate.SIGNATURE]
    half_forged = copy.deepcopy(report)
    half_forged["verdict"] = "pass"  # the checks still say fail: the model refuses it
    assert rules(gate.inspect(half_forged, policy, MONDAY)) == [gate.REPORT_FORMAT]


@pytest.mark.parametrize(("report", "rule"), [
    (None, gate.REPORT_MISSING),
    ([], gate.REPORT_FORMAT),
    ("a report", gate.REPORT_FORMAT),
    ({"report_version": 1}, gate.UNSIGNED),
    ({"report_version": 1, "signature": {"alg": "Ed25519"}}, gate.REPORT_FORMAT),
    ({"report_version": 1, "signature": {"alg": "RSA"}}, gate.REPORT_FORMAT),
])
def test_what_is_not_a_signed_report_is_refused_as_such(
        policy: gate.GatePolicy, report: object, rule: str) -> None:
    assert rules(gate.inspect(report, policy, MONDAY)) == [rule]


def test_an_unknown_report_version_is_a_format_problem(policy: gate.GatePolicy,
                                                      report_factory: Factory) -> None:
    report = report_factory("nonce-1")
    report["report_version"] = 2
    inspection = gate.inspect(report, policy, MONDAY)
    assert rules(inspection) == [gate.REPORT_FORMAT]
    assert "report_version" in inspection.reasons[0].render("en")


def test_a_stale_report_is_refused(policy: gate.GatePolicy, report_factory: Factory) -> None:
    report = report_factory("nonce-1", created=MONDAY)
    assert rules(gate.inspect(report, policy, MONDAY + timedelta(minutes=30))) == []
    inspection = gate.inspect(report, policy, MONDAY + timedelta(minutes=31))
    assert rules(inspection) == [gate.STALE]
    assert "31" in inspection.reasons[0].render("ja")
    assert "30" in inspection.reasons[0].render("en")


def test_a_report_from_the_future_is_refused(policy: gate.GatePolicy,
                                            report_factory: Factory) -> None:
    report = report_factory("nonce-1", created=MONDAY + timedelta(minutes=10))
    inspection = gate.inspect(report, policy, MONDAY)
    assert rules(inspection) == [gate.FUTURE]
    assert "時計" in inspection.reasons[0].render("ja")


def test_a_failing_report_names_each_failing_required_check(
        policy: gate.GatePolicy, report_factory: Factory) -> None:
    report = report_factory("nonce-1", statuses={"security.firewall": Status.FAIL,
                                                 "security.antivirus": Status.ERROR,
                                                 "power.battery": Status.FAIL})  # advisory
    inspection = gate.inspect(report, policy, MONDAY)
    assert rules(inspection) == [gate.CHECK_FAILED, gate.CHECK_FAILED]
    assert sorted(str(r.message.args["check"]) for r in inspection.reasons) == [
        "security.antivirus", "security.firewall"]
    texts = [reason.texts() for reason in inspection.reasons]
    joined_ja = " ".join(t["ja"] for t in texts)
    assert "ファイアウォール" in joined_ja  # the check's title as the report states it in Japanese
    assert all(t["ja"] != t["en"] for t in texts)


def test_warnings_and_skips_do_not_block(policy: gate.GatePolicy,
                                         report_factory: Factory) -> None:
    report = report_factory("nonce-1", statuses={"security.firewall": Status.WARN,
                                                 "device.speaker": Status.SKIP})
    assert rules(gate.inspect(report, policy, MONDAY)) == []


def test_a_report_without_a_required_check_is_refused(
        policy: gate.GatePolicy, report_factory: Factory) -> None:
    report = report_factory("nonce-1", leave_out=("security.firewall",))
    assert report["verdict"] == "pass"  # the report alone would pass: --only was used
    inspection = gate.inspect(report, policy, MONDAY)
    assert rules(inspection) == [gate.CHECK_MISSING]
    assert "security.firewall" in inspection.reasons[0].render("en")


def test_a_report_judged_by_an_unknown_policy_is_refused(
        policy: gate.GatePolicy, report_factory: Factory) -> None:
    builtin = policies.builtin()
    data = copy.deepcopy(dict(builtin.data))
    data["meta"] = {**data["meta"], "version": "1999.1.0"}
    old = policies.from_data(data, "test")
    inspection = gate.inspect(report_factory("nonce-1", policy=old), policy, MONDAY)
    assert rules(inspection) == [gate.POLICY_UNKNOWN]
    assert "1999.1.0" in inspection.reasons[0].render("ja")
    assert builtin.version in inspection.reasons[0].render("en")


def test_a_report_whose_policy_was_changed_under_a_known_version_is_refused(
        policy: gate.GatePolicy, report_factory: Factory) -> None:
    data = copy.deepcopy(dict(policies.builtin().data))
    data["meta"] = {**data["meta"], "terms": "changed"}
    changed = policies.from_data(data, "test")
    assert changed.version == policies.builtin().version
    inspection = gate.inspect(report_factory("nonce-1", policy=changed), policy, MONDAY)
    assert rules(inspection) == [gate.POLICY_DIGEST]


def test_a_report_replayed_from_a_bundle_is_refused(policy: gate.GatePolicy,
                                                   report_factory: Factory) -> None:
    inspection = gate.inspect(report_factory("nonce-1", source_kind="bundle"), policy, MONDAY)
    assert rules(inspection) == [gate.NOT_LIVE]


def test_a_report_without_a_challenge_is_refused(policy: gate.GatePolicy,
                                                 report_factory: Factory) -> None:
    inspection = gate.inspect(report_factory(None), policy, MONDAY)
    assert rules(inspection) == [gate.CHALLENGE_MISSING]
    assert "--challenge" in inspection.reasons[0].render("ja")


def test_every_broken_rule_is_listed_at_once(policy: gate.GatePolicy,
                                             report_factory: Factory) -> None:
    report = report_factory(None, created=MONDAY - timedelta(hours=2),
                            statuses={"os.support": Status.FAIL})
    assert sorted(rules(gate.inspect(report, policy, MONDAY))) == sorted(
        [gate.STALE, gate.CHALLENGE_MISSING, gate.CHECK_FAILED])


def test_every_refusal_has_a_japanese_and_an_english_message() -> None:
    for rule in (gate.CHALLENGE_UNKNOWN, gate.CHALLENGE_EXPIRED, gate.CHALLENGE_USED,
                 gate.CHALLENGE_OTHER_OFFICE):
        texts = gate.challenge_reason(rule).texts()
        assert texts["ja"] != texts["en"]
        assert "precheck" in texts["ja"]  # what to do: run precheck again


# -- the nonce, in the database -------------------------------------------------------------------

def _book(gateway: Any, session: Any, report: dict[str, Any], office: str = "namerikawa",
          email: str = FORM["email"]) -> Any:
    form = BookingForm(start=THURSDAY_1000, **{**FORM, "email": email})
    return gateway.create_booking(session, office, form, report, MONDAY)


def _refused(gateway: Any, session: Any, report: dict[str, Any], **options: Any) -> list[str]:
    with pytest.raises(gate.GateRejected) as refused:
        _book(gateway, session, report, **options)
    assert session.execute(select(Booking.id)).first() is None
    return [reason.rule for reason in refused.value.reasons]


def test_a_reused_nonce_is_refused(gateway: Any, session: Any, report_factory: Factory) -> None:
    issued = gateway.issue_challenge(session, "namerikawa", MONDAY)
    _book(gateway, session, report_factory(issued.nonce))
    another = report_factory(issued.nonce, created=MONDAY - timedelta(minutes=1))
    form = BookingForm(start=THURSDAY_1000 + timedelta(minutes=30), **FORM)
    with pytest.raises(gate.GateRejected) as refused:
        gateway.create_booking(session, "namerikawa", form, another, MONDAY)
    assert [r.rule for r in refused.value.reasons] == [gate.CHALLENGE_USED]


def test_a_nonce_the_gateway_never_issued_is_refused(
        gateway: Any, session: Any, report_factory: Factory) -> None:
    assert _refused(gateway, session, report_factory("made-up-nonce")) == [
        gate.CHALLENGE_UNKNOWN]


def test_an_expired_nonce_is_refused(gateway: Any, session: Any,
                                     report_factory: Factory) -> None:
    issued = gateway.issue_challenge(session, "namerikawa", MONDAY - timedelta(minutes=15))
    assert issued.expires_at == MONDAY
    assert _refused(gateway, session, report_factory(issued.nonce)) == [gate.CHALLENGE_EXPIRED]


def test_a_nonce_of_another_office_is_refused(gateway: Any, session: Any,
                                              report_factory: Factory) -> None:
    issued = gateway.issue_challenge(session, "kagoshima", MONDAY)
    assert _refused(gateway, session, report_factory(issued.nonce)) == [
        gate.CHALLENGE_OTHER_OFFICE]


def test_a_refused_report_lists_its_nonce_problem_too_and_keeps_the_nonce(
        gateway: Any, session: Any, report_factory: Factory) -> None:
    issued = gateway.issue_challenge(session, "namerikawa", MONDAY)
    failing = report_factory(issued.nonce, statuses={"security.firewall": Status.FAIL})
    assert _refused(gateway, session, failing) == [gate.CHECK_FAILED]
    assert session.execute(select(Challenge.used_at)).scalar_one() is None
    unknown = report_factory("never-issued", statuses={"security.firewall": Status.FAIL})
    assert _refused(gateway, session, unknown) == [gate.CHECK_FAILED, gate.CHALLENGE_UNKNOWN]


def test_nonces_carry_at_least_128_bits_and_are_stored_hashed(
        gateway: Any, session: Any) -> None:
    nonces = {gateway.issue_challenge(session, "namerikawa", MONDAY).nonce for _ in range(50)}
    assert len(nonces) == 50
    assert all(len(n) >= 22 for n in nonces)  # 128 bits in base64url is 22 characters
    stored = set(session.execute(select(Challenge.nonce_hash)).scalars())
    assert stored == {hashlib.sha256(n.encode()).hexdigest() for n in nonces}


def test_the_report_and_its_digest_are_stored_with_the_booking(
        gateway: Any, session: Any, report_factory: Factory) -> None:
    issued = gateway.issue_challenge(session, "namerikawa", MONDAY)
    report = report_factory(issued.nonce)
    booking = _book(gateway, session, report).booking
    row = session.execute(select(Booking)).scalar_one()
    assert row.report == report
    assert booking.report_digest == "sha256:" + hashlib.sha256(
        canonical_bytes(report)).hexdigest()
    assert row.key_id == report["signature"]["key_id"]

"""Signing and verifying: any change to a signed report is caught, with a specific reason."""

from __future__ import annotations

import base64
import copy
import re
from collections.abc import Iterator
from typing import Any

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from precheck.errors import PrecheckError
from precheck.reports import errors, schema
from precheck.reports.signing import (
    SIGNING_CONTEXT,
    Identity,
    ReportInvalid,
    b64url,
    key_id_of,
    sign,
    signed_bytes,
    verify,
)
from tests.reports.samples import memory_identity, signed_live_report

Path_ = tuple[str | int, ...]


def leaves(node: Any, prefix: Path_ = ()) -> Iterator[Path_]:
    """Every scalar in a document, and every empty object or array, by its path."""
    if isinstance(node, dict) and node:
        for key, value in node.items():
            yield from leaves(value, (*prefix, key))
    elif isinstance(node, list) and node:
        for index, value in enumerate(node):
            yield from leaves(value, (*prefix, index))
    else:
        yield prefix


def changed(value: Any) -> Any:
    """A different value of the same kind (an empty container gains a member)."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value + 0.5
    if isinstance(value, str):
        return value[:-1] + ("y" if value.endswith("x") else "x") if value else "x"
    if isinstance(value, list):
        return ["x"]
    if isinstance(value, dict):
        return {"x": 1}
    return "x"  # null


def get(doc: Any, path: Path_) -> Any:
    for part in path:
        doc = doc[part]
    return doc


def put(doc: Any, path: Path_, value: Any) -> None:
    get(doc, path[:-1])[path[-1]] = value


LEAVES = list(leaves(signed_live_report()))


def defined_members(node: Any) -> set[str]:
    """Every member name a JSON Schema defines, at any depth."""
    if isinstance(node, dict):
        found = set(node.get("properties") or ())
        return found.union(*(defined_members(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(defined_members(value) for value in node))
    return set()


def test_the_sample_covers_every_part_of_the_format() -> None:
    """The tampering test below changes each leaf of this sample, so the sample must hold every
    member the schema defines, filled-in evidence, nested message arguments and every JSON type."""
    doc = signed_live_report()
    members = {part for path in LEAVES for part in path if isinstance(part, str)}
    assert defined_members(schema.schema()) - members == set()
    assert any(len(path) > 3 and path[0] == "checks" and path[2] == "evidence" for path in LEAVES)
    assert any(path.count("args") == 2 for path in LEAVES)
    assert {type(get(doc, path)) for path in LEAVES} >= {bool, int, float, str, type(None)}


def test_a_signed_report_verifies(signed: dict[str, Any], identity: Identity) -> None:
    verified = verify(signed, expected_key_id=identity.key_id)
    assert verified.key_id == identity.key_id
    assert verified.public_key == identity.public_key_b64
    assert verified.report.verdict == signed["verdict"]
    assert [c.id for c in verified.report.checks] == [c["id"] for c in signed["checks"]]


def test_the_signature_is_ed25519_over_the_context_line_and_rfc8785(
        signed: dict[str, Any]) -> None:
    """The format as a gateway in another language implements it, with no code of ours."""
    content = {k: v for k, v in signed.items() if k != "signature"}
    key = Ed25519PublicKey.from_public_bytes(_unb64(signed["signature"]["public_key"]))
    value = _unb64(signed["signature"]["value"])
    key.verify(value, b"precheck-report-v1\n" + rfc8785.dumps(content))  # raises if wrong
    assert SIGNING_CONTEXT == b"precheck-report-v1\n"
    assert signed_bytes(signed) == SIGNING_CONTEXT + rfc8785.dumps(content)


@pytest.mark.parametrize("path", LEAVES, ids=["/".join(map(str, p)) for p in LEAVES])
def test_changing_any_value_is_detected(path: Path_) -> None:
    doc = signed_live_report()
    verify(doc)
    put(doc, path, changed(get(doc, path)))
    with pytest.raises(ReportInvalid):
        verify(doc)


@pytest.mark.parametrize("member", ["challenge", "hostname", "checks"])
def test_adding_or_removing_a_member_is_detected(member: str) -> None:
    doc = signed_live_report()
    if member in doc:
        del doc[member]
    else:
        doc[member] = "pc-01"
    with pytest.raises(ReportInvalid):
        verify(doc)


def test_changed_content_that_is_still_well_formed_fails_the_signature() -> None:
    doc = signed_live_report()
    doc["checks"][0]["evidence"]["tampered"] = True
    with pytest.raises(ReportInvalid, match="does not match the content"):
        verify(doc)


def test_a_replaced_signature_value_is_detected(signed: dict[str, Any],
                                                identity: Identity) -> None:
    other = sign({**signed, "challenge": "another"}, identity)
    signed["signature"]["value"] = other["signature"]["value"]
    with pytest.raises(ReportInvalid, match="does not match the content"):
        verify(signed)


def test_another_public_key_with_its_own_key_id_is_detected(signed: dict[str, Any]) -> None:
    stranger = memory_identity()
    signed["signature"]["public_key"] = stranger.public_key_b64
    signed["signature"]["key_id"] = stranger.key_id
    with pytest.raises(ReportInvalid, match="does not match the content"):
        verify(signed)


def test_a_key_id_that_is_not_the_keys_is_detected(signed: dict[str, Any]) -> None:
    signed["signature"]["key_id"] = memory_identity().key_id
    with pytest.raises(ReportInvalid, match=r"key_id k1-\w+ does not match the public key"):
        verify(signed)


@pytest.mark.parametrize(("member", "length"), [("public_key", 32), ("value", 64)])
def test_a_non_canonical_base64_encoding_is_malformed(signed: dict[str, Any], member: str,
                                                       length: int) -> None:
    """The unused low bits of the last character must be zero: no two strings mean one key."""
    text = signed["signature"][member]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    twin = text[:-1] + alphabet[alphabet.index(text[-1]) ^ 1]
    assert base64.urlsafe_b64decode(twin + "=" * (-len(twin) % 4)) == _unb64(text)
    assert len(_unb64(text)) == length
    signed["signature"][member] = twin
    with pytest.raises(ReportInvalid, match=f"signature/{member} is malformed"):
        verify(signed)


@pytest.mark.parametrize(("mutate", "reason"), [
    (lambda d: d.pop("signature"), "not signed"),
    (lambda d: d.update(signature=None), "not signed"),
    (lambda d: d["signature"].update(alg="RS256"), "unknown signature algorithm 'RS256'"),
    (lambda d: d["signature"].pop("alg"), "unknown signature algorithm None"),
    (lambda d: d["signature"].update(public_key="abc"), "signature/public_key: 'abc' does not"),
    (lambda d: d["signature"].update(value=""), "signature/value: '' does not match"),
    (lambda d: d["signature"].pop("key_id"), "signature: 'key_id' is a required property"),
    (lambda d: d["checks"][0].update(status="passed"),
     "checks/0/status: 'passed' is not one of"),
    (lambda d: d.update(verdict="pass"), "verdict is 'pass', but the checks give"),
], ids=["no-signature", "null-signature", "unknown-alg", "no-alg", "short-key", "empty-value",
        "no-key-id", "bad-status", "inconsistent-verdict"])
def test_each_reason_is_one_specific_line(mutate: Any, reason: str) -> None:
    doc = signed_live_report()
    mutate(doc)
    with pytest.raises(ReportInvalid) as caught:
        verify(doc)
    message = str(caught.value)
    assert reason in message
    assert "\n" not in message


def test_a_report_resigned_with_another_key_verifies_but_not_as_the_expected_device(
        signed: dict[str, Any], identity: Identity) -> None:
    stranger = memory_identity()
    resigned = sign(signed, stranger)
    assert verify(resigned).key_id == stranger.key_id
    with pytest.raises(ReportInvalid, match=re.escape(f"not the expected {identity.key_id}")):
        verify(resigned, expected_key_id=identity.key_id)
    assert verify(signed, expected_key_id=identity.key_id).key_id == identity.key_id


def test_sign_replaces_an_old_signature_and_leaves_its_input_alone(
        signed: dict[str, Any]) -> None:
    before = copy.deepcopy(signed)
    stranger = memory_identity()
    resigned = sign(signed, stranger)
    assert signed == before
    assert resigned["signature"]["key_id"] == stranger.key_id
    assert {k: v for k, v in resigned.items() if k != "signature"} == {
        k: v for k, v in signed.items() if k != "signature"}


def test_sign_refuses_a_document_that_is_not_a_report(unsigned: dict[str, Any],
                                                      identity: Identity) -> None:
    unsigned["hostname"] = "pc-01"
    with pytest.raises(ReportInvalid, match="'hostname' was unexpected"):
        sign(unsigned, identity)


def test_signing_and_schema_raise_the_one_report_error() -> None:
    assert ReportInvalid is errors.ReportInvalid is schema.ReportInvalid
    assert issubclass(ReportInvalid, PrecheckError)


def test_key_id_is_derived_from_the_raw_public_key(identity: Identity) -> None:
    assert re.fullmatch(r"k1-[0-9a-f]{32}", identity.key_id)
    assert identity.key_id == key_id_of(identity.public_key_raw)
    assert _unb64(identity.public_key_b64) == identity.public_key_raw
    assert b64url(identity.public_key_raw) == identity.public_key_b64
    assert "=" not in identity.public_key_b64


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

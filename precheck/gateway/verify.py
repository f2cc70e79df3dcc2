"""The fast path of the gate's report verification (gate.inspect falls back to
``precheck.reports.signing.verify``).

``precheck.reports.signing.verify`` validates with pure-Python jsonschema (8 ms for 8 KB) and
computes the RFC 8785 form for the signature, and the gate computed it again for the digest.
Here the cheap checks come first and each expensive part runs once: a compiled validator of
the same schema (jsonschema-rs, 0.1 ms), the pydantic model, the public key parsed once per
key, and one canonical form per top-level member, from which both the signed bytes (without
``signature``) and the digest's bytes (with it) are joined. Anything the fast path does not
accept goes through ``verify``, whose jsonschema run then only explains the refusal.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping
from typing import Any


@functools.cache
def _compiled_schema() -> Any:
    try:
        import jsonschema_rs
    except ImportError:  # the job seeker's install: only the gateway extra brings it
        return None
    from precheck.reports.schema import schema

    return jsonschema_rs.Draft202012Validator(schema())


@functools.lru_cache(maxsize=4096)
def _public_key(raw: bytes) -> Any:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    return Ed25519PublicKey.from_public_bytes(raw)


def _b64url_exact(text: object, length: int) -> bytes | None:
    """The bytes of ``text`` if it is the one unpadded base64url encoding of ``length`` bytes."""
    import base64
    import binascii

    if not isinstance(text, str) or not text.isascii():
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    if len(raw) != length or base64.urlsafe_b64encode(raw).rstrip(b"=").decode() != text:
        return None
    return raw


def verify_fast(report: Mapping[str, Any]) -> tuple[Any, str] | None:
    """The verified report and its digest, or None when the full path must decide (it then
    refuses, or accepts what this path cannot judge)."""
    from cryptography.exceptions import InvalidSignature
    from pydantic import ValidationError

    from precheck.reports.canonical import canonical_members, member_order
    from precheck.reports.model import Report
    from precheck.reports.signing import SIGNING_CONTEXT, VerifiedReport, key_id_of

    validator = _compiled_schema()
    envelope = report.get("signature")
    if validator is None or not isinstance(envelope, Mapping) or envelope.get("alg") != "Ed25519":
        return None
    if not validator.is_valid(report):
        return None
    try:
        model = Report.model_validate(report)
    except ValidationError:
        return None
    raw_key = _b64url_exact(envelope.get("public_key"), 32)
    raw_value = _b64url_exact(envelope.get("value"), 64)
    if raw_key is None or raw_value is None or key_id_of(raw_key) != envelope.get("key_id"):
        return None
    members = canonical_members(report)
    order = sorted(members, key=member_order)
    unsigned = b"{" + b",".join(members[k] for k in order if k != "signature") + b"}"
    whole = b"{" + b",".join(members[k] for k in order) + b"}"
    try:
        _public_key(raw_key).verify(raw_value, SIGNING_CONTEXT + unsigned)
    except (InvalidSignature, ValueError):
        return None
    verified = VerifiedReport(model, report, str(envelope["key_id"]),
                              str(envelope["public_key"]))
    return verified, "sha256:" + hashlib.sha256(whole).hexdigest()

"""The canonical byte form of a report: RFC 8785, the JSON Canonicalization Scheme (JCS).

JCS sorts object members by their UTF-16 code units, writes strings with minimal escaping and
numbers the way ECMAScript does (``1.0`` becomes ``1``, ``1e21`` stays ``1e+21``), so any JSON
implementation that parses the document gets back the same bytes. Floats are fine (evidence such
as a CPU load of ``12.5`` is signed as written); NaN and the infinities are not JSON and are
rejected, as are integers beyond the I-JSON range (+-2**53-1), which JavaScript cannot hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import rfc8785


def canonical_bytes(doc: Mapping[str, Any]) -> bytes:
    """The RFC 8785 form of ``doc``; ValueError names what cannot be canonicalised."""
    try:
        encoded: bytes = rfc8785.dumps(_plain(doc))
    except rfc8785.CanonicalizationError as exc:
        msg = f"the document cannot be put in canonical JSON form: {exc}"
        raise ValueError(msg) from exc
    return encoded


def _plain(value: Any) -> Any:
    """Mappings and tuples as the dicts and lists rfc8785 accepts (e.g. a MappingProxyType)."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value

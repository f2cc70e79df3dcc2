"""The canonical byte form of a report: RFC 8785, the JSON Canonicalization Scheme (JCS).

JCS sorts object members by their UTF-16 code units, writes strings with minimal escaping and
numbers the way ECMAScript does (``1.0`` becomes ``1``, ``1e21`` stays ``1e+21``), so any JSON
implementation that parses the document gets back the same bytes. Floats are fine (evidence such
as a CPU load of ``12.5`` is signed as written); NaN and the infinities are not JSON and are
rejected, as are integers beyond the I-JSON range (+-2**53-1), which JavaScript cannot hold.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import rfc8785

#: JavaScript's safe integers (I-JSON): rfc8785 refuses integers beyond them.
_MAX_SAFE = 2**53 - 1


def canonical_bytes(doc: Mapping[str, Any]) -> bytes:
    """The RFC 8785 form of ``doc``; ValueError names what cannot be canonicalised.

    Documents whose every number, string and key Python's own JSON encoder writes exactly as
    RFC 8785 does (see :func:`_fast`) take that encoder (C, about 40 times faster);
    every other document goes through ``rfc8785``. The two agree byte for byte on the first
    kind (tests/reports: a property test over generated documents).
    """
    fast = _fast(doc)
    if fast is not None:
        return fast
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


def canonical_members(doc: Mapping[str, Any]) -> dict[str, bytes]:
    """Each top-level member of ``doc`` in RFC 8785 form (``"key":value``), by key.

    The canonical form of ``doc``, or of ``doc`` less some members, is ``{`` + the members
    sorted by :func:`member_order` and joined by ``,`` + ``}``: one pass serves several forms
    (the signed bytes without ``signature``, the digest with it).
    """
    members: dict[str, bytes] = {}
    for key, value in doc.items():
        member = {key: value}
        members[key] = (_fast(member) or canonical_bytes(member))[1:-1]
    return members


def member_order(key: str) -> bytes:
    """The sort key of RFC 8785: the UTF-16 code units of the member's name."""
    return key.encode("utf-16-be", "surrogatepass")


#: In Python's JSON output: a string (skipped) or a number (checked).
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|-?[0-9][0-9.eE+-]*')


def _fast(value: Any) -> bytes | None:
    """``value`` by Python's JSON encoder when that is its RFC 8785 form, else None.

    The two agree on strings (the same short escapes and lower-case ``\\u00xx`` for the other
    control characters, nothing else escaped; a lone surrogate fails to encode here), on
    booleans and null, on integers within +-2**53-1, and on floats that Python writes without
    an exponent (then both write the shortest round-trip digits in plain notation; an integral
    float, ``1.0`` in Python, is rewritten as JavaScript writes it, ``1``; Python switches to
    exponents sooner, and those go to rfc8785). Keys sort alike when no character lies beyond
    U+FFFF (Python sorts by code point, RFC 8785 by UTF-16 code unit). Anything else (another
    mapping type, NaN, an exponent, a character beyond U+FFFF anywhere) returns None and goes
    to ``rfc8785``.
    """
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True,
                          allow_nan=False)
        encoded = text.encode("utf-8")
    except (UnicodeEncodeError, ValueError, TypeError, RecursionError):
        return None
    if len(encoded) != len(text) and max(text) > "\uffff":
        return None
    unsafe = False

    def number(match: re.Match[str]) -> str:
        nonlocal unsafe
        token = match[0]
        if token[0] == '"':
            return token
        if "e" in token or "E" in token:
            unsafe = True
        elif token.endswith(".0"):  # an integral float: JavaScript writes 1, and 0 for -0.0
            whole = token[:-2]
            if abs(int(whole)) > _MAX_SAFE:
                unsafe = True
            return "0" if whole == "-0" else whole
        elif "." not in token and len(token) > 15 and abs(int(token)) > _MAX_SAFE:
            unsafe = True
        return token

    if b"." not in encoded and b"e" not in encoded and b"E" not in encoded:
        return encoded if _ints_safe(text) else None
    rewritten = _TOKENS.sub(number, text)
    return None if unsafe else rewritten.encode("utf-8")


def _ints_safe(text: str) -> bool:
    """True when no integer of the JSON text ``text`` lies beyond +-2**53-1."""
    return all(token[0] == '"' or len(token) <= 15 or abs(int(token)) <= _MAX_SAFE
               for token in _TOKENS.findall(text))

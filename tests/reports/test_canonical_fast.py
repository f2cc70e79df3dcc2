"""The fast canonical form (Python's JSON encoder where it writes RFC 8785) is byte for byte
rfc8785's, over generated JSON documents and the awkward cases by name."""

from __future__ import annotations

from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from precheck.reports.canonical import _plain, canonical_bytes, canonical_members, member_order

# Every JSON value: text with control characters, characters beyond U+FFFF and lone surrogates;
# integers past 2**53; floats of every magnitude (NaN and infinities are not JSON).
scalars = (st.none() | st.booleans() | st.integers(-(2**60), 2**60)
           | st.floats(allow_nan=False, allow_infinity=False)
           | st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF)))
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(
        st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=5),
        inner, max_size=5),
    max_leaves=30)


def reference(value: Any) -> bytes | str:
    try:
        return bytes(rfc8785.dumps(_plain(value)))
    except (rfc8785.CanonicalizationError, ValueError, UnicodeError) as exc:
        return type(exc).__name__


def ours(value: Any) -> bytes | str:
    try:
        return canonical_bytes(value)
    except ValueError:
        return "error"


@settings(max_examples=600, deadline=None)
@given(st.dictionaries(st.text(max_size=8), documents, max_size=6))
def test_the_fast_form_is_rfc8785s(document: dict[str, Any]) -> None:
    expected = reference(document)
    found = ours(document)
    if isinstance(expected, str):
        assert found == "error"
    else:
        assert found == expected


@pytest.mark.parametrize("value", [
    1.0, -0.0, 1e-5, 1e-7, 1e16, 1e21, 123456789012345.6, 0.1, 2**53 - 1, 2**53, -(2**53),
    "\x00\x1f\x7f\u2028\ud800", "😀", {"😀": 1, "\uffff": 2, "a": 3},
])
def test_awkward_values(value: Any) -> None:
    expected = reference({"v": value})
    assert ours({"v": value}) == (expected if isinstance(expected, bytes) else "error")


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(max_size=8), documents, min_size=1, max_size=6))
def test_members_join_to_the_whole_and_to_any_part(document: dict[str, Any]) -> None:
    if isinstance(reference(document), str):
        return
    members = canonical_members(document)
    order = sorted(members, key=member_order)
    assert b"{" + b",".join(members[k] for k in order) + b"}" == reference(document)
    first = order[0]
    rest = {k: v for k, v in document.items() if k != first}
    assert b"{" + b",".join(members[k] for k in order[1:]) + b"}" == reference(rest)

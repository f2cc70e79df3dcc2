"""The canonical form is RFC 8785, floats included."""

from __future__ import annotations

import math
from types import MappingProxyType
from typing import Any

import pytest

from precheck.reports.canonical import canonical_bytes


@pytest.mark.parametrize(("doc", "expected"), [
    ({"b": 1, "a": [True, None, "x"]}, b'{"a":[true,null,"x"],"b":1}'),
    ({"cpu": 12.5, "one": 1.0, "big": 1e21, "small": 1e-7},
     b'{"big":1e+21,"cpu":12.5,"one":1,"small":1e-7}'),
    ({"ja": "予約", "esc": "a\"\n"}, '{"esc":"a\\"\\n","ja":"予約"}'.encode()),
    # RFC 8785 sorts by UTF-16 code units: U+1F600 (a surrogate pair) sorts before U+FFFD.
    ({"\ufffd": 1, "\U0001f600": 2}, '{"\U0001f600":2,"\ufffd":1}'.encode()),
    (MappingProxyType({"t": (1, 2)}), b'{"t":[1,2]}'),
], ids=["order", "floats", "strings", "utf16-order", "mapping-and-tuple"])
def test_canonical_bytes(doc: Any, expected: bytes) -> None:
    assert canonical_bytes(doc) == expected


@pytest.mark.parametrize("bad", [math.nan, math.inf, 2**53])
def test_values_json_cannot_carry_are_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="canonical JSON"):
        canonical_bytes({"x": bad})

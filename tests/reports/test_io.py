"""Reading a report file: every way it can be wrong gives one line that says which."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from precheck.errors import InputError
from precheck.reports.io import MAX_BYTES, load_document


@pytest.mark.parametrize(("content", "reason"), [
    (None, "no such file"),
    (b"\xff\xfe{}", "is not UTF-8 text"),
    (b'{"a": 1', "is not JSON: Expecting"),
    (b"", "is not JSON"),
    (b"[1, 2]", "holds a JSON array, not an object"),
    (b'"report"', "holds a JSON string, not an object"),
    (b"null", "holds a JSON null, not an object"),
    (b'{"a": 1, "a": 2}', "the key 'a' appears twice"),
    (b'{"a": NaN}', "NaN is not a JSON number"),
    (b'{"a": "' + b"x" * MAX_BYTES + b'"}', "is larger than 5 MiB"),
], ids=["missing", "not-utf8", "truncated", "empty", "array", "string", "null", "duplicate-key",
        "nan", "too-large"])
def test_bad_files(tmp_path: Path, content: bytes | None, reason: str) -> None:
    path = tmp_path / "report.json"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        load_document(path)
    message = str(caught.value)
    assert reason in message
    assert str(path) in message
    assert "\n" not in message


def test_a_folder_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a folder"):
        load_document(tmp_path)


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["plain", "notepad-bom"])
def test_a_report_round_trips(tmp_path: Path, signed: dict[str, Any], bom: bytes) -> None:
    path = tmp_path / "report.json"
    path.write_bytes(bom + json.dumps(signed, ensure_ascii=False, indent=2).encode())
    assert load_document(path) == signed


def test_exactly_the_limit_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    filler = MAX_BYTES - len(b'{"a": ""}')
    path.write_bytes(b'{"a": "' + b"x" * filler + b'"}')
    assert len(load_document(path)["a"]) == filler

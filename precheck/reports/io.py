"""Reading a report (or any JSON document precheck is handed) from a file, strictly.

Refused with a one-line InputError: a missing or unreadable file, anything but a regular file (a
FIFO or a device: never a hang, see :mod:`precheck.inputs`), more than 5 MiB, text that is
not UTF-8 (a UTF-8 byte-order mark, as Windows Notepad writes, is allowed), anything that is not
JSON, duplicate object keys (two parsers could read different values, and only one was signed),
NaN or Infinity (not JSON), JSON nested more than 64 levels deep, and JSON that is not an object.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from precheck.errors import InputError
from precheck.inputs import loads_strict, open_regular, read_limited

if TYPE_CHECKING:
    from pathlib import Path

MAX_BYTES = 5 * 1024 * 1024


def load_document(path: Path) -> dict[str, Any]:
    """The JSON object in ``path``."""
    with open_regular(path) as file:
        raw = read_limited(file, MAX_BYTES, f"{path}")
    return parse_document(raw, str(path))


def parse_document(raw: bytes, name: str) -> dict[str, Any]:
    """The JSON object in ``raw`` (the bytes of the file ``name``), by the rules above."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        msg = f"{name} is not UTF-8 text (invalid byte at offset {exc.start})"
        raise InputError(msg) from None
    data = loads_strict(text, name)
    if not isinstance(data, dict):
        msg = f"{name} holds a JSON {_json_type(data)}, not an object"
        raise InputError(msg)
    return data


def _json_type(value: object) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return "number"

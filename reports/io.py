"""Reading a report (or any JSON document precheck is handed) from a file, strictly.

Refused with a one-line InputError: a missing or unreadable file, more than 5 MiB, text that is
not UTF-8 (a UTF-8 byte-order mark, as Windows Notepad writes, is allowed), anything that is not
JSON, duplicate object keys (two parsers could read different values, and only one was signed),
NaN or Infinity (not JSON), and JSON that is not an object.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, NoReturn

from precheck.errors import InputError

if TYPE_CHECKING:
    from pathlib import Path

MAX_BYTES = 5 * 1024 * 1024


def load_document(path: Path) -> dict[str, Any]:
    """The JSON object in ``path``."""
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_BYTES + 1)
    except FileNotFoundError:
        msg = f"{path}: no such file"
        raise InputError(msg) from None
    except IsADirectoryError:
        msg = f"{path} is a folder, not a file"
        raise InputError(msg) from None
    except OSError as exc:
        msg = f"cannot read {path}: {exc.strerror or exc}"
        raise InputError(msg) from exc
    if len(raw) > MAX_BYTES:
        msg = f"{path} is larger than {MAX_BYTES // (1024 * 1024)} MiB: it is not a precheck report"
        raise InputError(msg)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        msg = f"{path} is not UTF-8 text (invalid byte at offset {exc.start})"
        raise InputError(msg) from None
    try:
        data = json.loads(text, object_pairs_hook=_object, parse_constant=_constant)
    except json.JSONDecodeError as exc:
        msg = f"{path} is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        raise InputError(msg) from None
    except ValueError as exc:  # from the hooks below
        msg = f"{path} is not valid JSON: {exc}"
        raise InputError(msg) from None
    if not isinstance(data, dict):
        msg = f"{path} holds a JSON {_json_type(data)}, not an object"
        raise InputError(msg)
    return data


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            msg = f"the key {key!r} appears twice in one object"
            raise ValueError(msg)
        result[key] = value
    return result


def _constant(name: str) -> NoReturn:
    msg = f"{name} is not a JSON number"
    raise ValueError(msg)


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

"""The published JSON Schema of report format version 1 (``report.schema.json``).

The schema checks the shape of a report; :mod:`precheck.reports.model` adds the rules between fields
(verdict and ``blocking`` agree with the checks). ``validate`` reports the first error with its
JSON path, e.g. ``checks/0/status: 'passed' is not one of ['pass', ...]``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources
from typing import Any

import jsonschema

from precheck.reports.errors import ReportInvalid

__all__ = ["ReportInvalid", "schema", "validate"]


def schema() -> dict[str, Any]:
    """The schema as a fresh dict (safe to modify)."""
    loaded: dict[str, Any] = json.loads(_schema_text())
    return loaded


@cache
def _schema_text() -> str:
    return resources.files("precheck.reports").joinpath("report.schema.json").read_text("utf-8")


@cache
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema())


def validate(doc: object) -> None:
    """Raise ReportInvalid naming the first schema error's path; return None when valid."""
    if not isinstance(doc, Mapping):
        msg = f"a report is a JSON object, not {type(doc).__name__}"
        raise ReportInvalid(msg)
    errors = list(_validator().iter_errors(doc))
    if errors:
        first = min(errors, key=lambda e: [_path_key(p) for p in e.absolute_path])
        message = first.message
        if first.validator == "pattern" and list(first.absolute_path) == ["created"]:
            # The calendar pattern is long: say what it means instead of quoting it.
            message = (f"{first.instance!r} is not a real date and time in UTC of the form "
                       "2026-11-23T01:02:03Z")
        raise ReportInvalid(f"{path_of(first.absolute_path)}: {message}")


def path_of(parts: Iterable[str | int]) -> str:
    """A JSON path as ``checks/0/status``; the whole document is ``(top level)``."""
    joined = "/".join(str(p) for p in parts)
    return joined or "(top level)"


def _path_key(part: str | int) -> tuple[int, int, str]:
    # Siblings share a type (object keys or array indexes); sort indexes as numbers.
    return (0, part, "") if isinstance(part, int) else (1, 0, part)

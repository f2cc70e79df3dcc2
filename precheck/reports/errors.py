"""The report package's one error: a document that is not a valid, authentic report."""

from __future__ import annotations

from precheck.errors import PrecheckError


class ReportInvalid(PrecheckError):
    """A report is malformed, unsigned, or its signature does not hold. The message is one line."""

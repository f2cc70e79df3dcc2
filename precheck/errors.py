"""The one exception family of precheck. Every message says what to do about it."""

from __future__ import annotations


class PrecheckError(Exception):
    """Base of every error precheck reports to a person (never shown as a traceback)."""


class InputError(PrecheckError):
    """A file or argument given to precheck is unreadable or malformed (exit status 2)."""


class ProbeError(PrecheckError):
    """A probe could not get its answer from the OS (tool missing, timed out, denied)."""

    def __init__(self, probe: str, kind: str, message: str) -> None:
        super().__init__(f"{probe}: {message}")
        self.probe = probe
        self.kind = kind
        self.message = message


class ProbeMissing(ProbeError):
    """A replayed bundle holds no answer for this probe (it was not collected)."""

    def __init__(self, probe: str) -> None:
        super().__init__(probe, "missing", "the bundle has no recording of this probe")

"""The office the job seeker is checking for: which video app it uses.

Like the gateway to measure against (:func:`precheck.probes.network.use_gateway`), this answer
comes from outside the OS: the app records the chosen office's ``video_app`` (TeleOffice or Zoom,
from the office profile) before the checks run, so ``software.running`` never names the office's
own app, and a replayed bundle is judged the same way. Without an office (the command line, or a
bundle made before this fact existed) the answer is None and the policy's default applies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from precheck.errors import ProbeError, ProbeMissing

if TYPE_CHECKING:
    from precheck.system import System

VIDEO_APP_PROBE = "config:office_video_app"


def use_video_app(system: System, name: str | None) -> str | None:
    """Record the office's video app for this run (the first answer of a run stands)."""
    cleaned = name.strip() if name and name.strip() else None
    recorded = system.probe(VIDEO_APP_PROBE, lambda: cleaned)
    return recorded if isinstance(recorded, str) else None


def video_app(system: System) -> str | None:
    """The office's video app recorded for this run; None when no office was given."""
    try:
        raw = system.probe(VIDEO_APP_PROBE, lambda: None)
    except ProbeMissing:  # a bundle collected without an office: the policy's default applies
        return None
    if raw is not None and not isinstance(raw, str):
        raise ProbeError(VIDEO_APP_PROBE, "malformed", "the office's video app is not text")
    return raw

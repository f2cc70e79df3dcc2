"""macOS: AVFoundation cameras; the camera and microphone permission belongs to the app that
started precheck (Terminal, iTerm), and cannot be read without Full Disk Access."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from precheck.system import System

CAMERA_API = "AVFOUNDATION"


def camera_count(system: System) -> int | None:
    """Unknown before opening: OpenCV has no listing API on macOS."""
    return None


def consent(system: System, capability: str) -> bool | None:
    """Unknown: the TCC database is private. A denied camera does not open (OpenCV prints "not
    authorized to capture video"); a denied microphone records only zeros."""
    return None

"""Linux: cameras are V4L2 device nodes; there is no OS-wide camera or microphone switch."""

from __future__ import annotations

from typing import TYPE_CHECKING

from precheck.system import JSON

if TYPE_CHECKING:
    from precheck.system import System

#: OpenCV's V4L2 backend (GStreamer builds would pick GStreamer first and open slower).
CAMERA_API = "V4L2"
VIDEO_NODES_PROBE = "glob:/dev/video*"


def _list_video_nodes() -> JSON:
    from pathlib import Path

    return sorted(str(p) for p in Path("/dev").glob("video*"))


def parse_video_nodes(raw: JSON) -> int:
    """How many capture devices: the nodes, each camera counting once however many nodes.

    A UVC camera usually has two nodes (video0 for frames, video1 for metadata), so the count
    is of even-numbered nodes; that is a lower bound good enough to tell "none" from "some".
    """
    nodes = [str(n) for n in raw] if isinstance(raw, list) else []
    numbers = [int(n.removeprefix("/dev/video")) for n in nodes
               if n.removeprefix("/dev/video").isdigit()]
    return max(1, len([n for n in numbers if n % 2 == 0])) if numbers else 0


def camera_count(system: System) -> int | None:
    return parse_video_nodes(system.probe(VIDEO_NODES_PROBE, _list_video_nodes))


def consent(system: System, capability: str) -> bool | None:
    """Linux desktops have no OS privacy switch for devices (device-file permissions apply)."""
    return None

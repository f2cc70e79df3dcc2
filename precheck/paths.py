"""Where precheck keeps its per-installation files (signing key, device salt)."""

from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    """The user's data directory for precheck; ``PRECHECK_HOME`` overrides it.

    Windows: %LOCALAPPDATA%\\precheck; macOS: ~/Library/Application Support/precheck;
    Linux: $XDG_DATA_HOME/precheck (usually ~/.local/share/precheck).
    """
    override = os.environ.get("PRECHECK_HOME")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_data_dir("precheck", appauthor=False))

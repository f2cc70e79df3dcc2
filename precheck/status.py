"""How a command ends and what it reads and writes besides files (httpie's ``status.py``).

Both front-end CLIs (``precheck`` and ``precheck gateway``) return an :class:`ExitStatus` and
take an :class:`Environment`; keeping them here, apart from either CLI, means neither CLI imports
the other for its types.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TextIO

__all__ = ["Environment", "ExitStatus"]


class ExitStatus(IntEnum):
    """Exit codes (documented in the README)."""

    OK = 0  # every required check passed; or the command did what was asked
    CHECK_FAILED = 1  # a required check failed or could not tell; or a report is not intact
    USAGE = 2  # a usage or input error: bad option, unreadable or malformed file
    INTERNAL = 3  # a bug in precheck (details with --verbose)
    INTERRUPTED = 130  # Ctrl+C
    OUTPUT_CLOSED = 141  # the reader of the output went away (`| head`): 128 + SIGPIPE


@dataclass
class Environment:
    """What the CLI reads and writes besides files (injectable, so tests call the CLI directly)."""

    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))

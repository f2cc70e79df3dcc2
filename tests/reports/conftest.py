"""Fixtures: reports of this machine's real outcomes, and identities in a temporary folder."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from precheck.probes import OsInfo
from precheck.reports.signing import Identity, sign
from precheck.runner import Outcome
from tests.reports.samples import live_report, live_run


@pytest.fixture
def live() -> tuple[list[Outcome], OsInfo, str | None, datetime]:
    outcomes, os_info, machine, created = live_run()
    return list(outcomes), os_info, machine, created


@pytest.fixture
def identity(tmp_path: Path) -> Identity:
    return Identity.load_or_create(tmp_path / "identity")


@pytest.fixture
def unsigned(identity: Identity) -> dict[str, Any]:
    """A report of this machine's real outcomes and the synthetic ones."""
    return live_report(identity)


@pytest.fixture
def signed(unsigned: dict[str, Any], identity: Identity) -> dict[str, Any]:
    return sign(unsigned, identity)

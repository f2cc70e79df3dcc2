"""Replays a fixture bundle through the whole pipeline, as `precheck run --bundle` does."""

from __future__ import annotations

from pathlib import Path

from precheck import plugins
from precheck.result import Result
from precheck.testing import replay_bundle

BUNDLES = Path(__file__).resolve().parent / "fixtures" / "bundles"


def replayed_result(name: str, check_id: str) -> Result:
    """The result of ``check_id`` judging bundle ``name`` (checks share no state but the
    recorded answers, so judging it alone gives what a run of every check gives it)."""
    outcome, = replay_bundle(BUNDLES / name, plugins.load().select([check_id]))
    return outcome.result

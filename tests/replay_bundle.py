"""Replays a fixture bundle through the whole pipeline, as `precheck run --bundle` does."""

from __future__ import annotations

from pathlib import Path

from precheck import bundle as bundles
from precheck import plugins
from precheck import policy as policies
from precheck.result import Result
from precheck.session import evaluate

BUNDLES = Path(__file__).resolve().parent / "fixtures" / "bundles"


def replayed_result(name: str, check_id: str) -> Result:
    """The result of ``check_id`` when every installed check judges bundle ``name``."""
    outcomes = evaluate(plugins.load(), policies.builtin(), bundles.read(BUNDLES / name)).run()
    return next(o.result for o in outcomes if o.meta.id == check_id)

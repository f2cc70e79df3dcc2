"""precheck's pytest plugin: the fixtures and builders precheck's own tests use, for plugin authors.

pytest loads it through the ``pytest11`` entry point whenever precheck is installed (as pytest
ships ``pytester``), so a check plugin's tests get, with no conftest of their own:

* the ``replay`` fixture: a :class:`~precheck.api.Context` whose system answers from the probe
  records you give it (name -> JSON answer), on the platform you choose;
* ``make_bundle``: a fixture writing a real diagnostic bundle (the format ``precheck collect``
  writes) from such records, which ``precheck run --bundle`` and :func:`replay_bundle` read;
* :func:`run_check` and :func:`replay_bundle`: a check judged the way the runner judges it
  (a missing or failed probe becomes ``error``, never an exception).

Nothing here touches the machine: every answer comes from the records.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import pytest

from precheck import bundle as bundles
from precheck import policy as policies
from precheck.api import JSON, Check, Context, Platform, Policy, Result
from precheck.plugins import Catalog
from precheck.runner import Outcome, Runner
from precheck.system import Record, ReplayBackend, System

__all__ = [
    "BundleMaker", "ContextMaker", "context", "make_bundle", "records", "replay",
    "replay_bundle", "run_check", "write_bundle",
]

#: A probe that met an expected failure: probe name -> (kind, message), e.g.
#: ``{"cmd:df -P /": ("not_found", "df is not installed")}``.
Errors = Mapping[str, tuple[str, str]]
#: The probe that records when a run began (System.now()).
CLOCK = "clock:now"


def records(answers: Mapping[str, JSON], errors: Errors | None = None) -> dict[str, Record]:
    """Probe records from answers and expected failures (kinds: not_found, timeout, denied, ...)."""
    found = {name: Record(name, value=value) for name, value in answers.items()}
    for name, (kind, message) in (errors or {}).items():
        found[name] = Record(name, error_kind=kind, error_message=message)
    return found


def context(answers: Mapping[str, JSON], platform: Platform = Platform.LINUX,
            errors: Errors | None = None, *, policy: Policy | None = None,
            checks: Iterable[type[Check]] = ()) -> Context:
    """A context over recorded answers, judged by ``policy`` (default: the built-in policy) with
    the policy sections of the plugin ``checks`` (their ``policy_defaults``)."""
    chosen = policies.with_plugin_sections(policy or policies.builtin(), checks)
    return Context(System(ReplayBackend(platform, records(answers, errors))), chosen)


def run_check(check: type[Check], ctx: Context) -> Result:
    """``check``'s result on ``ctx`` as the runner gives it: with its time budget, probe failures
    turned into ``error`` and the platform rule applied (``skip`` elsewhere)."""
    outcome, = Runner(Catalog((check,), ()), ctx, parallel=1).run()
    return outcome.result


def write_bundle(path: Path, answers: Mapping[str, JSON], *,
                 platform: Platform = Platform.LINUX, errors: Errors | None = None,
                 checks: Iterable[str] = (), policy: Policy | None = None) -> Path:
    """A diagnostic bundle of the given answers at ``path`` (a .zip file, or an existing folder),
    collected for ``checks``, as ``precheck collect`` writes it. The run's clock (``clock:now``)
    is recorded as now unless ``answers`` holds it, so ``precheck run --bundle`` can date its
    report."""
    chosen = policy or policies.builtin()
    recorded = records({CLOCK: datetime.now(UTC).isoformat(), **answers}, errors)
    return bundles.write(path, platform, recorded.values(), checks=list(checks),
                         policy={"version": chosen.version, "digest": chosen.digest})


def replay_bundle(path: Path, checks: Iterable[type[Check]] | Catalog,
                  policy: Policy | None = None) -> list[Outcome]:
    """The outcomes of ``checks`` judging the bundle at ``path``, as ``precheck run --bundle``
    gives them (the bundle's platform, the plugin checks' policy sections in force)."""
    from precheck.session import evaluate

    catalog = checks if isinstance(checks, Catalog) else Catalog(tuple(checks), ())
    return evaluate(catalog, policy or policies.builtin(), bundles.read(path)).run()


class ContextMaker(Protocol):
    """The ``replay`` fixture's type."""

    def __call__(self, answers: Mapping[str, JSON], platform: Platform = ...,
                 errors: Errors | None = ..., *, policy: Policy | None = ...,
                 checks: Iterable[type[Check]] = ...) -> Context: ...


class BundleMaker(Protocol):
    """The ``make_bundle`` fixture's type."""

    def __call__(self, answers: Mapping[str, JSON], *, platform: Platform = ...,
                 errors: Errors | None = ..., checks: Iterable[str] = ...,
                 policy: Policy | None = ..., name: str = ...) -> Path: ...


@pytest.fixture
def replay() -> ContextMaker:
    """A context whose system answers from the given probe records (name -> value)."""
    return context


@pytest.fixture
def make_bundle(tmp_path_factory: pytest.TempPathFactory) -> BundleMaker:
    """Writes a diagnostic bundle of the given answers into a fresh folder; returns its path."""

    def make(answers: Mapping[str, JSON], *, platform: Platform = Platform.LINUX,
             errors: Errors | None = None, checks: Iterable[str] = (),
             policy: Policy | None = None, name: str = "bundle.zip") -> Path:
        folder = tmp_path_factory.mktemp("precheck-bundle")
        return write_bundle(folder / name, answers, platform=platform, errors=errors,
                            checks=checks, policy=policy)

    return make

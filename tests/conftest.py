"""Shared fixtures. Tests never touch the real user's data directory or language settings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from precheck import policy as policies
from precheck.api import Context
from precheck.system import JSON, Platform, Record, ReplayBackend, System


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory,
                   monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keys and salts go to a fresh folder per test, never to the developer's own."""
    home = tmp_path_factory.mktemp("precheck-home")
    monkeypatch.setenv("PRECHECK_HOME", str(home))
    monkeypatch.delenv("PRECHECK_LANG", raising=False)
    return home


@pytest.fixture
def replay() -> Callable[..., Context]:
    """A context whose system answers from the given probe records (name -> value)."""

    def make(answers: dict[str, JSON], platform: Platform = Platform.LINUX,
             errors: dict[str, tuple[str, str]] | None = None) -> Context:
        records = {name: Record(name, value=value) for name, value in answers.items()}
        for name, (kind, message) in (errors or {}).items():
            records[name] = Record(name, error_kind=kind, error_message=message)
        return Context(System(ReplayBackend(platform, records)), policies.builtin())

    return make

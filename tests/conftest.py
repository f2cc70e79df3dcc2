"""Shared fixtures. Tests never touch the real user's data directory or language settings.

``replay`` and ``make_bundle`` come from precheck's own pytest plugin, :mod:`precheck.testing`
(the kit plugin authors use), loaded through its ``pytest11`` entry point.
"""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory,
                   monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keys and salts go to a fresh folder per test, never to the developer's own."""
    home = tmp_path_factory.mktemp("precheck-home")
    monkeypatch.setenv("PRECHECK_HOME", str(home))
    monkeypatch.delenv("PRECHECK_LANG", raising=False)
    return home

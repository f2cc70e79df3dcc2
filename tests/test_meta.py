"""Meta-tests: every registered check has a test, a documentation entry and its translations."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from precheck import plugins
from tests.plugin_dist import OWN_DISTRIBUTION

ROOT = Path(__file__).resolve().parent.parent
_CATALOG = plugins.load()
#: precheck's own checks: a plugin installed beside precheck brings its own tests, docs and
#: catalogs, and is none of these tests' business.
CHECKS = tuple(c for c in _CATALOG.checks if _CATALOG.provider(c.id).package == OWN_DISTRIBUTION)


def test_the_own_checks_are_found() -> None:
    assert len(CHECKS) >= 17  # every built-in check (the scope above must not empty the tests)


def _test_sources() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests").rglob("test_*.py")
                     if p.name != "test_meta.py")


@pytest.mark.parametrize("check", CHECKS, ids=[c.id for c in CHECKS])
def test_every_check_has_a_test(check: type) -> None:
    # A test module imports the check's class from its module (tests run it, not just name it).
    module, name = check.__module__, check.__name__
    assert f"from {module} import {name}" in _test_sources(), f"no test imports {module}.{name}"


@pytest.mark.parametrize("check", CHECKS, ids=[c.id for c in CHECKS])
def test_every_check_is_documented(check: type) -> None:
    docs = (ROOT / "docs" / "checks.md").read_text(encoding="utf-8")
    assert f"## {check.id}: " in docs  # type: ignore[attr-defined]


@pytest.mark.parametrize("check", CHECKS, ids=[c.id for c in CHECKS])
def test_every_check_has_a_docstring_saying_why_and_how_to_fix(check: type) -> None:
    assert check.__doc__
    assert "Fix" in check.__doc__ or "fix" in check.__doc__


def test_every_message_is_translated_and_compiled() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "catalogs.py"), "check"],
                          capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr

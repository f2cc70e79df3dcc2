"""Plugin discovery through entry points, with real installed distributions on sys.path."""

from __future__ import annotations

from pathlib import Path

import pytest

from precheck import plugins
from precheck.api import Status, check_problems
from precheck.testing import ContextMaker
from tests.plugin_dist import vendor_distribution


def test_the_built_in_checks_are_found_through_their_entry_points() -> None:
    found = {ep.name: ep.value for ep in plugins.find()}
    assert found["power.battery"] == "precheck.checks.power:Battery"
    assert found["system.resources"] == "precheck.checks.resources:Resources"
    catalog = plugins.load()
    assert {"power.battery", "system.resources"} <= set(catalog.ids)
    assert catalog.failures == ()


@pytest.fixture
def vendor_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    site = vendor_distribution(tmp_path / "site")
    monkeypatch.syspath_prepend(str(site))
    return site


@pytest.mark.usefixtures("vendor_site")
def test_a_third_party_plugin_loads_like_a_built_in() -> None:
    catalog = plugins.load()
    assert "vendor.hello" in [c.id for c in catalog.checks]
    assert "power.battery" in [c.id for c in catalog.checks]


@pytest.mark.usefixtures("vendor_site")
def test_broken_plugins_are_reported_by_name_and_package() -> None:
    failures = {f.name: f for f in plugins.load().failures}
    assert set(failures) == {"vendor.broken", "vendor.bad_metadata", "vendor.misnamed"}
    assert failures["vendor.broken"].package == "precheck-vendor-checks"
    assert "ModuleNotFoundError" in failures["vendor.broken"].reason
    assert "article" in failures["vendor.bad_metadata"].reason
    assert "required" in failures["vendor.bad_metadata"].reason
    assert "vendor.hello" in failures["vendor.misnamed"].reason


def test_find_imports_nothing(vendor_site: Path) -> None:
    import sys

    names = [ep.name for ep in plugins.find()]
    assert "vendor.broken" in names
    assert "vendor_broken" not in sys.modules
    assert vendor_site.exists()


@pytest.mark.parametrize(
    ("attribute", "value", "complaint"),
    [
        ("id", "Security Firewall", "id"),
        ("id", "firewall", "id"),
        ("article", "5-4", "article"),
        ("article", "flyer:", "article"),
        ("article", "Vendor:disk space", "article"),
        ("needs", frozenset({"camera"}), "needs"),
        ("policy_defaults", [("min", 1)], "policy_defaults"),
        ("required", 1, "required"),
        ("title", " ", "title"),
        ("timeout_s", 0, "timeout_s"),
        ("timeout_s", 10_000, "timeout_s"),
        ("platforms", frozenset({"windows"}), "platforms"),
    ],
)
def test_metadata_validation(attribute: str, value: object, complaint: str) -> None:
    from precheck.checks.power import Battery

    bad = type("Bad", (Battery,), {attribute: value})
    problems = check_problems(bad)
    assert len(problems) == 1
    assert complaint in problems[0]


def test_the_built_in_checks_have_valid_metadata() -> None:
    for check in plugins.load().checks:
        assert check_problems(check) == [], check.id


def test_a_non_check_object_is_rejected() -> None:
    assert check_problems(print) == [f"{print!r} is not a subclass of precheck.api.Check"]


def test_an_installed_plugin_is_outside_the_meta_tests_scope(vendor_site: Path) -> None:
    """test_meta judges precheck's own checks only: a plugin brings its own tests and docs."""
    from tests.plugin_dist import OWN_DISTRIBUTION
    from tests.test_meta import CHECKS

    catalog = plugins.load()
    assert catalog.provider("vendor.hello").package == "precheck-vendor-checks"
    own = {c.id for c in catalog.checks if catalog.provider(c.id).package == OWN_DISTRIBUTION}
    assert "vendor.hello" not in own
    assert own == {c.id for c in CHECKS}
    assert vendor_site.exists()


@pytest.mark.parametrize("article", ["5(4)", "12", "flyer", "vendor:disk-space",
                                     "office:kagoshima-2026"])
def test_an_article_may_name_the_terms_the_flyer_or_another_source(article: str) -> None:
    from precheck.checks.power import Battery

    assert check_problems(type("Sourced", (Battery,), {"article": article})) == []


def test_the_readme_plugin_example_imports_the_api_and_a_fact_and_works(
        replay: ContextMaker) -> None:
    """The README's example, as written: it imports the api and a built-in fact (as precheck's
    own checks do), is a valid check, and judges recorded answers with its own policy section."""
    import re

    from precheck.testing import run_check

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text("utf-8")
    source = re.search(r"```python\n(# mypkg/memory.py\n.*?)```", readme, re.S)
    assert source is not None
    imports = re.findall(r"^(?:from|import) (\S+)", source.group(1), re.M)
    assert imports == ["precheck.api", "precheck.probes"]
    namespace: dict[str, object] = {}
    exec(compile(source.group(1), "README.md", "exec"), namespace)  # noqa: S102 - our own README
    check = namespace["FreeMemory"]
    assert check_problems(check) == []
    assert isinstance(check, type)
    mib = 1024 * 1024
    low = {"psutil:resources": {"cpu_count": 4, "cpu_percent": 10.0,  # INVENTED figures
                                "memory_total": 8192 * mib, "memory_available": 512 * mib}}
    ctx = replay(low, checks=[check])
    assert ctx.policy.section("mypkg.free_memory") == {"min_free_mb": 1024}
    assert run_check(check, ctx).status is Status.WARN
    plenty = {"psutil:resources": {**low["psutil:resources"], "memory_available": 4096 * mib}}
    assert run_check(check, replay(plenty, checks=[check])).status is Status.PASS

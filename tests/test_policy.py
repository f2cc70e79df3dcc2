"""Policy data: shipped files, schema checks, version and digest."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import ClassVar

import pytest

from precheck import policy as policies
from precheck.errors import InputError


def test_the_builtin_policy_loads_with_version_and_digest() -> None:
    policy = policies.builtin()
    assert policy.version == policy.data["meta"]["version"]
    assert policy.digest.startswith("sha256:")
    assert len(policy.digest) == len("sha256:") + 64
    assert policy.section("power.battery")["min_percent_on_battery"] == 80


def test_digest_ignores_formatting_but_not_values(tmp_path: Path) -> None:
    builtin = policies.builtin()
    as_json = tmp_path / "policy.json"
    as_json.write_text(json.dumps(dict(builtin.data), indent=7))
    assert policies.load(as_json).digest == builtin.digest
    changed = json.loads(as_json.read_text())
    changed["power"]["battery"]["min_percent_on_battery"] = 79
    as_json.write_text(json.dumps(changed))
    assert policies.load(as_json).digest != builtin.digest


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (lambda d: d["power"]["battery"].update(min_percent_on_battery=140), "power/battery"),
        (lambda d: d["meta"].update(version="latest"), "meta/version"),
        (lambda d: d.pop("system"), "(top level)"),
        (lambda d: d["system"]["resources"].update(surprise=1), "system/resources"),
    ],
)
def test_invalid_policies_say_where(tmp_path: Path, mutate: object, where: str) -> None:
    data = json.loads(json.dumps(dict(policies.builtin().data)))
    mutate(data)  # type: ignore[operator]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match=re.escape(f"invalid at {where}")):
        policies.load(path)


@pytest.mark.parametrize("content", ["", "not = [toml", "[[["])
def test_unreadable_policy_files_are_input_errors(tmp_path: Path, content: str) -> None:
    path = tmp_path / "p.toml"
    path.write_text(content)
    with pytest.raises(InputError):
        policies.load(path)


def test_a_missing_policy_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"policy file .*absent\.toml: no such file"):
        policies.load(tmp_path / "absent.toml")


def test_missing_sections_name_themselves() -> None:
    with pytest.raises(KeyError, match=r"no_such\.section"):
        policies.builtin().section("no_such.section")


class _Plugin:
    """What with_plugin_sections reads of a plugin check (INVENTED values)."""

    id = "vendor.disk_space"
    policy_defaults: ClassVar[dict[str, object]] = {"min_free_gb": 5}


def test_a_plugin_section_comes_from_its_defaults_and_is_covered_by_the_digest() -> None:
    builtin = policies.builtin()
    policy = policies.with_plugin_sections(builtin, [_Plugin])
    assert policy.section("vendor.disk_space") == {"min_free_gb": 5}
    assert policy.core_digest == builtin.digest  # the gateway's pin still holds
    assert policy.digest == policies.combined_digest(builtin.digest,
                                                     {"vendor.disk_space": {"min_free_gb": 5}})
    assert policy.digest != builtin.digest
    assert policies.with_plugin_sections(policy, [_Plugin]) is policy  # applied once
    other = policies.with_plugin_sections(builtin, [type("P", (_Plugin,), {
        "policy_defaults": {"min_free_gb": 6}})])
    assert other.digest != policy.digest  # any value of the section changes the digest


def test_a_policy_file_sets_a_plugin_section_without_changing_the_core_digest(
        tmp_path: Path) -> None:
    builtin = policies.builtin()
    path = tmp_path / "policy.json"
    data = {**builtin.data, "vendor": {"disk_space": {"min_free_gb": 50}}}
    path.write_text(json.dumps(data), encoding="utf-8")
    policy = policies.load(path, [_Plugin])
    assert policy.section("vendor.disk_space") == {"min_free_gb": 50}
    assert policy.core_digest == builtin.digest
    assert "vendor" not in policy.data
    without_the_plugin = policies.load(path)  # a section nobody claims stays in the core
    assert without_the_plugin.core_digest != builtin.digest


def test_a_plugin_default_that_is_not_json_is_an_input_error() -> None:
    bad = type("Bad", (_Plugin,), {"policy_defaults": {"when": object()}})
    with pytest.raises(InputError, match="not JSON"):
        policies.with_plugin_sections(policies.builtin(), [bad])


def test_the_gateways_required_checks_are_the_own_required_checks() -> None:
    """The policy names them (the gate never infers them); they must not drift from the checks'
    own ``required`` flags."""
    from precheck import plugins
    from tests.plugin_dist import OWN_DISTRIBUTION

    catalog = plugins.load()
    own_required = {c.id for c in catalog.checks
                    if c.required and catalog.provider(c.id).package == OWN_DISTRIBUTION}
    assert set(policies.builtin().section("gateway")["required_checks"]) == own_required

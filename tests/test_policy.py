"""Policy data: shipped files, schema checks, version and digest."""

from __future__ import annotations

import json
import re
from pathlib import Path

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

"""Policy is data, not code: thresholds and lists live in versioned files shipped in the package.

The built-in policy is every ``*.toml`` file in ``precheck/policy/data``, merged table by
table (each value may be set by one file only) and validated against ``policy.schema.json``.
Its version is ``meta.version``; its digest is the SHA-256 of its RFC 8785 canonical JSON
form, so comments and formatting do not change it but any value does. Both go into every
report.

A check plugin declares its own section, ``[<check id>]``, with defaults
(``Check.policy_defaults``); a policy file may set it instead. Plugin sections are kept apart from
the core document and each is written into the report, so the digest covers them without
changing the core digest a booking gateway pins: see :func:`combined_digest`.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from precheck.errors import InputError


@dataclass(frozen=True, slots=True)
class Policy:
    """A validated policy document with its version and digest."""

    version: str
    #: What the report says: the core digest, combined with the plugin sections if there are any.
    digest: str
    data: Mapping[str, Any]
    source: str  # "builtin" or the file it came from
    #: The plugins' sections by check id (their defaults, or what the policy file set).
    plugins: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: The digest of ``data`` alone: what a booking gateway's ACCEPTED_POLICIES pins.
    core_digest: str = ""

    def section(self, name: str) -> Mapping[str, Any]:
        """One section, e.g. ``policy.section("power.battery")``; KeyError names what is missing."""
        if name in self.plugins:
            return self.plugins[name]
        node: Any = self.data
        for part in name.split("."):
            if not isinstance(node, Mapping) or part not in node:
                msg = f"the policy {self.version} has no section {name!r}"
                raise KeyError(msg)
            node = node[part]
        if not isinstance(node, Mapping):
            msg = f"policy entry {name!r} is not a section"
            raise KeyError(msg)
        return node


def schema() -> dict[str, Any]:
    """The policy schema: ``policy.schema.json`` with each section's schema from ``schemas/``.

    ``schemas/security.firewall.json`` validates the table ``[security.firewall]``, which must
    exist. One file per section keeps each check's knobs next to nothing else's.
    """
    package = resources.files("precheck.policy")
    composed: dict[str, Any] = json.loads(package.joinpath("policy.schema.json").read_text("utf-8"))
    for entry in sorted(package.joinpath("schemas").iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".json"):
            continue
        node = composed
        for part in entry.name.removesuffix(".json").split("."):
            node.setdefault("type", "object")
            node.setdefault("required", [])
            if part not in node["required"]:
                node["required"].append(part)
            node = node.setdefault("properties", {}).setdefault(part, {})
        node.update(json.loads(entry.read_text("utf-8")))
    return composed


def digest_of(data: Mapping[str, Any]) -> str:
    import rfc8785

    return "sha256:" + hashlib.sha256(rfc8785.dumps(data)).hexdigest()


def combined_digest(core_digest: str, plugins: Mapping[str, Mapping[str, Any]]) -> str:
    """The digest a report carries: the core digest alone when no plugin section is in force,
    else the digest of ``{"core": core_digest, "plugins": plugins}``.

    The report lists the plugin sections, so a gateway that pins only the core digest recomputes
    this from its pin and the report's sections: a plugin's defaults neither break its check nor
    slip past it.
    """
    if not plugins:
        return core_digest
    return digest_of({"core": core_digest, "plugins": dict(plugins)})


def with_plugin_sections(policy: Policy, checks: Iterable[object]) -> Policy:
    """``policy`` with each plugin check's section: the policy file's ``[<check id>]`` when it
    sets one (taken out of the core document), else the check's ``policy_defaults``."""
    sections = dict(policy.plugins)
    data: dict[str, Any] = dict(policy.data)
    for check in checks:
        defaults = getattr(check, "policy_defaults", None)
        ident = getattr(check, "id", None)
        if defaults is None or not isinstance(ident, str) or ident in sections:
            continue
        given = _pop_section(data, ident)
        sections[ident] = _json_copy(defaults if given is None else given)
    if sections == dict(policy.plugins):
        return policy
    core = digest_of(data)
    return replace(policy, data=data, plugins=sections, core_digest=core,
                   digest=combined_digest(core, sections))


def _pop_section(data: dict[str, Any], name: str) -> Mapping[str, Any] | None:
    """Remove the table ``name`` (dotted) from ``data`` and return it (None when absent); tables
    it leaves empty go too (copies only: the original document is never changed)."""
    head, _, rest = name.partition(".")
    node = data.get(head)
    if not isinstance(node, Mapping):
        return None
    if not rest:
        del data[head]
        return node
    inner = dict(node)
    found = _pop_section(inner, rest)
    if found is not None:
        if inner:
            data[head] = inner
        else:
            del data[head]
    return found


def _json_copy(section: Mapping[str, Any]) -> Mapping[str, Any]:
    """A plain-JSON copy (a plugin's defaults are data: TOML or JSON values only)."""
    try:
        copied: dict[str, Any] = json.loads(json.dumps(dict(section)))
    except (TypeError, ValueError) as exc:
        msg = f"a plugin's policy section holds a value that is not JSON: {exc}"
        raise InputError(msg) from exc
    return copied


def from_data(data: Mapping[str, Any], source: str) -> Policy:
    """Validate a policy document and wrap it; InputError says exactly what is wrong."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(top level)"
        msg = f"policy {source} is invalid at {where}: {first.message}"
        raise InputError(msg)
    digest = digest_of(data)
    return Policy(str(data["meta"]["version"]), digest, data, source, core_digest=digest)


def builtin() -> Policy:
    """The policy shipped with this version of precheck."""
    merged: dict[str, Any] = {}
    folder = resources.files("precheck.policy").joinpath("data")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        _merge(merged, tomllib.loads(entry.read_text("utf-8")), entry.name, "")
    return from_data(merged, "builtin")


def _merge(into: dict[str, Any], part: Mapping[str, Any], file: str, prefix: str) -> None:
    """Merge one file's tables into the policy; a value may be set by one file only."""
    for key, value in part.items():
        if isinstance(value, Mapping) and isinstance(into.get(key), dict):
            _merge(into[key], value, file, f"{prefix}{key}.")
        elif key in into:
            msg = f"policy entry {prefix}{key} is defined twice (again in {file})"
            raise InputError(msg)
        else:
            into[key] = dict(value) if isinstance(value, Mapping) else value


#: Far above the built-in policy (about 30 kB).
MAX_POLICY_BYTES = 5 * 1024 * 1024


def load(path: Path | None = None, checks: Iterable[object] = ()) -> Policy:
    """The built-in policy, or a policy file (TOML or JSON) of the same structure, with the
    sections of the plugin ``checks`` (see :func:`with_plugin_sections`)."""
    return with_plugin_sections(_load(path), checks)


def _load(path: Path | None) -> Policy:
    if path is None:
        return builtin()
    from precheck.inputs import open_regular, read_limited

    with open_regular(path, "policy file") as file:  # a FIFO or a device: refused, never a hang
        raw = read_limited(file, MAX_POLICY_BYTES, f"policy file {path}")
    try:
        data = json.loads(raw) if path.suffix == ".json" else tomllib.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        msg = f"policy file {path} is not valid {'JSON' if path.suffix == '.json' else 'TOML'}"
        raise InputError(msg) from exc
    if not isinstance(data, dict):
        msg = f"policy file {path} does not hold a policy document"
        raise InputError(msg)
    return from_data(data, str(path))

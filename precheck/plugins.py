"""Finding and loading check plugins through entry points (flake8's and harlequin's pattern).

Discovery happens in two steps: *find* lists the entry points of the group without importing
anything, *load* imports each one and validates its metadata. A plugin that fails to import or
declares bad metadata becomes a :class:`PluginFailure` naming the package at fault; every other
check still loads and runs.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points

from precheck.api import ENTRY_POINT_GROUP, Check, check_problems

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Provider:
    """The distribution that registered a check (flake8 shows each plugin's package and
    version; so do ``precheck list`` and the report)."""

    package: str
    version: str

    def to_json(self) -> dict[str, str]:
        return {"package": self.package, "version": self.version}


UNKNOWN_PROVIDER = Provider("unknown package", "")


@dataclass(frozen=True, slots=True)
class PluginFailure:
    """An entry point that did not give a valid check."""

    name: str  # the entry-point name: the check id it promised
    package: str  # the distribution that declared it
    reason: str  # one line: what went wrong


@dataclass(frozen=True, slots=True)
class Catalog:
    """The checks that loaded, sorted by id, and the plugins that did not."""

    checks: tuple[type[Check], ...]
    failures: tuple[PluginFailure, ...]
    #: Check id (or failed entry-point name) -> the distribution that registered it.
    providers: Mapping[str, Provider] = field(default_factory=dict)

    def select(self, only: Collection[str]) -> Catalog:
        """Only the named checks (and the failures under those names)."""
        wanted = set(only)
        return Catalog(
            tuple(c for c in self.checks if c.id in wanted),
            tuple(f for f in self.failures if f.name in wanted),
            {k: v for k, v in self.providers.items() if k in wanted},
        )

    def provider(self, check_id: str) -> Provider:
        """Who provides ``check_id`` (``unknown package`` for a check made outside plugins)."""
        return self.providers.get(check_id, UNKNOWN_PROVIDER)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.checks) + tuple(f.name for f in self.failures)


def find(group: str = ENTRY_POINT_GROUP) -> list[EntryPoint]:
    """The group's entry points, without importing any of them (duplicates dropped)."""
    seen: dict[tuple[str, str], EntryPoint] = {}
    for ep in entry_points(group=group):
        seen.setdefault((ep.name, ep.value), ep)
    return sorted(seen.values(), key=lambda ep: ep.name)


def load(found: Iterable[EntryPoint] | None = None) -> Catalog:
    """Import and validate every check plugin; failures are collected, never raised."""
    checks: dict[str, type[Check]] = {}
    failures: list[PluginFailure] = []
    providers: dict[str, Provider] = {}
    for ep in find() if found is None else found:
        package = ep.dist.name if ep.dist is not None else "unknown package"
        provider = Provider(package, ep.dist.version if ep.dist is not None else "")
        providers.setdefault(ep.name, provider)
        try:
            obj = ep.load()
        except Exception as exc:
            log.warning("check plugin %s from %s failed to import", ep.name, package,
                        exc_info=True)
            failures.append(PluginFailure(ep.name, package,
                                          f"import failed: {type(exc).__name__}: {exc}"))
            continue
        problems = check_problems(obj)
        if not problems and obj.id != ep.name:
            problems.append(f"entry point {ep.name!r} loads a check whose id is {obj.id!r}")
        if not problems and obj.id in checks:
            problems.append(f"check id {obj.id!r} is already provided by {checks[obj.id]!r}")
        if problems:
            failures.append(PluginFailure(ep.name, package, "; ".join(problems)))
            continue
        checks[obj.id] = obj
        providers[obj.id] = provider
    return Catalog(tuple(checks[k] for k in sorted(checks)), tuple(failures), providers)

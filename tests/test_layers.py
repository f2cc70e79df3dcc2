"""The layers of precheck, read from the imports of its source (and of the sample plugin's).

    front-ends   tui/, cli*.py, config_command.py, standalone.py, __main__.py, gateway/
    reports      reports/                     never a front-end
    checks       checks/, a plugin's check    the api, results, policy and probes' public facts
    probes       probes/, a plugin's probe    never a check or a front-end
    core         every other precheck module  never a front-end

and no import cycle between precheck's top-level packages and modules. For the layers every
import counts: at the top of a module, inside a function, or for type checking only (a type is a
dependency too). For cycles, the imports that run: one under ``if TYPE_CHECKING:`` never does.

Where today's code breaks a rule, ALLOWED names the import with a one-line reason; an entry no
import needs any more fails the test, so the list can only shrink. OVERSIZE does the same for the
modules still over 400 lines.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: Where the modules are, and the package each folder is.
SOURCES = ((ROOT / "precheck", "precheck"),
           (ROOT / "examples" / "precheck-diskspace" / "src" / "precheck_diskspace",
            "precheck_diskspace"))
#: The sample plugin's modules, by layer.
PLUGIN_PROBES = frozenset({"precheck_diskspace.probe"})
PLUGIN_CHECKS = frozenset({"precheck_diskspace.check"})
#: Front-end modules outside tui/ and gateway/: the command line and the app's launchers.
FRONT_END_MODULES = frozenset({"precheck.__main__", "precheck.config_command",
                               "precheck.standalone"})
#: The core modules a check may import besides the probes' public modules.
CHECK_CORE = ("precheck.api", "precheck.result", "precheck.policy")
MAX_LINES = 400

#: Imports that break a rule or close a cycle today, as (importer, imported) prefixes, each with
#: why. An entry covers every import from a module under the first to a module under the second.
ALLOWED: dict[tuple[str, str], str] = {}

#: Modules over MAX_LINES lines (migrations aside), to be split; an entry that fits fails.
OVERSIZE: frozenset[str] = frozenset()


@cache
def modules() -> dict[str, Path]:
    """Every module by dotted name (a package by its own name), migrations left out."""
    found: dict[str, Path] = {}
    for folder, package in SOURCES:
        for path in folder.rglob("*.py"):
            parts = (package, *path.relative_to(folder).with_suffix("").parts)
            if "migrations" in parts:
                continue
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _named(module: str, path: Path, node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    """The names an import statement brings in: ``from pkg import mod`` names ``pkg.mod``."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    base = node.module or ""
    if node.level:
        package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        package = package[:len(package) - node.level + 1]
        base = ".".join([*package, *([node.module] if node.module else [])])
    for alias in node.names:
        yield f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules() else base


def _own(name: str) -> str | None:
    """The module of ours ``name`` is, or lies in (``precheck.api.Check`` -> ``precheck.api``)."""
    while name not in modules():
        if "." not in name:
            return None
        name = name.rsplit(".", 1)[0]
    return name


def _type_only(tree: ast.Module) -> set[ast.AST]:
    """The import statements under ``if TYPE_CHECKING:``, which never run."""
    found: set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            found.update(inner for statement in node.body for inner in ast.walk(statement))
    return found


@cache
def _pairs() -> dict[tuple[str, str], bool]:
    """Every (importer, imported) pair between our modules, and whether an import of it runs."""
    pairs: dict[tuple[str, str], bool] = {}
    for module, path in modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        type_only = _type_only(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                for name in _named(module, path, node):
                    target = _own(name)
                    if target is not None and target != module:
                        pair = (module, target)
                        pairs[pair] = pairs.get(pair, False) or node not in type_only
    return pairs


def imports() -> frozenset[tuple[str, str]]:
    """Every (importer, imported) pair between our modules, type-only imports included."""
    return frozenset(_pairs())


def runtime_imports() -> frozenset[tuple[str, str]]:
    """The pairs of which at least one import runs (at import time or in a function)."""
    return frozenset(pair for pair, runs in _pairs().items() if runs)


def _under(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def layer(module: str) -> str:
    """``front-end``, ``reports``, ``checks``, ``probes`` or ``core``."""
    if (module in FRONT_END_MODULES or _under(module, "precheck.tui")
            or _under(module, "precheck.gateway") or module == "precheck.cli"
            or module.startswith("precheck.cli_")):
        return "front-end"
    if _under(module, "precheck.reports"):
        return "reports"
    if _under(module, "precheck.checks") or module in PLUGIN_CHECKS:
        return "checks"
    if _under(module, "precheck.probes") or module in PLUGIN_PROBES:
        return "probes"
    return "core"


def _public_probe(module: str) -> bool:
    return layer(module) == "probes" and not any(p.startswith("_") for p in module.split("."))


def broken_rule(importer: str, imported: str) -> str | None:
    """Which rule the import breaks, or None."""
    source, target = layer(importer), layer(imported)
    if source == "probes" and target in ("checks", "front-end"):
        return "a probe imports a check or a front-end"
    if source == "checks" and not (target == "checks" or _public_probe(imported)
                                   or any(_under(imported, core) for core in CHECK_CORE)):
        return "a check imports beyond the api, results, policy and probes' public modules"
    if source in ("reports", "core") and target == "front-end":
        return f"the {source} layer imports a front-end"
    return None


def unit(module: str) -> str:
    """The top-level package or module: ``precheck.probes.network.udp`` -> ``precheck.probes``."""
    return ".".join(module.split(".")[:2])


def cyclic_units(pairs: frozenset[tuple[str, str]]) -> list[frozenset[str]]:
    """The groups of top-level units that import each other, round and round (Tarjan)."""
    graph: dict[str, set[str]] = {}
    for importer, imported in pairs:
        graph.setdefault(unit(importer), set())
        graph.setdefault(unit(imported), set())
        if unit(importer) != unit(imported):
            graph[unit(importer)].add(unit(imported))
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[frozenset[str]] = []

    def visit(node: str) -> None:
        order[node] = low[node] = len(order)
        stack.append(node)
        for after in sorted(graph[node]):
            if after not in order:
                visit(after)
                low[node] = min(low[node], low[after])
            elif after in stack:
                low[node] = min(low[node], order[after])
        if low[node] == order[node]:
            group: set[str] = set()
            while not group or node not in group:
                group.add(stack.pop())
            if len(group) > 1:
                groups.append(frozenset(group))

    for node in sorted(graph):
        if node not in order:
            visit(node)
    return groups


def allowed_by(importer: str, imported: str) -> tuple[str, str] | None:
    """The ALLOWED entry covering the import, or None."""
    return next((key for key in ALLOWED
                 if _under(importer, key[0]) and _under(imported, key[1])), None)


def test_the_sources_are_read() -> None:
    found = modules()
    assert {"precheck.cli", "precheck.probes.network.udp", "precheck.tui.app",
            "precheck_diskspace.check"} <= found.keys()
    assert ("precheck.cli", "precheck.cli_checks") in imports()  # a top-level import
    assert ("precheck.cli_checks", "precheck.plugins") in imports()  # one inside a function
    assert ("precheck.cli_checks", "precheck.system") in imports()  # one for type checking
    assert ("precheck.cli_checks", "precheck.system") not in runtime_imports()
    assert ("precheck.cli_checks", "precheck.plugins") in runtime_imports()


@pytest.mark.parametrize(("module", "expected"), [
    ("precheck.tui.screens.results", "front-end"), ("precheck.gateway", "front-end"),
    ("precheck.cli", "front-end"), ("precheck.cli_parser", "front-end"),
    ("precheck.config_command", "front-end"), ("precheck.reports.render.wrap", "reports"),
    ("precheck.checks.network", "checks"), ("precheck_diskspace.check", "checks"),
    ("precheck.probes.network._linux", "probes"), ("precheck_diskspace.probe", "probes"),
    ("precheck.gateway_client", "core"), ("precheck.offices", "core"),
    ("precheck.system", "core"), ("precheck.policy", "core"),
])
def test_each_module_is_in_its_layer(module: str, expected: str) -> None:
    assert layer(module) == expected


def test_no_import_breaks_a_layer_rule() -> None:
    broken = sorted(f"{importer} -> {imported}: {rule}" for importer, imported in imports()
                    if (rule := broken_rule(importer, imported))
                    and allowed_by(importer, imported) is None)
    assert not broken, "\n".join(broken)


def test_no_cycle_between_top_level_packages() -> None:
    kept = frozenset(pair for pair in runtime_imports() if allowed_by(*pair) is None)
    cycles = [sorted(group) for group in cyclic_units(kept)]
    assert not cycles, f"units importing each other: {cycles}"


def test_every_allowed_import_is_still_needed() -> None:
    cyclic = cyclic_units(runtime_imports())
    needed = {allowed_by(importer, imported) for importer, imported in imports()
              if broken_rule(importer, imported)
              or ((importer, imported) in runtime_imports()
                  and any({unit(importer), unit(imported)} <= group for group in cyclic))}
    stale = sorted(f"{key}: {reason}" for key, reason in ALLOWED.items() if key not in needed)
    assert not stale, f"no import needs these ALLOWED entries any more, remove them: {stale}"


def test_the_rules_catch_what_they_forbid() -> None:
    assert broken_rule("precheck.probes.network", "precheck.checks.network")
    assert broken_rule("precheck.probes.devices", "precheck.tui.app")
    assert broken_rule("precheck.checks.power", "precheck.runner")
    assert broken_rule("precheck.checks.power", "precheck.probes._linux")
    assert broken_rule("precheck.reports.render", "precheck.tui.text")
    assert broken_rule("precheck.session", "precheck.gateway.offices")
    assert not broken_rule("precheck.checks.power", "precheck.probes.power")
    assert not broken_rule("precheck_diskspace.check", "precheck_diskspace.probe")
    assert cyclic_units(frozenset({("precheck.a.x", "precheck.b"), ("precheck.b", "precheck.a")}))


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_no_module_is_over_400_lines() -> None:
    over = sorted(path.relative_to(ROOT).as_posix() for path in (ROOT / "precheck").rglob("*.py")
                  if "migrations" not in path.parts and _lines(path) > MAX_LINES)
    assert set(over) <= OVERSIZE, f"over {MAX_LINES} lines: {sorted(set(over) - OVERSIZE)}"
    fitting = sorted(OVERSIZE - set(over))
    assert not fitting, f"these fit in {MAX_LINES} lines now, remove them from OVERSIZE: {fitting}"

"""Cold-start time of the installed ``precheck`` command.

Runs ``precheck --version``, ``precheck run --json`` and ``precheck run --json --only
power.battery`` as fresh processes, N times each, and prints the median, minimum and maximum wall
time. Then it runs ``--version`` once under
``python -X importtime`` and prints the ten heaviest imports and which of the heavy libraries
(OpenCV, Textual, speedtest, sounddevice, pydantic, cryptography, jsonschema, rich) it loaded:
``--version`` should load none of them.

It benchmarks the ``precheck`` console script next to the running interpreter, so run it with
the environment's Python::

    .venv/bin/python benchmarks/startup.py [--runs 7]

It prints figures and asserts no timing; it exits non-zero only when a command itself fails.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path

VERSION_TARGET_S = 0.3
HEAVY_MODULES = ("cv2", "textual", "speedtest", "sounddevice", "pydantic", "cryptography",
                 "jsonschema", "rich")
TOP_IMPORTS = 10


class CommandFailedError(Exception):
    """A benchmarked command exited with a code that means it did not work."""


@dataclass(frozen=True, slots=True)
class Timing:
    label: str
    seconds: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


@dataclass(frozen=True, slots=True)
class Import:
    self_us: int
    cumulative_us: int
    depth: int
    module: str


def precheck_script() -> Path:
    """The ``precheck`` console script installed beside this interpreter."""
    scripts = Path(sys.executable).parent
    name = "precheck.exe" if sys.platform == "win32" else "precheck"
    return scripts / name


def run_once(argv: list[str], env: dict[str, str], ok_codes: tuple[int, ...]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode not in ok_codes:
        stderr = done.stderr.decode(errors="replace").strip()
        raise CommandFailedError(f"{' '.join(argv)} exited with {done.returncode}\n{stderr}")
    return elapsed


def measure(label: str, argv: list[str], env: dict[str, str], runs: int,
            ok_codes: tuple[int, ...]) -> Timing:
    run_once(argv, env, ok_codes)  # warm-up, not counted: creates the key, fills the file cache
    return Timing(label, [run_once(argv, env, ok_codes) for _ in range(runs)])


def entry_point_code(args: list[str]) -> str:
    """Python code that runs the ``precheck`` console script's entry point with ``args``."""
    matches = [ep for ep in entry_points(group="console_scripts") if ep.name == "precheck"]
    if not matches:
        raise CommandFailedError("no 'precheck' console script is installed in this environment")
    module, _, attr = matches[0].value.partition(":")
    return (f"import sys; sys.argv = ['precheck', *{args!r}]; "
            f"from {module} import {attr} as main; sys.exit(main())")


def import_profile(args: list[str], env: dict[str, str]) -> list[Import]:
    """Every module the command imports, from ``python -X importtime``."""
    argv = [sys.executable, "-X", "importtime", "-c", entry_point_code(args)]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise CommandFailedError(f"precheck {' '.join(args)} under -X importtime exited with "
                                 f"{done.returncode}\n{done.stderr.strip()}")
    found: list[Import] = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:"):
            continue
        fields = line.removeprefix("import time:").split("|")
        if len(fields) != 3 or not fields[0].strip().isdigit():
            continue  # the header line
        name = fields[2].rstrip()
        stripped = name.lstrip()
        depth = (len(name) - len(stripped)) // 2
        found.append(Import(int(fields[0]), int(fields[1]), depth, stripped))
    return found


def heavy_loaded(imports: list[Import]) -> list[str]:
    names = {imp.module for imp in imports}
    return [heavy for heavy in HEAVY_MODULES
            if any(n == heavy or n.startswith(heavy + ".") for n in names)]


def print_timings(timings: list[Timing], runs: int) -> None:
    print(f"Cold start, {runs} runs each (after one warm-up run), wall time in seconds")
    width = max(len(t.label) for t in timings)
    print(f"  {'command':<{width}}  {'median':>7}  {'min':>7}  {'max':>7}")
    for t in timings:
        print(f"  {t.label:<{width}}  {t.median:7.3f}  {min(t.seconds):7.3f}  "
              f"{max(t.seconds):7.3f}")


def print_imports(imports: list[Import]) -> None:
    total_ms = sum(imp.self_us for imp in imports) / 1000
    print(f"\nHeaviest imports of `precheck --version` (by cumulative time; "
          f"{len(imports)} modules, {total_ms:.1f} ms in all)")
    print(f"  {'self ms':>8}  {'cum. ms':>8}  module")
    heaviest = sorted(imports, key=lambda imp: imp.cumulative_us, reverse=True)[:TOP_IMPORTS]
    for imp in heaviest:
        print(f"  {imp.self_us / 1000:8.1f}  {imp.cumulative_us / 1000:8.1f}  "
              f"{'  ' * imp.depth}{imp.module}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=7, help="runs per command (default 7)")
    options = parser.parse_args()
    if options.runs < 1:
        parser.error("--runs must be at least 1")

    script = precheck_script()
    if not script.exists():
        print(f"no precheck console script at {script}; install precheck into this "
              f"environment first (pip install .)", file=sys.stderr)
        return 1

    commands = [
        ("python -c pass (interpreter alone)", [sys.executable, "-c", "pass"], (0,)),
        ("precheck --version", [str(script), "--version"], (0,)),
        # 1 means a required check failed on this machine: still a complete run.
        ("precheck run --json", [str(script), "run", "--json"], (0, 1)),
        # Without system.resources' one-second processor sample: the pipeline's own cost
        # (plugin loading, policy, report building and signing).
        ("precheck run --json --only power.battery",
         [str(script), "run", "--json", "--only", "power.battery"], (0, 1)),
    ]
    timings: list[Timing] = []
    failures: list[str] = []
    imports: list[Import] = []
    with tempfile.TemporaryDirectory(prefix="precheck-bench-") as home:
        env = {**os.environ, "PRECHECK_HOME": home}
        for label, argv, ok_codes in commands:
            try:
                timings.append(measure(label, argv, env, options.runs, ok_codes))
            except CommandFailedError as exc:
                failures.append(str(exc))
        try:
            imports = import_profile(["--version"], env)
        except CommandFailedError as exc:
            failures.append(str(exc))

    print(f"precheck: {script}")
    if timings:
        print_timings(timings, options.runs)
    version = next((t for t in timings if t.label == "precheck --version"), None)
    if version is not None:
        verdict = "met" if version.median < VERSION_TARGET_S else "NOT met"
        print(f"  target: `precheck --version` under {VERSION_TARGET_S} s (median): {verdict}")

    if imports:
        print_imports(imports)
        loaded = heavy_loaded(imports)
        print(f"\nHeavy libraries imported by `precheck --version` (should be none of "
              f"{', '.join(HEAVY_MODULES)}): {', '.join(loaded) if loaded else 'none'}")

    for failure in failures:
        print(f"\nbenchmark failed: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

"""The standalone app against the venv install: size on disk and time to the welcome screen.

    python benchmarks/app.py [--app dist/app/precheck] [--runs 7]

Needs a built app (python tools/build_app.py) and tmux. The venv install is made fresh in a
temporary folder with ``pip install .`` (what the README's first command does), so its size is
a job seeker's install, without the test tools. Prints:

1. Size: the app's archive, the app folder unpacked, and the venv (``du``-style, bytes of files).
2. Time to the welcome screen: each program started in tmux at 80x24 until its Japanese title
   is on screen (polled every 20 ms), N runs after one uncounted first run (printed apart: it
   fills the file cache); and ``--version`` wall time, the same way.

Asserts nothing: a busy machine only makes the figures larger.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TITLE = "オンライン職業相談の事前チェック"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--app", type=Path, default=ROOT / "dist" / "app" / "precheck")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    program = args.app / "precheck"
    if not program.is_file():
        print(f"no app at {args.app}: run python tools/build_app.py first", file=sys.stderr)
        return 1
    if shutil.which("tmux") is None:
        print("needs tmux", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as temporary:
        venv = Path(temporary) / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(ROOT)], check=True,
                       stderr=subprocess.DEVNULL)
        archives = sorted(args.app.parent.glob("precheck-*.tar.gz"))
        print("size (MB = 10^6 bytes)")
        if archives:
            print(f"  app archive   {archives[-1].name:<40} {_mb(archives[-1].stat().st_size)}")
        print(f"  app unpacked  {args.app!s:<40} {_mb(_size(args.app))}")
        print(f"  venv install  {'pip install . (fresh venv)':<40} {_mb(_size(venv))}")
        home = Path(temporary) / "home"
        home.mkdir()
        print(f"\ntime, seconds: first run, then median (min-max) of {args.runs} runs")
        for label, command in (("app", program), ("venv", venv / "bin" / "precheck")):
            version = [_timed([str(command), "--version"], home) for _ in range(args.runs + 1)]
            welcome = [_to_welcome(command, home) for _ in range(args.runs + 1)]
            print(f"  {label:<5} {'--version':<22} {_figures(version)}")
            print(f"  {label:<5} {'to the welcome screen':<22} {_figures(welcome)}")
    return 0


def _mb(size: int) -> str:
    return f"{size / 1_000_000:8.1f} MB"


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def _figures(times: list[float]) -> str:
    rest = times[1:]
    return (f"{times[0]:6.2f}   {statistics.median(rest):6.2f} "
            f"({min(rest):.2f}-{max(rest):.2f})")


def _env(home: Path) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "PRECHECK_HOME": str(home / "p"),
            "LANG": "C.UTF-8", "TERM": "xterm-256color"}


def _timed(argv: list[str], home: Path) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=_env(home), capture_output=True, check=True)
    return time.perf_counter() - started


def _to_welcome(program: Path, home: Path) -> float:
    socket = f"precheck-bench-{uuid.uuid4().hex[:8]}"

    def tmux(*args: str) -> str:
        return subprocess.run(["tmux", "-u", "-L", socket, *args], capture_output=True,
                              text=True, check=False, env=_env(home)).stdout

    started = time.perf_counter()
    tmux("new-session", "-d", "-x", "80", "-y", "24", "-s", "t", f"{program}; sleep 30")
    try:
        while time.perf_counter() - started < 120:
            if TITLE in tmux("capture-pane", "-p", "-t", "t"):
                return time.perf_counter() - started
            time.sleep(0.02)
        msg = f"{program} showed no welcome screen within 120 s"
        raise SystemExit(msg)
    finally:
        tmux("kill-server")


if __name__ == "__main__":
    sys.exit(main())

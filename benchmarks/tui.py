"""Time to first screen and memory of the job seeker's app (bare ``precheck`` on a terminal).

1. The real console script in tmux at 80x24, N times: wall time from starting the process until
   the welcome screen's Japanese title is on the terminal (what a person waits for), and the
   process's resident memory (VmRSS, and its peak VmHWM, from /proc) once the welcome screen is
   up. One more run goes on through the whole live check to the results screen (the preview's
   Next, the tone, the question and the recording answered as the tmux test does) and prints the
   time and the peak memory there. Needs tmux and Linux's /proc; skipped with a note otherwise.
2. The app in-process and headless (Textual's test driver), on the fixture bundles the tests
   replay: the time from creating the app to the welcome screen, and from pressing Enter to the
   results of a replayed run, without the interpreter's start.

    .venv/bin/python benchmarks/tui.py [--runs 5]

It prints figures and asserts no timing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
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
VERDICTS = ("予約できません", "予約できます")
PROMPTS = (("聞こえましたか", "n"), ("録音してチェック", "Enter"), ("音を鳴らす", "Enter"),
           ("次へ", "Enter"))


class Tmux:
    def __init__(self, home: Path) -> None:
        self.socket = f"precheck-bench-{uuid.uuid4().hex[:8]}"
        self.home = home

    def run(self, *args: str) -> str:
        return subprocess.run(["tmux", "-u", "-L", self.socket, *args], capture_output=True,
                              text=True, timeout=30, check=False).stdout

    def start(self, script: Path) -> None:
        env = {k: v for k, v in os.environ.items()
               if k not in ("PRECHECK_LANG", "PRECHECK_GATEWAY_URL", "TMUX")}
        env.update({"PRECHECK_HOME": str(self.home), "LANG": "C.UTF-8", "TERM": "xterm-256color"})
        subprocess.run(["tmux", "-u", "-L", self.socket, "new-session", "-d", "-x", "80", "-y",
                        "24", "-s", "b", f"exec {script}"], env=env, check=True, timeout=30)

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "b")

    def pid(self) -> int:
        return int(self.run("list-panes", "-t", "b", "-F", "#{pane_pid}").strip())

    def close(self) -> None:
        self.run("kill-server")


def memory_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process in MiB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return (int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024)


def first_screen(script: Path, home: Path) -> tuple[float, float, float]:
    """Seconds to the welcome screen, and the memory then (RSS, peak) in MiB."""
    term = Tmux(home)
    started = time.perf_counter()
    term.start(script)
    try:
        while TITLE not in term.screen():
            if time.perf_counter() - started > 60:
                msg = f"no welcome screen after 60 s:\n{term.screen()}"
                raise RuntimeError(msg)
            time.sleep(0.01)
        took = time.perf_counter() - started
        time.sleep(0.5)  # let the office list arrive: the memory of the settled screen
        rss, peak = memory_mb(term.pid())
    finally:
        term.close()
    return took, rss, peak


def whole_run(script: Path, home: Path) -> tuple[float, float, float]:
    """Seconds from Enter on the welcome screen to the verdict, and the memory then."""
    term = Tmux(home)
    term.start(script)
    try:
        while TITLE not in term.screen():
            time.sleep(0.05)
        term.run("send-keys", "-t", "b", "Enter")
        started = time.perf_counter()
        pressed: dict[str, float] = {}
        while True:
            shown = term.screen()
            if any(v in shown for v in VERDICTS) and "結果" in shown:
                break
            if time.perf_counter() - started > 240:
                msg = f"no verdict after 240 s:\n{shown}"
                raise RuntimeError(msg)
            for words, key in PROMPTS:
                if words in shown and time.perf_counter() - pressed.get(words, 0.0) > 1.5:
                    pressed[words] = time.perf_counter()
                    term.run("send-keys", "-t", "b", key)
                    break
            time.sleep(0.1)
        took = time.perf_counter() - started
        rss, peak = memory_mb(term.pid())
    finally:
        term.close()
    return took, rss, peak


async def headless() -> tuple[float, float]:
    """(seconds to the welcome screen, seconds from Enter to the results) on replayed bundles."""
    sys.path.insert(0, str(ROOT))
    from precheck.tui.app import PrecheckApp
    from precheck.tui.screens.results import ResultsScreen
    from precheck.tui.screens.running import RunningScreen
    from precheck.tui.screens.welcome import WelcomeScreen
    from tests.tui.conftest import WINDOWS, Clock, replayed
    from tests.tui.test_flow import through_device_steps, wait_for

    started = time.perf_counter()
    app = PrecheckApp(replayed(WINDOWS), clock=Clock(), save_folder=Path(tempfile.gettempdir()))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, WelcomeScreen))
        welcome = time.perf_counter() - started
        started = time.perf_counter()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunningScreen))
        await through_device_steps(pilot)
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen))
        run = time.perf_counter() - started
    return welcome, run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    script = Path(sys.executable).with_name("precheck")
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, {sys.platform}")
    with tempfile.TemporaryDirectory() as folder:
        os.environ["PRECHECK_HOME"] = folder  # the in-process part signs with a throwaway key
        if shutil.which("tmux") and Path("/proc/self/status").exists() and script.exists():
            home = Path(folder)
            first_screen(script, home)  # warm-up: makes the signing key, fills the file cache
            runs = [first_screen(script, home) for _ in range(args.runs)]
            times = [r[0] for r in runs]
            print(f"real precheck in tmux 80x24, {args.runs} runs: time to the welcome screen "
                  f"median {statistics.median(times):.2f} s (min {min(times):.2f}, "
                  f"max {max(times):.2f})")
            print(f"  memory at the welcome screen: RSS median "
                  f"{statistics.median(r[1] for r in runs):.0f} MiB, peak "
                  f"{max(r[2] for r in runs):.0f} MiB")
            took, rss, peak = whole_run(script, home)
            print(f"  one whole live run, Enter to the verdict: {took:.1f} s; memory then: RSS "
                  f"{rss:.0f} MiB, peak {peak:.0f} MiB")
        else:
            print("real precheck in tmux: skipped (needs tmux, /proc and the console script)")
        welcome, run = asyncio.run(headless())
        print(f"headless, in-process (replayed Windows bundles): app to welcome screen "
              f"{welcome:.2f} s; Enter to results {run:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

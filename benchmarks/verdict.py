"""Time to the verdict of a whole live run, and what each check costs.

Runs, N times each, as fresh processes on this machine:

* ``precheck run`` (text output, to a pipe) as a job seeker runs it: wall time from start to the
  verdict printed and the process ended;
* the same run inside one process with every check's own time (``Result.duration_s``, from the
  start of its thread to its result), so the slowest checks are named;
* ``apt-get -s dist-upgrade`` alone (where apt-get is installed), the simulation os.patches used
  to wait for before it read apt's lists itself.

It prints the median, minimum and maximum of each, the load average before and after (the figures
depend on what else the machine is doing), and asserts no timing::

    .venv/bin/python benchmarks/verdict.py [--runs 5] [--gateway http://127.0.0.1:8000]

With ``--gateway`` (a running ``precheck gateway serve``) the connection checks measure against
it, as a job seeker's run does; without one they measure against the internet, or end at once on
a machine without it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

CHILD = """
import json, time
started = time.monotonic()
from precheck import plugins, policy
from precheck.runner import verdict
from precheck.session import evaluate
evaluation = evaluate(plugins.load(), policy.load(None))
outcomes = evaluation.run()
print(json.dumps({"total": time.monotonic() - started, "verdict": str(verdict(outcomes)),
                  "checks": {o.meta.id: o.result.duration_s for o in outcomes}}))
"""


def _precheck() -> Path:
    return Path(sys.executable).with_name("precheck")


def _wall(argv: list[str], env: dict[str, str]) -> float:
    started = time.monotonic()
    done = subprocess.run(argv, capture_output=True, env=env, check=False)
    elapsed = time.monotonic() - started
    if done.returncode not in (0, 1):  # 1: a required check failed, a normal verdict
        raise SystemExit(f"{argv[0]} exited {done.returncode}: {done.stderr.decode()[-400:]}")
    return elapsed


def _figures(label: str, values: list[float]) -> str:
    return (f"{label:<34} median {statistics.median(values):6.2f} s   min {min(values):6.2f} s"
            f"   max {max(values):6.2f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--gateway", help="the booking gateway the connection checks use")
    args = parser.parse_args()
    env = {**os.environ, "PRECHECK_LANG": "ja"}
    if args.gateway:
        env["PRECHECK_GATEWAY_URL"] = args.gateway
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}, "
          f"{os.cpu_count()} processors")

    runs = [_wall([str(_precheck()), "run"], env) for _ in range(args.runs)]
    per_check: dict[str, list[float]] = {}
    inside: list[float] = []
    for _ in range(args.runs):
        done = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True,
                              env=env, check=True)
        answer = json.loads(done.stdout.strip().splitlines()[-1])
        inside.append(answer["total"])
        for check_id, seconds in answer["checks"].items():
            if seconds is not None:
                per_check.setdefault(check_id, []).append(seconds)
    apt: list[float] = []
    if shutil.which("apt-get"):
        apt = [_wall(["apt-get", "-s", "dist-upgrade"], {**env, "LC_ALL": "C"})
               for _ in range(args.runs)]

    print(_figures("precheck run (to the verdict)", runs))
    print(_figures("checks inside one process", inside))
    if apt:
        print(_figures("apt-get -s dist-upgrade alone", apt))
    print("\nEach check's own time (median of the runs), slowest first:")
    for check_id, values in sorted(per_check.items(), key=lambda kv: -statistics.median(kv[1])):
        print(f"  {check_id:<24} {statistics.median(values):6.2f} s   (max {max(values):.2f} s)")
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

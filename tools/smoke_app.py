"""Run the built app the way a job seeker's computer would, and compare it with the Python install.

    python tools/smoke_app.py dist/app/precheck

For the Windows and macOS runners (.github/workflows/app.yml); on Linux the same runs are
tests/test_standalone_app.py (with more: PortAudio and Python masked, a read-only folder).
The reference is the build environment ``build/app-venv`` that tools/build_app.py made: the
same code, run by Python. The app itself runs with a bare PATH (no Python of ours on it) and a
fresh PRECHECK_HOME. Prints one line per step; exits 1 at the first step that fails.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUNDLES = ROOT / "tests" / "fixtures" / "bundles"
REPLAYED = ("firewall-windows11-ja", "devices-macos-covered-camera",
            "network-linux-debian12-offline", "windows-p2p", "os-support-windows11-23h2")
WINDOWS = os.name == "nt"


class SmokeFailed(Exception):
    """A step of the smoke run did not give what it must."""


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python tools/smoke_app.py APP_FOLDER", file=sys.stderr)
        return 2
    folder = Path(argv[0]).resolve()
    program = folder / ("precheck.exe" if WINDOWS else "precheck")
    reference = ROOT / "build" / "app-venv" / ("Scripts/python.exe" if WINDOWS else "bin/python")
    if not program.is_file() or not reference.is_file():
        print(f"smoke: need {program} and {reference}: run tools/build_app.py first",
              file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as temporary:
        try:
            _smoke(program, [str(reference), "-m", "precheck"], Path(temporary))
        except SmokeFailed as exc:
            print(f"smoke: FAILED: {exc}", file=sys.stderr)
            return 1
    print("smoke: every step passed")
    return 0


def _bare_env(home: Path) -> dict[str, str]:
    if WINDOWS:
        system_root = os.environ.get("SYSTEMROOT", r"C:\Windows")
        env = {"SYSTEMROOT": system_root, "PATH": rf"{system_root}\System32",
               "USERPROFILE": str(home), "LOCALAPPDATA": str(home / "AppData" / "Local"),
               "APPDATA": str(home / "AppData" / "Roaming"), "TEMP": str(home),
               "TMP": str(home)}
    else:
        env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "en_US.UTF-8",
               "TERM": "xterm-256color"}
    env["PRECHECK_HOME"] = str(home / "precheck")
    env["PRECHECK_LANG"] = "ja"  # the runner's locale is English; a job seeker's is Japanese
    return env


def _run(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, env=env, capture_output=True, text=True, encoding="utf-8",
                          errors="replace", timeout=300, check=False)


def _step(name: str, ok: bool, detail: str = "") -> None:
    if not ok:
        raise SmokeFailed(f"{name}: {detail}")
    print(f"smoke: ok   {name}")


def _verdicts(document: str) -> list[tuple[str, str]]:
    return [(c["id"], c["status"]) for c in json.loads(document)["checks"]]


def _smoke(program: Path, reference: list[str], temporary: Path) -> None:
    home = temporary / "home"
    home.mkdir()
    env = _bare_env(home)
    ref_env = {**os.environ, "PRECHECK_HOME": env["PRECHECK_HOME"], "PRECHECK_LANG": "ja",
               "PYTHONIOENCODING": "utf-8"}
    app = [str(program)]

    version = _run([*app, "--version"], env)
    _step("--version", version.returncode == 0 and version.stdout.startswith("precheck "),
          version.stdout + version.stderr)
    listed, ref_listed = _run([*app, "list", "--json"], env), _run([*reference, "list", "--json"],
                                                                    ref_env)
    _step("list --json (17 checks, as the Python install)",
          listed.returncode == 0 and json.loads(listed.stdout) == json.loads(ref_listed.stdout)
          and len(json.loads(listed.stdout)) == 17, listed.stderr + ref_listed.stderr)
    battery = _run([*app, "run", "--json", "--only", "power.battery"], env)
    _step("run --json --only power.battery", battery.returncode in (0, 1)
          and [c for c, _ in _verdicts(battery.stdout)] == ["power.battery"], battery.stderr)
    for name in REPLAYED:
        mine, theirs = temporary / f"{name}-app.json", temporary / f"{name}-ref.json"
        from_app = _run([*app, "run", "--json", "--bundle", str(BUNDLES / name), "--report",
                         str(mine)], env)
        from_ref = _run([*reference, "run", "--json", "--bundle", str(BUNDLES / name),
                         "--report", str(theirs)], ref_env)
        _step(f"run --bundle {name} (same verdicts)", from_app.returncode == from_ref.returncode
              and _verdicts(from_app.stdout) == _verdicts(from_ref.stdout),
              from_app.stderr + from_ref.stderr)
        checked = _run([*reference, "report", "verify", str(mine)], ref_env)
        _step(f"report verify (the app's {name} report)", checked.returncode == 0,
              checked.stdout + checked.stderr)
        checked = _run([*app, "report", "verify", str(theirs)], env)
        _step(f"report verify (by the app, {name})", checked.returncode == 0,
              checked.stdout + checked.stderr)
    _welcome_screen(program, env)


def _welcome_screen(program: Path, env: dict[str, str]) -> None:
    """The app in tmux at 80x24 shows the Japanese welcome screen (where tmux exists)."""
    tmux = shutil.which("tmux")
    if tmux is None:
        print("smoke: skip the welcome screen (no tmux on this runner; Windows has none)")
        return
    socket = f"precheck-smoke-{uuid.uuid4().hex[:8]}"
    subprocess.run([tmux, "-u", "-L", socket, "new-session", "-d", "-x", "80", "-y", "24",
                    "-s", "t", f"'{program}'; sleep 60"], env=env, check=True, timeout=30)
    try:
        deadline, shown = time.monotonic() + 60, ""
        while time.monotonic() < deadline:
            shown = subprocess.run([tmux, "-u", "-L", socket, "capture-pane", "-p", "-t", "t"],
                                   capture_output=True, text=True, timeout=30,
                                   check=False).stdout
            if "オンライン職業相談の事前チェック" in shown:
                break
            time.sleep(0.3)
        _step("the Japanese welcome screen at 80x24", "チェックを始める" in shown, shown)
    finally:
        subprocess.run([tmux, "-L", socket, "kill-server"], check=False, timeout=30)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

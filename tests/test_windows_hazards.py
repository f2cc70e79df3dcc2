"""What breaks on a job seeker's Windows computer, made to happen on Linux, one test each.

- No time-zone database: Windows' Python ships none (``PYTHONTZPATH=/nonexistent`` is the same
  here; a ``tzdata`` package shadowed by an empty one removes the second source).
- A console in cp932 (Japanese Windows' code page), which cannot show every character.
- A user folder with Japanese letters and a space in its name (``C:\\Users\\山田 太郎``).
- A read-only install folder (``C:\\Program Files``): nothing may need to write beside the code.
"""

from __future__ import annotations

import json
import os
import pty
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.gateway.conftest import GatewayProcess

CONSOLE_SCRIPT = Path(sys.executable).with_name("precheck")
ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def no_tz_database(tmp_path: Path) -> dict[str, str]:
    """An environment in which neither the system nor the tzdata package has Asia/Tokyo."""
    shadow = tmp_path / "shadow"
    (shadow / "tzdata").mkdir(parents=True)
    (shadow / "tzdata" / "__init__.py").write_text("# an empty tzdata: no zoneinfo inside\n")
    return {**os.environ, "PYTHONTZPATH": "/nonexistent", "PYTHONPATH": str(shadow)}


def python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=60, check=False)


# -- no time-zone database --------------------------------------------------------------------

def test_the_apps_office_list_keeps_all_five_offices_without_a_tz_database(
        tmp_path: Path) -> None:
    env = no_tz_database(tmp_path)
    hazard = python("from zoneinfo import ZoneInfo; ZoneInfo('Asia/Tokyo')", env)
    assert "ZoneInfoNotFoundError" in hazard.stderr  # the hazard is really there
    done = python(
        "from datetime import datetime, timezone\n"
        "from precheck.gateway import offices\n"
        "from precheck.tui import offices as shown\n"
        "moment = datetime(2026, 1, 5, 1, 0, tzinfo=timezone.utc)\n"
        "print(len(shown.local()), offices.TOKYO.utcoffset(moment),"
        " offices.load_offices()['kagoshima'].local(moment).isoformat())", env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["5", "9:00:00", "2026-01-05T10:00:00+09:00"]


def test_with_tzdata_alone_asia_tokyo_comes_from_the_package(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONTZPATH": "/nonexistent"}  # Windows with the tzdata dependency
    done = python("from precheck.gateway.offices import TOKYO; print(TOKYO)", env)
    assert (done.returncode, done.stdout.strip()) == (0, "Asia/Tokyo"), done.stderr


def test_the_gateway_starts_and_serves_every_office_without_a_tz_database(
        tmp_path: Path) -> None:
    import httpx

    gateway = GatewayProcess("", tmp_path)  # SQLite in tmp_path
    gateway.environ.update({k: v for k, v in no_tz_database(tmp_path).items()
                            if k in ("PYTHONTZPATH", "PYTHONPATH")})
    gateway.start()
    try:
        gateway.wait_ready()
        answer = httpx.get(gateway.url + "/api/v1/offices", timeout=10)
        assert answer.status_code == 200, answer.text
        assert len(answer.json()) == 5
        today = time.strftime("%Y-%m-%d")
        slots = httpx.get(gateway.url + "/api/v1/offices/kagoshima/slots",
                          params={"from": today, "to": today}, timeout=10)
        assert slots.status_code == 200, slots.text
        assert all(s["start"].endswith("+09:00") for s in slots.json()), slots.json()
        page = httpx.get(gateway.url + "/", timeout=10)
        assert page.status_code == 200
        assert "ハローワーク鹿児島" in page.text
    finally:
        assert gateway.process is not None
        gateway.process.terminate()
        gateway.process.wait(timeout=30)


# -- a cp932 console -------------------------------------------------------------------------

def on_a_terminal(argv: list[str], env: dict[str, str]) -> tuple[int, bytes]:
    """Run ``argv`` with a pseudo-terminal as stdin, stdout and stderr; its code and bytes."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(argv, stdin=follower, stdout=follower, stderr=follower, env=env,
                               close_fds=True)
    os.close(follower)
    output = bytearray()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closed: the program ended
                break
            if not chunk:
                break
            output += chunk
        elif process.poll() is not None:
            break
    os.close(leader)
    return process.wait(timeout=30), bytes(output)


def test_a_cp932_console_shows_japanese_and_never_crashes_on_a_character_it_lacks() -> None:
    env = {**os.environ, "PYTHONIOENCODING": "cp932", "COLUMNS": "100", "TERM": "xterm"}
    code, output = on_a_terminal([str(CONSOLE_SCRIPT), "list"], env)
    assert code == 0, output
    text = output.decode("cp932")  # strict: every byte is cp932
    assert "確認項目" in text
    assert "ファイアウォール" in text
    # The result marks (✔ ✘ ⚠) are not in cp932: they are replaced, the run goes on.
    code, output = on_a_terminal(
        [str(CONSOLE_SCRIPT), "run", "--only", "power.battery", "--only", "system.resources"],
        env)
    text = output.decode("cp932")
    assert code == 0, text
    assert "Traceback" not in text
    assert "UnicodeEncodeError" not in text
    assert "充電" in text or "バッテリー" in text


# -- a user folder with Japanese letters and a space --------------------------------------------

def test_a_japanese_user_folder_with_a_space_holds_the_key_settings_and_files(
        tmp_path: Path) -> None:
    home = tmp_path / "Users" / "山田 太郎"
    (home / "デスクトップ").mkdir(parents=True)
    env = {k: v for k, v in os.environ.items()
           if k not in ("PRECHECK_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME")}
    env["HOME"] = str(home)
    report = home / "デスクトップ" / "レポート 1.json"
    bundle = home / "デスクトップ" / "診断 データ.zip"
    for argv in (["run", "--json", "--only", "power.battery", "--report", str(report)],
                 ["report", "verify", str(report)],
                 ["config", "set", "office", "kagoshima"],
                 ["collect", "--only", "power.battery", "-o", str(bundle)]):
        done = subprocess.run([str(CONSOLE_SCRIPT), *argv], env=env, capture_output=True,
                              text=True, encoding="utf-8", timeout=120, check=False)
        assert done.returncode == 0, (argv, done.stdout, done.stderr)
    assert json.loads(report.read_text("utf-8"))["checks"][0]["id"] == "power.battery"
    assert bundle.stat().st_size > 0
    assert (home / ".local" / "share" / "precheck" / "signing-key.pem").is_file()
    assert 'office = "kagoshima"' in (home / ".config" / "precheck" / "config.toml").read_text(
        "utf-8")
    # PRECHECK_HOME with the same kind of name: the key, the salt and the settings go there.
    env["PRECHECK_HOME"] = str(home / "プレチェック データ")
    done = subprocess.run([str(CONSOLE_SCRIPT), "config", "set", "office", "namerikawa"],
                          env=env, capture_output=True, text=True, encoding="utf-8",
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "プレチェック データ" in done.stdout
    done = subprocess.run([str(CONSOLE_SCRIPT), "run", "--json", "--only", "power.battery"],
                          env=env, capture_output=True, text=True, encoding="utf-8",
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert (home / "プレチェック データ" / "signing-key.pem").is_file()


# -- a read-only install folder -----------------------------------------------------------------

def test_precheck_runs_from_a_read_only_install_folder(tmp_path: Path) -> None:
    """The code (this checkout, installed editable) and the venv mounted read-only: checks,
    reports, settings and the app's office list work, and no file appears beside the code."""
    unshare = shutil.which("unshare")
    if unshare is None or subprocess.run([unshare, "-m", "true"], capture_output=True,
                                         check=False).returncode != 0:
        if os.environ.get("CI") == "true":
            pytest.fail("CI runs as root with util-linux: unshare -m must work")
        pytest.skip("needs a private mount namespace (root and unshare -m)")
    venv = Path(sys.prefix)
    home = tmp_path / "home"
    folders = sorted({str(ROOT), str(venv)})
    read_only = "; ".join(f"mount --bind {f} {f}; mount -o remount,ro,bind {f}"
                          for f in folders)
    script = (
        f"{read_only}; touch {ROOT}/probe 2>/dev/null && echo WRITABLE; "
        f"export PRECHECK_HOME={home}; "
        f"{CONSOLE_SCRIPT} run --json --only power.battery --report {tmp_path}/r.json >/dev/null; "
        f"{CONSOLE_SCRIPT} report verify {tmp_path}/r.json; "
        f"{CONSOLE_SCRIPT} config set office tenmonkan >/dev/null; "
        f"{sys.executable} -m precheck --version; "
        f"{sys.executable} -c 'from precheck.tui import offices; print(len(offices.local()))'")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    done = subprocess.run([unshare, "-m", "sh", "-euc", script], env=env, capture_output=True,
                          text=True, encoding="utf-8", timeout=180, check=False)
    assert done.returncode == 0, (done.stdout, done.stderr)
    assert "WRITABLE" not in done.stdout
    assert done.stdout.splitlines()[-2:] == [f"precheck {_version()}", "5"]
    assert (home / "config.toml").is_file()


def _version() -> str:
    from precheck import __version__

    return __version__

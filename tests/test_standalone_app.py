"""The standalone app (tools/build_app.py) run as a job seeker runs it: no Python, no venv.

The app folder comes from ``PRECHECK_APP_DIR`` (``.ci/run`` builds it before the tests and sets
it); without it the folder is built once per session when ``CI=true`` or ``PRECHECK_BUILD_APP=1``
(about a minute and a half), and the tests are skipped otherwise, saying how to run them.

Each program runs with a bare environment: ``PATH=/usr/bin:/bin`` (no venv), no ``PYTHONPATH``
or ``VIRTUAL_ENV``, a fresh ``PRECHECK_HOME``. What the venv install answers is the reference:
the same checks, the same verdicts on the same diagnostic bundles, reports each side verifies.
Where this machine allows mount namespaces (root, ``unshare``), the app also runs with the
system's PortAudio and Python hidden, and from a read-only folder.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENV_SCRIPT = Path(sys.executable).with_name("precheck")
BUNDLES = ROOT / "tests" / "fixtures" / "bundles"
#: Bundles of other systems and of this one, with passes, fails and "could not tell" among them.
REPLAYED = ("firewall-windows11-ja", "devices-macos-covered-camera",
            "network-linux-debian12-offline", "windows-p2p", "os-support-windows11-23h2")

pytestmark = pytest.mark.slow


#: The checks the distribution registers (pyproject.toml's entry points): all in the app.
BUILT_IN_CHECKS = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml")
                                .read_text("utf-8"))["project"]["entry-points"][
                                    "precheck.checks.v1"]

def _on_ci() -> bool:
    return os.environ.get("CI") == "true"


@pytest.fixture(scope="session")
def app_dir() -> Path:
    """The built app folder (see the module's docstring)."""
    given = os.environ.get("PRECHECK_APP_DIR")
    if given:
        folder = Path(given).resolve()
        if not (folder / "precheck").is_file():
            pytest.fail(f"PRECHECK_APP_DIR={given} holds no precheck program")
        return folder
    if not (_on_ci() or os.environ.get("PRECHECK_BUILD_APP") == "1"):
        pytest.skip("the standalone app is not built: set PRECHECK_APP_DIR=dist/app/precheck "
                    "after python tools/build_app.py, or PRECHECK_BUILD_APP=1 to build it here")
    if sys.platform != "linux":
        pytest.skip("this test runs the Linux build; .github/workflows/app.yml runs the others")
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "build_app.py")], cwd=ROOT,
                          capture_output=True, text=True, timeout=1500, check=False)
    if done.returncode != 0:
        pytest.fail(f"tools/build_app.py failed ({done.returncode}):\n{done.stdout[-3000:]}\n"
                    f"{done.stderr[-3000:]}")
    return ROOT / "dist" / "app" / "precheck"


@pytest.fixture
def bare_env(tmp_path: Path) -> dict[str, str]:
    """An environment with no Python of ours on it: what a double-click gets, more or less."""
    home = tmp_path / "home"
    home.mkdir()
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "PRECHECK_HOME": str(home / "precheck"),
            "LANG": "C.UTF-8"}


def run(program: Path, *args: str, env: dict[str, str], timeout: float = 120,
        cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(program), *args], env=env, capture_output=True, text=True,
                          encoding="utf-8", timeout=timeout, check=False, cwd=cwd)


def verdicts(document: str) -> list[tuple[str, str]]:
    return [(c["id"], c["status"]) for c in json.loads(document)["checks"]]


def test_the_app_folder_holds_the_program_its_data_and_portaudio(app_dir: Path) -> None:
    internal = app_dir / "_internal"
    assert os.access(app_dir / "precheck", os.X_OK)
    for data in ("precheck/locale/ja/LC_MESSAGES/precheck.mo",
                 "precheck/locale/ja/LC_MESSAGES/tui.mo", "precheck/locale/en/LC_MESSAGES/tui.mo",
                 "precheck/policy/policy.schema.json", "precheck/gateway/data/offices.toml",
                 "precheck/tui/app.tcss", "precheck/reports/report.schema.json",
                 "libportaudio.so.2", "tzdata/zoneinfo/Asia/Tokyo"):
        assert (internal / data).is_file(), data
    assert list((internal / "cv2").glob("cv2*.so")), "OpenCV is missing"
    assert not list(internal.glob("fastapi*")), "the gateway's server side is not for the app"
    archives = list(app_dir.parent.glob("precheck-*-linux-*.tar.gz"))
    assert archives, "no archive beside the folder"


def test_version_list_and_a_live_check_run_with_no_python_on_path(
        app_dir: Path, bare_env: dict[str, str]) -> None:
    program = app_dir / "precheck"
    version = run(program, "--version", env=bare_env)
    assert version.returncode == 0, version.stderr
    from precheck import __version__

    assert version.stdout == f"precheck {__version__}\n"
    listed = run(program, "list", "--json", env=bare_env)
    assert listed.returncode == 0, listed.stderr
    reference = run(VENV_SCRIPT, "list", "--json", env={**os.environ, **bare_env,
                                                         "PATH": os.environ["PATH"]})
    assert json.loads(listed.stdout) == json.loads(reference.stdout)
    assert len(json.loads(listed.stdout)) == len(BUILT_IN_CHECKS)
    battery = run(program, "run", "--json", "--only", "power.battery", env=bare_env)
    assert battery.returncode in (0, 1), battery.stderr  # advisory: never blocks, never crashes
    assert [cid for cid, _ in verdicts(battery.stdout)] == ["power.battery"]
    assert battery.stderr == ""


def test_bundles_get_the_same_verdicts_and_reports_verify_both_ways(
        app_dir: Path, bare_env: dict[str, str], tmp_path: Path) -> None:
    program = app_dir / "precheck"
    venv_env = {**os.environ, "PRECHECK_HOME": bare_env["PRECHECK_HOME"]}
    for name in REPLAYED:
        bundle = BUNDLES / name
        app_report, venv_report = tmp_path / f"{name}-app.json", tmp_path / f"{name}-venv.json"
        from_app = run(program, "run", "--json", "--bundle", str(bundle), "--report",
                       str(app_report), env=bare_env)
        from_venv = run(VENV_SCRIPT, "run", "--json", "--bundle", str(bundle), "--report",
                        str(venv_report), env=venv_env)
        assert from_app.returncode == from_venv.returncode, (name, from_app.stderr)
        assert verdicts(from_app.stdout) == verdicts(from_venv.stdout), name
        # A report the app signed verifies with the venv install, and the other way round.
        checked = run(VENV_SCRIPT, "report", "verify", str(app_report), env=venv_env)
        assert checked.returncode == 0, (name, checked.stdout, checked.stderr)
        checked = run(program, "report", "verify", str(venv_report), env=bare_env)
        assert checked.returncode == 0, (name, checked.stdout, checked.stderr)
    tampered = json.loads((tmp_path / f"{REPLAYED[0]}-app.json").read_text("utf-8"))
    first = tampered["checks"][0]
    first["status"] = "pass" if first["status"] != "pass" else "fail"
    (tmp_path / "tampered.json").write_text(json.dumps(tampered), "utf-8")
    refused = run(program, "report", "verify", str(tmp_path / "tampered.json"), env=bare_env)
    assert refused.returncode == 1, refused.stdout


def test_the_app_opens_on_the_japanese_welcome_screen_at_80x24(
        app_dir: Path, bare_env: dict[str, str]) -> None:
    if shutil.which("tmux") is None:
        if _on_ci():
            pytest.fail("tmux is not installed: .ci/run must install it")
        pytest.skip("needs tmux (apt-get install tmux)")
    socket = f"precheck-app-{uuid.uuid4().hex[:8]}"

    def tmux(*args: str) -> str:
        return subprocess.run(["tmux", "-u", "-L", socket, *args], capture_output=True,
                              text=True, timeout=30, check=False).stdout

    env = {**bare_env, "TERM": "xterm-256color"}
    command = f"{app_dir / 'precheck'}; echo EXIT:$?; sleep 60"
    subprocess.run(["tmux", "-u", "-L", socket, "new-session", "-d", "-x", "80", "-y", "24",
                    "-s", "t", command], env=env, check=True, timeout=30)
    try:
        shown = wait_for(lambda: tmux("capture-pane", "-p", "-t", "t"),
                         lambda s: "オンライン職業相談の事前チェック" in s)
        assert "チェックを始める" in shown
        assert "第5条" in shown
        tmux("send-keys", "-t", "t", "C-q")
        wait_for(lambda: tmux("capture-pane", "-p", "-t", "t"), lambda s: "EXIT:0" in s)
    finally:
        tmux("kill-server")


def wait_for(screen: Callable[[], str], condition: Callable[[str], bool],
             seconds: float = 60.0) -> str:
    deadline = time.monotonic() + seconds
    shown = ""
    while time.monotonic() < deadline:
        shown = screen()
        if condition(shown):
            return shown
        time.sleep(0.2)
    pytest.fail(f"the screen never showed what was expected; it shows:\n{shown}")


# -- in a mount namespace: the system's PortAudio and Python hidden, a read-only app folder -------

@pytest.fixture
def namespace() -> Callable[[str], subprocess.CompletedProcess[str]]:
    """Runs a shell script in a private mount namespace (root and util-linux's unshare)."""
    unshare = shutil.which("unshare")
    probe = subprocess.run([unshare or "unshare", "-m", "true"], capture_output=True,
                           check=False) if unshare else None
    if probe is None or probe.returncode != 0:
        if _on_ci():
            pytest.fail("CI runs as root with util-linux: unshare -m must work")
        pytest.skip("needs a private mount namespace (root and unshare -m)")

    def in_namespace(script: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["unshare", "-m", "sh", "-euc", script], capture_output=True,
                              text=True, encoding="utf-8", timeout=180, check=False,
                              env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})

    return in_namespace


def test_the_app_brings_its_own_portaudio_and_needs_no_python(
        app_dir: Path, tmp_path: Path,
        namespace: Callable[[str], subprocess.CompletedProcess[str]]) -> None:
    """With the system's PortAudio masked, the venv install cannot load it (the mask works); the
    app, with every Python interpreter masked as well, still runs the microphone check to a
    verdict with the PortAudio it carries."""
    libraries = [p for p in Path("/usr/lib").glob("*/libportaudio.so*") if not p.is_symlink()]
    assert libraries, "the machine's PortAudio (libportaudio2) is needed to show the app's own"
    pythons = {Path(sys.executable).resolve(), *Path("/usr/bin").glob("python3*"),
               *Path("/usr/local/bin").glob("python3*")}
    pythons = {p.resolve() for p in pythons if p.exists()}
    no_portaudio = "; ".join(f"mount --bind /dev/null {p}" for p in libraries)
    no_python = "; ".join(f"mount --bind /dev/null {p}" for p in sorted(pythons))
    home = tmp_path / "home"
    program, microphone = app_dir / "precheck", "run --json --only device.microphone"
    done = namespace(
        f"export PRECHECK_HOME={home}; {no_portaudio}; "
        f"{VENV_SCRIPT} {microphone} > {tmp_path}/venv.json || true; {no_python}; "
        f"! {sys.executable} -c pass 2>/dev/null; "
        f"{program} {microphone} > {tmp_path}/app.json || true; {program} --version")
    assert done.returncode == 0, (done.stdout, done.stderr)
    assert done.stdout.startswith("precheck ")
    venv = json.loads((tmp_path / "venv.json").read_text("utf-8"))["checks"][0]
    assert venv["status"] == "error", venv  # PortAudio is missing for the venv install
    app = json.loads((tmp_path / "app.json").read_text("utf-8"))["checks"][0]
    # No sound card here: "no microphone" is a verdict PortAudio gave; "error" would mean the
    # library did not load.
    assert app["status"] in ("pass", "fail", "warn"), app


def test_the_app_runs_from_a_read_only_folder(
        app_dir: Path, tmp_path: Path,
        namespace: Callable[[str], subprocess.CompletedProcess[str]]) -> None:
    """Program Files is read-only for a job seeker: nothing may need to write beside the app."""
    home = tmp_path / "home"
    done = namespace(
        f"mount --bind {app_dir} {app_dir}; mount -o remount,ro,bind {app_dir}; "
        f"touch {app_dir}/probe 2>/dev/null && echo WRITABLE; "
        f"export PRECHECK_HOME={home}; "
        f"{app_dir / 'precheck'} run --json --only power.battery --report {tmp_path}/r.json "
        f"> /dev/null; {app_dir / 'precheck'} report verify {tmp_path}/r.json; "
        f"{app_dir / 'precheck'} config set office namerikawa")
    assert "WRITABLE" not in done.stdout
    assert done.returncode == 0, (done.stdout, done.stderr)
    assert (home / "config.toml").read_text("utf-8").count('office = "namerikawa"') == 1


def test_the_macos_launcher_keeps_the_window_until_enter(
        app_dir: Path, tmp_path: Path) -> None:
    """precheck.command (what Finder opens in Terminal) runs the program beside it, which then
    says in Japanese how to close the window and waits for Enter. Run here with the Linux build
    in a pseudo-terminal; the program is linked in beside a copy of the launcher."""
    import pty
    import select

    folder = tmp_path / "app"
    folder.mkdir()
    (folder / "precheck").symlink_to(app_dir / "precheck")
    launcher = folder / "precheck.command"
    shutil.copyfile(ROOT / "tools" / "app" / "precheck.command", launcher)
    launcher.chmod(0o755)
    leader, follower = pty.openpty()
    process = subprocess.Popen([str(launcher), "--version"], stdin=follower, stdout=follower,
                               stderr=follower, env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8",
                                                     "PRECHECK_HOME": str(tmp_path / "home")})
    os.close(follower)
    shown = b""
    try:
        deadline = time.monotonic() + 60
        while "閉じます".encode() not in shown and time.monotonic() < deadline:
            if select.select([leader], [], [], 0.2)[0]:
                shown += os.read(leader, 4096)
        text = shown.decode("utf-8")
        assert "precheck " in text
        assert "Enter キーを押すと、このウィンドウを閉じます。" in text
        time.sleep(0.5)
        assert process.poll() is None, "the window closed without waiting for Enter"
        os.write(leader, b"\r")
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
        os.close(leader)

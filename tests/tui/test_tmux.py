"""The real ``precheck`` in a real terminal: tmux at 80x24, typed at and read as a person would.

Bare ``precheck`` opens the app because tmux gives it a terminal. The test answers whatever the
screen asks (the preview's Next, the tone, the tone question, the recording) with the keys a
person would press, reads the Japanese on screen with ``tmux capture-pane``, checks that every
line fits the 80 columns (Japanese letters take two cells each), switches to English and quits.
The checks are this machine's live checks, so the verdict may go either way.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from rich.cells import cell_len

CONSOLE_SCRIPT = Path(sys.executable).with_name("precheck")
WIDTH, HEIGHT = 80, 24

pytestmark = pytest.mark.slow


def need_tmux() -> None:
    if shutil.which("tmux") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("tmux is not installed: .ci/run must install it")
        pytest.skip("needs tmux (apt-get install tmux)")


class Terminal:
    """One tmux session on a private server, running one command at 80x24."""

    def __init__(self, home: Path) -> None:
        self.socket = f"precheck-test-{uuid.uuid4().hex[:8]}"
        self.home = home

    def tmux(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-u", "-L", self.socket, *args], capture_output=True,
                              text=True, timeout=30, check=False)
        return done.stdout

    def start(self, *argv: str) -> None:
        """Run bare ``precheck`` with ``argv``."""
        self.run(str(CONSOLE_SCRIPT), *argv)

    def run(self, *command_line: str) -> None:
        """Run ``command_line`` in the terminal; its exit code shows as ``EXIT:n`` after it."""
        env = {k: v for k, v in os.environ.items()
               if k not in ("PRECHECK_LANG", "PRECHECK_GATEWAY_URL", "TMUX", "CI")}
        env.update({"PRECHECK_HOME": str(self.home), "LANG": "C.UTF-8", "TERM": "xterm-256color"})
        command = " ".join(map(shlex.quote, command_line)) + "; echo EXIT:$?; sleep 60"
        subprocess.run(["tmux", "-u", "-L", self.socket, "new-session", "-d", "-x", str(WIDTH),
                        "-y", str(HEIGHT), "-s", "t", command], env=env, check=True, timeout=30)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "t")

    def press(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "t", *keys)

    def type(self, text: str) -> None:
        """Type ``text`` as it is (no key names): a name, an address."""
        self.tmux("send-keys", "-t", "t", "-l", text)

    def wait_for(self, condition: Callable[[str], bool], seconds: float = 30.0) -> str:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            shown = self.screen()
            if condition(shown):
                return shown
            time.sleep(0.2)
        pytest.fail(f"the screen never showed what was expected; it shows:\n{self.screen()}")

    def close(self) -> None:
        self.tmux("kill-server")


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    need_tmux()
    if not CONSOLE_SCRIPT.exists():
        pytest.skip(f"the console script is not installed next to {sys.executable}")
    term = Terminal(tmp_path / "home")
    yield term
    term.close()


def fits(screen: str) -> None:
    """Every line fits the terminal, and a box drawn around Japanese text is closed at its edge."""
    for line in screen.splitlines():
        assert cell_len(line) <= WIDTH, line
        if line.startswith("┃"):
            assert line.rstrip().endswith("┃"), line
            assert cell_len(line.rstrip()) == WIDTH, line


def test_bare_precheck_opens_the_app_in_japanese_runs_to_the_verdict_and_quits(
        terminal: Terminal) -> None:
    terminal.start()
    shown = terminal.wait_for(lambda s: "オンライン職業相談の事前チェック" in s)
    assert "第5条" in shown
    assert "チェックを始める" in shown
    fits(shown)
    terminal.press("Enter")
    terminal.wait_for(lambda s: "このパソコンをチェックしています" in s)
    pressed: dict[str, float] = {}
    prompts = [  # what the screen asks (a button's words), and the key a person presses
        ("聞こえましたか", "n"),  # a tone played: nobody in this test listens
        ("録音してチェック", "Enter"),
        ("音を鳴らす", "Enter"),
        ("次へ", "Enter"),  # the live preview: move on
    ]
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        shown = terminal.screen()
        if "予約できません" in shown or "予約できます" in shown:
            break
        for words, key in prompts:
            # A person presses again when nothing happened: a button ignores a second press
            # that comes within a fifth of a second of the first (no step is skipped by a
            # double press).
            if words in shown and time.monotonic() - pressed.get(words, 0.0) > 1.5:
                pressed[words] = time.monotonic()
                terminal.press(key)
                break
        time.sleep(0.3)
    else:
        pytest.fail(f"no verdict on screen:\n{terminal.screen()}")
    shown = terminal.wait_for(lambda s: "結果" in s and ("予約できま" in s))
    assert "予約できません" in shown  # the declarations are not confirmed yet, at least
    assert "再チェック" in shown
    fits(shown)
    terminal.press("F2")
    shown = terminal.wait_for(lambda s: "Not ready to book" in s)
    assert "Results" in shown
    fits(shown)
    terminal.press("C-q")
    terminal.wait_for(lambda s: "EXIT:0" in s, seconds=15)


def test_precheck_lang_en_opens_the_app_in_english(terminal: Terminal) -> None:
    terminal.start("--lang", "en")
    shown = terminal.wait_for(lambda s: "Pre-check for the Hello Work online job consultation" in s)
    assert "Start the check" in shown
    terminal.press("F1")
    shown = terminal.wait_for(lambda s: "Help: keys" in s)
    assert "Switch between Japanese and English" in shown
    fits(shown)
    terminal.press("Escape")
    terminal.press("F2")
    terminal.wait_for(lambda s: "チェックを始める" in s)
    terminal.press("C-q")
    terminal.wait_for(lambda s: "EXIT:0" in s, seconds=15)

"""The distribution: its name of our own, the licence, py.typed, ``python -m precheck``.

``precheck`` on PyPI is another project: every install line must name ``hellowork-precheck``.
"""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from precheck import __version__

ROOT = Path(__file__).resolve().parent.parent
NAME = "hellowork-precheck"
#: What may follow `pip install` (and its flags) besides our name: this checkout and its extras,
#: or a sample plugin in its examples folder.
LOCAL = re.compile(r"""^(\.|examples/[\w.-]+/?|'\.\[[a-z,]+\]'|"\.\[[a-z,]+\]"|\.\[[a-z,]+\])$""")


def install_lines() -> list[tuple[Path, str]]:
    files = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")),
             *sorted((ROOT / "precheck").rglob("*.py")), *sorted((ROOT / "tools").rglob("*.py"))]
    return [(path, line) for path in files for line in path.read_text("utf-8").splitlines()
            if "pip install" in line or "precheck[" in line]


def test_every_install_line_names_our_distribution() -> None:
    lines = install_lines()
    assert lines, "no install line found: the search is wrong"
    for path, line in lines:
        assert not re.search(r"(?<![-\w])precheck\[", line), (path, line)
        for target in re.findall(r"pip install(?:\s+-[-\w]+)*\s+([^\s;&|`#]+)", line):
            assert LOCAL.match(target) or target.strip("'\"").startswith(NAME), (path, line)


def test_the_test_extra_names_the_distribution_itself() -> None:
    text = (ROOT / "pyproject.toml").read_text("utf-8")
    assert f'name = "{NAME}"' in text
    assert f'"{NAME}[gateway,postgres]"' in text
    assert "precheck = \"precheck.cli:main\"" in text  # the command keeps its name


def test_python_m_precheck_is_the_command() -> None:
    done = subprocess.run([sys.executable, "-m", "precheck", "--version"], capture_output=True,
                          text=True, timeout=60, check=False)
    assert (done.returncode, done.stdout) == (0, f"precheck {__version__}\n"), done.stderr


@pytest.mark.slow
def test_the_wheel_carries_the_licence_py_typed_and_main(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                           str(tmp_path), str(ROOT)], capture_output=True, text=True,
                          timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    (wheel,) = tmp_path.glob("hellowork_precheck-*.whl")
    with zipfile.ZipFile(wheel) as zipped:
        names = set(zipped.namelist())
        info = f"hellowork_precheck-{__version__}.dist-info"
        metadata = zipped.read(f"{info}/METADATA").decode()
        assert f"{info}/licenses/LICENSE" in names
        assert "MIT License" in zipped.read(f"{info}/licenses/LICENSE").decode()
    assert "precheck/py.typed" in names
    assert "precheck/__main__.py" in names
    assert f"Name: {NAME}\n" in metadata
    assert "License-Expression: MIT\n" in metadata
    assert "Requires-Dist: tzdata" in metadata

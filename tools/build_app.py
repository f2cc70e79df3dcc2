"""Build the standalone app: a folder a job seeker runs without Python, and an archive of it.

    python tools/build_app.py            # from the root of a checkout; Python 3.11+

makes ``dist/app/precheck/`` (the executable ``precheck``, ``precheck.exe`` on Windows, and what it
needs beside it) and the archive ``dist/app/precheck-VERSION-SYSTEM-MACHINE.tar.gz`` (``.zip``
on Windows) with that folder in it, then prints their sizes and the archive's SHA-256.

How: a build environment ``build/app-venv`` gets this checkout installed (not editable: the
checks are found through the installed distribution's entry points) and PyInstaller, which
freezes ``precheck.standalone`` in one-folder mode with the message catalogs, the policy data,
the JSON Schemas, the office profiles and the app's stylesheet (``tools/app/hooks``), OpenCV
(its own hook) and PortAudio. One-folder rather than one-file: a one-file build unpacks itself
into a temporary folder on every start (slower, and antivirus programs distrust it).

Everything that differs between Windows, macOS and Linux is in :data:`PLATFORMS` below (the
archive format, the console decision, the version resource, the macOS launcher, PortAudio);
signing and notarisation are a checklist for the operator in ``docs/app.md``.

Options: ``--offices FILE`` ships another office profile file (an operator's, with each office's
``gateway_url``) instead of ``precheck/gateway/data/offices.toml``; ``--python EXE`` builds with
an existing environment that already has the project and PyInstaller installed; ``--no-archive``
skips the archive.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP_TOOLS = ROOT / "tools" / "app"
DIST = ROOT / "dist" / "app"
BUILD = ROOT / "build"
NAME = "precheck"
#: PyInstaller's version range this script is written for (its options and hook API).
PYINSTALLER = "pyinstaller>=6.10,<7"
#: Modules the job seeker's app never imports: the gateway's server side and development tools.
EXCLUDES = ("fastapi", "starlette", "uvicorn", "sqlalchemy", "alembic", "psycopg", "argon2",
            "holidays", "multipart", "httpx", "pytest", "tkinter", "IPython", "matplotlib")


@dataclass(frozen=True, slots=True)
class Platform:
    """What the build does differently on one system."""

    system: str  # as platform.system() says
    label: str  # in the archive's name
    executable: str  # the program's file name
    archive: str  # "zip" or "gztar"
    extra_args: tuple[str, ...] = ()  # PyInstaller options for this system only


PLATFORMS = {
    # A console program on every system: the app runs in a terminal window. Never --windowed
    # (-w): it would leave the app without a terminal to draw in.
    "Windows": Platform("Windows", "windows", "precheck.exe", "zip",
                        # Explorer's file properties show the product name and version.
                        ("--version-file", "{build}/version-info.txt")),
    # Finder opens precheck.command in Terminal; it keeps the window open at the end.
    "Darwin": Platform("Darwin", "macos", "precheck", "gztar"),
    # PortAudio is a system library on Linux (Debian's libportaudio2): it is copied in, and a
    # runtime hook points sounddevice at the copy.
    "Linux": Platform("Linux", "linux", "precheck", "gztar",
                      ("--runtime-hook", str(APP_TOOLS / "rthook_portaudio.py"))),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", type=Path, metavar="EXE",
                        help="build with this Python (it must have the project and PyInstaller "
                             "installed) instead of making build/app-venv")
    parser.add_argument("--offices", type=Path, metavar="FILE",
                        help="ship this office profile file instead of the one in the checkout")
    parser.add_argument("--no-archive", action="store_true", help="do not make the archive")
    args = parser.parse_args(argv)

    target = PLATFORMS.get(platform.system())
    if target is None:
        print(f"build_app: {platform.system()} is not a system the app is built for",
              file=sys.stderr)
        return 2
    if args.offices is not None and not args.offices.is_file():
        print(f"build_app: no such office profile file: {args.offices}", file=sys.stderr)
        return 2
    started = time.monotonic()
    # A failed build must not leave the last good one looking like this one.
    shutil.rmtree(DIST, ignore_errors=True)
    python = args.python or _build_venv()
    version = _version()
    folder = _freeze(python, target, version, args.offices)
    if target.system == "Darwin":
        _install_launcher(folder)
    print(f"build_app: {folder} ({_megabytes(_folder_size(folder))} unpacked)")
    if not args.no_archive:
        archive = _archive(folder, target, version)
        digest = hashlib.sha256(archive.read_bytes()).hexdigest()
        print(f"build_app: {archive} ({_megabytes(archive.stat().st_size)}, sha256 {digest})")
    print(f"build_app: done in {time.monotonic() - started:.0f} s")
    return 0


def _run(command: list[str], **kwargs: object) -> None:
    print("build_app: $ " + " ".join(command), flush=True)
    subprocess.run(command, check=True, **kwargs)  # type: ignore[call-overload]


def _build_venv() -> Path:
    """build/app-venv with this checkout (not editable) and PyInstaller installed."""
    venv = BUILD / "app-venv"
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    if not python.exists():
        _run([sys.executable, "-m", "venv", str(venv)])
    _run([str(python), "-m", "pip", "install", "-q", PYINSTALLER])
    # --force-reinstall --no-deps: the checkout's current files, even at the same version.
    _run([str(python), "-m", "pip", "install", "-q", str(ROOT)])
    _run([str(python), "-m", "pip", "install", "-q", "--force-reinstall", "--no-deps",
          str(ROOT)])
    return python


def _version() -> str:
    text = (ROOT / "precheck" / "__init__.py").read_text("utf-8")
    match = re.search(r'^__version__ = "([^"]+)"', text, re.MULTILINE)
    if match is None:
        msg = "no __version__ in precheck/__init__.py"
        raise SystemExit(msg)
    return match[1]


def _freeze(python: Path, target: Platform, version: str, offices: Path | None) -> Path:
    work = BUILD / "pyinstaller"
    work.mkdir(parents=True, exist_ok=True)
    if target.system == "Windows":
        _write_version_resource(work / "version-info.txt", version)
    environ = dict(os.environ)
    if offices is not None:
        environ["PRECHECK_BUILD_OFFICES"] = str(_checked_offices(python, offices, work))
    command = [
        str(python), "-m", "PyInstaller", str(APP_TOOLS / "entry.py"),
        "--name", NAME, "--onedir", "--console", "--noconfirm", "--clean", "--log-level", "WARN",
        "--distpath", str(DIST), "--workpath", str(work), "--specpath", str(work),
        "--additional-hooks-dir", str(APP_TOOLS / "hooks"),
        # The built-in checks are plugins, found through the distribution's entry points.
        "--copy-metadata", "hellowork-precheck",
        # Asia/Tokyo on Windows, which has no time-zone database of its own.
        "--collect-data", "tzdata",
        "--hidden-import", "precheck", "--hidden-import", "precheck.checks",
        "--hidden-import", "precheck.reports",
    ]
    for module in EXCLUDES:
        command += ["--exclude-module", module]
    command += [arg.format(build=work) for arg in target.extra_args]
    if target.system == "Linux":
        command += ["--add-binary", f"{_portaudio_linux()}{os.pathsep}."]
    _run(command, env=environ)
    folder = DIST / NAME
    if not (folder / target.executable).is_file():
        msg = f"PyInstaller made no {folder / target.executable}"
        raise SystemExit(msg)
    return folder


def _checked_offices(python: Path, offices: Path, work: Path) -> Path:
    """The operator's office profiles, checked as the app will read them, as offices.toml (the
    name the app looks for; hook-precheck.py ships it)."""
    check = ("import sys; from pathlib import Path; "
             "from precheck.offices import load_offices; "
             "found = load_offices(Path(sys.argv[1])); "
             "print(len(found), 'offices,', sum(bool(o.gateway_url) for o in found.values()), "
             "'with a gateway_url')")
    done = subprocess.run([str(python), "-c", check, str(offices)], capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        reason = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "?"
        msg = f"build_app: {offices} is not a valid office profile file: {reason}"
        raise SystemExit(msg)
    print(f"build_app: {offices}: {done.stdout.strip()}")
    copy = work / "offices" / "offices.toml"
    copy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(offices, copy)
    return copy


def _portaudio_linux() -> Path:
    """The system's PortAudio (Debian: libportaudio2), which sounddevice loads at run time."""
    import ctypes.util

    name = ctypes.util.find_library("portaudio")
    for folder in ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64",
                   "/usr/lib"):
        if name and (Path(folder) / name).exists():
            return Path(folder) / name  # the soname (libportaudio.so.2), as the hook expects
    msg = ("build_app: PortAudio was not found; install it first (Debian/Ubuntu: "
           "apt-get install libportaudio2)")
    raise SystemExit(msg)


def _write_version_resource(path: Path, version: str) -> None:
    """The Windows version resource (shown in the file's properties), from the package version."""
    numbers = [int(n) for n in re.findall(r"\d+", version)[:3]]
    numbers += [0] * (4 - len(numbers))
    four = tuple(numbers[:4])
    path.write_text(f"""VSVersionInfo(
  ffi=FixedFileInfo(filevers={four}, prodvers={four}),
  kids=[
    StringFileInfo([StringTable('041104B0', [
      StringStruct('CompanyName', 'precheck'),
      StringStruct('FileDescription', 'precheck: ハローワーク オンライン職業相談の事前チェック'),
      StringStruct('FileVersion', '{version}'),
      StringStruct('ProductName', 'precheck'),
      StringStruct('ProductVersion', '{version}'),
      StringStruct('OriginalFilename', 'precheck.exe'),
      StringStruct('LegalCopyright', 'MIT License')])]),
    VarFileInfo([VarStruct('Translation', [0x0411, 1200])])
  ]
)
""", "utf-8")


def _install_launcher(folder: Path) -> None:
    """macOS: the double-clickable launcher beside the program."""
    launcher = folder / "precheck.command"
    shutil.copyfile(APP_TOOLS / "precheck.command", launcher)
    launcher.chmod(0o755)


def _archive(folder: Path, target: Platform, version: str) -> Path:
    machine = platform.machine().lower().replace("amd64", "x86_64").replace("aarch64", "arm64")
    stem = DIST / f"{NAME}-{version}-{target.label}-{machine}"
    if target.archive == "zip":
        archive = stem.with_name(stem.name + ".zip")
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zipped:
            for path in sorted(folder.rglob("*")):
                zipped.write(path, Path(NAME) / path.relative_to(folder))
        return archive
    archive = stem.with_name(stem.name + ".tar.gz")
    with tarfile.open(archive, "w:gz", compresslevel=9) as tarred:
        tarred.add(folder, arcname=NAME)  # keeps the executable bits
    return archive


def _folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


if __name__ == "__main__":
    sys.exit(main())

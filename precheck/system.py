"""The probe seam: every fact a check uses comes through a :class:`System`.

A ``System`` answers *probes*. Each probe has a stable name (the exact command line, the file
path, the WMI namespace and class, the psutil call) and a JSON answer. Where the answer comes from
is the backend's business:

* :class:`LiveBackend` asks this machine, and records every answer, so the run can be written to a
  diagnostic bundle (see ``docs/bundle-format.md``);
* :class:`ReplayBackend` reads the answers back from a bundle, on any OS, so a staff member gets
  the verdicts the job seeker got.

A ``System`` keeps only these recordable primitives. Facts are typed functions of the probe
packages (``precheck.probes.os_info(system)``, ``precheck.probes.firewall.firewall(system)`` ...)
that turn probe answers into frozen dataclasses; which OS module parses them is chosen by the
platform the answers came from, never by the platform precheck happens to run on. A system
whose facts come whole from elsewhere (the browser check's figures) answers them through
:meth:`System.fact`, so the fact functions stay the one way in.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol, TypeAlias, TypeVar

from precheck import _windows
from precheck.errors import ProbeError, ProbeMissing

#: A probe's answer: anything that survives a JSON round trip unchanged.
JSON: TypeAlias = dict[str, Any] | list[Any] | str | int | float | bool | None
T = TypeVar("T")


class Platform(StrEnum):
    """The operating-system families precheck knows."""

    WINDOWS = "windows"
    MACOS = "macos"
    LINUX = "linux"

    @classmethod
    def current(cls) -> Platform:
        if sys.platform == "win32":
            return cls.WINDOWS
        if sys.platform == "darwin":
            return cls.MACOS
        return cls.LINUX


@dataclass(frozen=True, slots=True)
class CommandResult:
    """What a command printed and how it exited."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


@dataclass(frozen=True, slots=True)
class Record:
    """One recorded probe: its answer, or the expected failure it met."""

    name: str
    value: JSON = None
    error_kind: str | None = None
    error_message: str | None = None

    def answer(self) -> JSON:
        if self.error_kind is not None:
            raise ProbeError(self.name, self.error_kind, self.error_message or "")
        return self.value


class Backend(Protocol):
    """Where probe answers come from."""

    @property
    def platform(self) -> Platform: ...

    def answer(self, name: str, produce: Callable[[], JSON]) -> JSON:
        """The answer to probe ``name``; ``produce`` asks the live machine for it."""
        ...


class LiveBackend:
    """Asks this machine. Each probe runs once per backend; every answer is recorded.

    Concurrent checks asking the same probe share one call: the first caller runs it and the
    others wait for its answer, so an expensive probe (a camera, a speed test) never runs twice.
    """

    def __init__(self, platform: Platform | None = None) -> None:
        self._platform = platform or Platform.current()
        self._lock = threading.Lock()
        self._futures: dict[str, Future[Record]] = {}

    @property
    def platform(self) -> Platform:
        return self._platform

    def answer(self, name: str, produce: Callable[[], JSON]) -> JSON:
        with self._lock:
            future = self._futures.get(name)
            owner = future is None
            if future is None:
                future = self._futures[name] = Future()
        if owner:
            try:
                record = Record(name, value=produce())
            except ProbeError as exc:
                record = Record(name, error_kind=exc.kind, error_message=exc.message)
            except BaseException as exc:
                # A bug, not an answer: nothing is recorded and waiting callers see the bug too.
                with self._lock:
                    del self._futures[name]
                future.set_exception(exc)
                raise
            future.set_result(record)
        return future.result().answer()

    def records(self) -> list[Record]:
        """Every answered probe, in the order the probes were first asked."""
        with self._lock:
            futures = list(self._futures.values())
        return [f.result() for f in futures if f.done() and f.exception() is None]


class ReplayBackend:
    """Answers from recorded probes (a diagnostic bundle), without touching this machine."""

    def __init__(self, platform: Platform, records: Mapping[str, Record]) -> None:
        self._platform = platform
        self._records = dict(records)

    @property
    def platform(self) -> Platform:
        return self._platform

    def answer(self, name: str, produce: Callable[[], JSON]) -> JSON:
        record = self._records.get(name)
        if record is None:
            raise ProbeMissing(name)
        return record.answer()


def command_name(argv: list[str], env: Mapping[str, str] | None = None) -> str:
    """The stable probe name of a command: ``cmd:`` and the shell-quoted command line."""
    prefix = " ".join(f"{k}={shlex.quote(v)}" for k, v in sorted((env or {}).items()))
    return "cmd:" + (prefix + " " if prefix else "") + shlex.join(argv)


class System:
    """Facts about one machine, live or replayed. Checks receive one through their context."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    @classmethod
    def live(cls) -> System:
        return cls(LiveBackend())

    @property
    def platform(self) -> Platform:
        return self.backend.platform

    # -- primitives: each is one named, recordable probe ------------------------------------

    def probe(self, name: str, produce: Callable[[], JSON]) -> JSON:
        """The answer of the probe called ``name``; ``produce`` computes it on a live machine."""
        return self.backend.answer(name, produce)

    def command(self, argv: list[str], *, timeout: float = 10.0,
                env: Mapping[str, str] | None = None, encoding: str | None = None
                ) -> CommandResult:
        """Run a command (never through a shell) and capture its output.

        A missing program, a time-out or a denied execution raise :class:`ProbeError`; a non-zero
        exit status is an ordinary answer.
        """
        name = command_name(argv, env)
        raw = self.probe(name, lambda: _run_command(name, argv, timeout, env, encoding))
        if not isinstance(raw, dict):
            raise ProbeError(name, "malformed", "the recorded answer is not a command result")
        return CommandResult(
            int(raw.get("returncode", -1)), str(raw.get("stdout", "")), str(raw.get("stderr", ""))
        )

    def read_text(self, path: str) -> str | None:
        """A text file's content, or None when it does not exist."""
        raw = self.probe(f"file:{path}", lambda: read_path(f"file:{path}", path, _text))
        return None if raw is None else str(raw)

    def registry_values(self, root: str, key: str) -> dict[str, JSON] | None:
        """The values under a Windows registry key (``root`` is HKLM or HKCU), None if absent."""
        name = f"reg:{root}\\{key}"
        raw = self.probe(name, lambda: _windows.read_registry(name, root, key))
        if raw is not None and not isinstance(raw, dict):
            raise ProbeError(name, "malformed", "the recorded answer is not a mapping of values")
        return raw

    def wmi(self, namespace: str, cls: str) -> list[dict[str, JSON]]:
        """The instances of a WMI class, each as a mapping of its properties."""
        name = f"wmi:{namespace}:{cls}"
        raw = self.probe(name, lambda: _windows.query_wmi(name, namespace, cls))
        if not isinstance(raw, list):
            raise ProbeError(name, "malformed", "the recorded answer is not a list of instances")
        return raw

    def now(self) -> datetime:
        """The time of the run (recorded, so a replay judges ages as the original run did)."""
        raw = self.probe("clock:now", lambda: datetime.now(UTC).isoformat())
        try:
            moment = datetime.fromisoformat(str(raw))
        except ValueError:
            moment = None
        if moment is None or moment.utcoffset() is None:
            raise ProbeError("clock:now", "malformed", "not a time with a real date and an offset")
        return moment

    def fact(self, name: str, produce: Callable[[], T]) -> T:
        """A whole fact by name (``"camera"``, ``"microphone"``, ``"speaker"``): ``produce()``,
        which reads it through the probes. A system whose facts come from elsewhere, not from
        probes (the browser check's figures), overrides this and answers them itself."""
        return produce()


def _run_command(name: str, argv: list[str], timeout: float,
                 env: Mapping[str, str] | None, encoding: str | None) -> JSON:
    full_env = {**os.environ, **env} if env else None
    flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)  # no console window flashing on Windows
    try:
        done = subprocess.run(
            argv, capture_output=True, timeout=timeout, env=full_env, check=False,
            stdin=subprocess.DEVNULL, creationflags=flags,
        )
    except FileNotFoundError as exc:
        raise ProbeError(name, "not_found", f"{argv[0]} is not installed") from exc
    except PermissionError as exc:
        raise ProbeError(name, "denied", f"not allowed to run {argv[0]}") from exc
    except subprocess.TimeoutExpired as exc:
        raise ProbeError(name, "timeout", f"no answer within {timeout:g} s") from exc
    codec = encoding or _console_encoding()
    return {
        "returncode": done.returncode,
        "stdout": done.stdout.decode(codec, errors="replace"),
        "stderr": done.stderr.decode(codec, errors="replace"),
    }


def _console_encoding() -> str:
    if sys.platform == "win32":
        # Console tools (netsh, wmic) print in the OEM code page: cp932 on Japanese Windows.
        import ctypes

        return f"cp{ctypes.windll.kernel32.GetOEMCP()}"
    return "utf-8"


def read_path(name: str, path: str, read: Callable[[str], JSON]) -> JSON:
    """``read(path)`` as the answer of probe ``name``: None when the path does not exist; a
    denied or failed read raises :class:`ProbeError`."""
    try:
        return read(path)
    except FileNotFoundError:
        return None
    except PermissionError as exc:
        raise ProbeError(name, "denied", f"not allowed to read {path}") from exc
    except OSError as exc:
        raise ProbeError(name, "os_error", f"could not read {path}: {exc.strerror}") from exc


def _text(path: str) -> str:
    with open(path, encoding="utf-8", errors="replace") as handle:  # noqa: PTH123 - plain read
        return handle.read()

"""Facts about the machine, each made of recordable probes and a pure parser.

This package is the only code that knows how each OS answers. A fact function takes a
:class:`~precheck.system.System`, asks it named probes and parses the answers into a frozen
dataclass. The OS module is chosen by ``system.platform`` (the platform the answers came from),
so a Windows bundle is parsed by the Windows parsers on any machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from precheck.errors import ProbeError
from precheck.system import JSON, Platform

if TYPE_CHECKING:
    from types import ModuleType

    from precheck.system import System


@dataclass(frozen=True, slots=True)
class OsInfo:
    """Which operating system this is (no host name, no user name)."""

    family: Platform
    id: str  # "windows", "macos", or the os-release ID ("debian", "ubuntu", ...)
    name: str  # "Windows 11 Pro", "macOS", "Debian GNU/Linux"
    version: str  # "23H2", "14.5", "12"
    build: str | None = None  # "22631.4460", "23F79"
    edition: str | None = None  # Windows EditionID ("Professional", "Core", "Enterprise")
    arch: str | None = None  # "x86_64", "AMD64", "arm64"


@dataclass(frozen=True, slots=True)
class BatteryState:
    """The battery's charge and whether the charger is connected."""

    percent: float
    plugged: bool | None  # None: the OS did not say
    seconds_left: int | None  # None: unknown or charging


@dataclass(frozen=True, slots=True)
class Resources:
    """Processor load and memory, as a video call would find them."""

    cpu_count: int
    cpu_percent: float  # whole-machine load over a one-second sample
    memory_total: int  # bytes
    memory_available: int  # bytes
    #: The part of ``cpu_percent`` that precheck itself caused (its threads and the programs it
    #: started, such as the update simulation): gone once precheck ends, so not a call's worry.
    #: 0 for bundles recorded before it was measured.
    own_cpu_percent: float = 0.0

    @property
    def others_cpu_percent(self) -> float:
        """The load a video call would meet: the machine's, less precheck's own."""
        return max(0.0, self.cpu_percent - self.own_cpu_percent)


def platform_module(package: str, system: System) -> ModuleType:
    """The OS module of a probe package (``package._windows``, ``._macos`` or ``._linux``) for
    the platform the answers came from."""
    from importlib import import_module

    return import_module(f"{package}._{system.platform.value}")


def os_info(system: System) -> OsInfo:
    info: OsInfo = platform_module(__name__, system).os_info(system)
    return info


def machine_id(system: System) -> str | None:
    """The OS's own stable machine identifier, or None. Only ever used salted and hashed."""
    ident: str | None = platform_module(__name__, system).machine_id(system)
    return ident


def machine_arch(system: System) -> str:
    import platform

    return str(system.probe("platform:machine", platform.machine))


# psutil answers the same way on every OS: one probe each, parsed here.

def _read_battery() -> JSON:
    import psutil

    sensors = getattr(psutil, "sensors_battery", None)  # absent on some BSDs
    state = sensors() if sensors else None
    if state is None:
        return None
    seconds: int | None = None
    if state.secsleft not in (psutil.POWER_TIME_UNKNOWN, psutil.POWER_TIME_UNLIMITED):
        seconds = int(state.secsleft)
    return {"percent": float(state.percent), "power_plugged": state.power_plugged,
            "secsleft": seconds}


def battery(system: System) -> BatteryState | None:
    """The battery, or None when the machine has none (a desktop)."""
    return parse_battery(system.probe("psutil:sensors_battery", _read_battery))


def parse_battery(raw: JSON) -> BatteryState | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("percent"), int | float):
        raise ProbeError("psutil:sensors_battery", "malformed", "no battery percentage")
    plugged = raw.get("power_plugged")
    seconds = raw.get("secsleft")
    return BatteryState(
        percent=float(raw["percent"]),
        plugged=plugged if isinstance(plugged, bool) else None,
        seconds_left=seconds if isinstance(seconds, int) else None,
    )


def own_cpu_seconds() -> float:
    """Processor seconds used so far by precheck's whole process tree.

    This process's own time (all its threads), the time of every program it started and waited
    for (``os.times`` children), and of each program still running below it, counted with the
    programs *it* waited for. Every process of the tree is so counted exactly once, whether it is
    running or has ended, so the difference of two readings is the tree's time in between.
    """
    import psutil

    me = psutil.Process()
    times = me.cpu_times()
    total = times.user + times.system + times.children_user + times.children_system
    for child in me.children(recursive=True):
        try:
            done = child.cpu_times()
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue  # it ended between the listing and the reading; its parent counts it
        total += (done.user + done.system + getattr(done, "children_user", 0.0)
                  + getattr(done, "children_system", 0.0))
    return float(total)


def _machine_cpu_seconds() -> tuple[float, float]:
    """(busy, all) processor seconds of the whole machine so far, summed over its cores."""
    import psutil

    times = psutil.cpu_times()
    total = sum(times)
    # Linux counts a virtual machine's time in user and nice as well: not twice (as psutil does).
    total -= getattr(times, "guest", 0.0) + getattr(times, "guest_nice", 0.0)
    idle = times.idle + getattr(times, "iowait", 0.0)
    return total - idle, total


def _read_resources() -> JSON:
    import time

    import psutil

    memory = psutil.virtual_memory()
    cpus = psutil.cpu_count() or 1
    # The machine's and precheck's own processor time over the same second. (Read here rather
    # than with psutil.cpu_percent, whose between-calls state is shared by the whole process.)
    machine_before, own_before = _machine_cpu_seconds(), own_cpu_seconds()
    started = time.monotonic()
    time.sleep(1.0)
    machine_after, own_after = _machine_cpu_seconds(), own_cpu_seconds()
    elapsed = time.monotonic() - started
    spent = machine_after[1] - machine_before[1]
    machine = 0.0 if spent <= 0 else min(
        100.0, max(0.0, 100.0 * (machine_after[0] - machine_before[0]) / spent))
    own_percent = min(machine, max(0.0, 100.0 * (own_after - own_before) / (elapsed * cpus)))
    return {
        "cpu_count": cpus,
        "cpu_percent": round(machine, 1),
        "own_cpu_percent": round(own_percent, 1),
        "memory_total": memory.total,
        "memory_available": memory.available,
    }


def resources(system: System) -> Resources:
    raw = system.probe("psutil:resources", _read_resources)
    try:
        assert isinstance(raw, dict)  # noqa: S101 - narrowed for the type checker; caught below
        return Resources(int(raw["cpu_count"]), float(raw["cpu_percent"]),
                         int(raw["memory_total"]), int(raw["memory_available"]),
                         float(raw.get("own_cpu_percent", 0.0)))
    except (AssertionError, KeyError, TypeError, ValueError) as exc:
        raise ProbeError("psutil:resources", "malformed", "incomplete resource figures") from exc

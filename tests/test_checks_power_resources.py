"""The two spine checks, power.battery and system.resources.

psutil answers below are invented (this machine has no battery): they use psutil's own field
names and units. The live tests at the end run the real probes on this machine.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from precheck.api import Context
from precheck.checks.power import Battery
from precheck.checks.resources import Resources
from precheck.result import Message, Status
from precheck.system import LiveBackend, System

GIB = 1024**3


@pytest.mark.parametrize(
    ("battery", "status", "phrase"),
    [
        (None, Status.SKIP, "desktop"),
        ({"percent": 35.0, "power_plugged": True, "secsleft": None}, Status.PASS, "Charger"),
        ({"percent": 80.0, "power_plugged": False, "secsleft": 9000}, Status.PASS, "enough"),
        ({"percent": 79.4, "power_plugged": False, "secsleft": 5000}, Status.WARN, "not connected"),
        ({"percent": 12.0, "power_plugged": None, "secsleft": None}, Status.WARN, "not connected"),
        # the flyer's rule, extended: a charge that looks enough but will not last the session
        ({"percent": 95.0, "power_plugged": False, "secsleft": 1800}, Status.WARN, "lasts only"),
        ({"percent": 95.0, "power_plugged": False, "secsleft": 2700}, Status.PASS, "enough"),
        # below the charge minimum and short: the charge is the message (with its minimum)
        ({"percent": 50.0, "power_plugged": False, "secsleft": 600}, Status.WARN, "not connected"),
        ({"percent": 100.0, "power_plugged": None, "secsleft": None}, Status.PASS, "enough"),
        ({"percent": 5.0, "power_plugged": True, "secsleft": None}, Status.PASS, "Charger"),
    ],
)
def test_battery(replay: Callable[..., Context], battery: object, status: Status,
                 phrase: str) -> None:
    result = Battery().run(replay({"psutil:sensors_battery": battery}))
    assert result.status is status
    assert phrase in result.summary.msgid
    if status is Status.WARN:
        assert result.fix
        limit = "needed" if "lasts only" in phrase else "minimum"
        assert result.summary.args[limit] == (45 if limit == "needed" else 80)


def test_battery_malformed_answer_is_an_error_not_a_pass(
        replay: Callable[..., Context]) -> None:
    from precheck.errors import ProbeError

    with pytest.raises(ProbeError):
        Battery().run(replay({"psutil:sensors_battery": {"percent": "full"}}))


def resources_answer(cpus: int = 4, percent: float = 10.0, total: float = 16,
                     available: float = 8) -> dict[str, object]:
    return {"cpu_count": cpus, "cpu_percent": percent, "memory_total": int(total * GIB),
            "memory_available": int(available * GIB)}


@pytest.mark.parametrize(
    ("answer", "status", "problems"),
    [
        (resources_answer(), Status.PASS, 0),
        (resources_answer(cpus=1), Status.WARN, 1),
        (resources_answer(total=2, available=1.5), Status.WARN, 1),
        (resources_answer(percent=97.0), Status.WARN, 1),
        (resources_answer(available=0.5), Status.WARN, 1),
        (resources_answer(cpus=1, total=2, available=0.25, percent=99), Status.WARN, 4),
    ],
)
def test_resources(replay: Callable[..., Context], answer: dict[str, object], status: Status,
                   problems: int) -> None:
    result = Resources().run(replay({"psutil:resources": answer}))
    assert result.status is status
    if problems:
        assert len(result.summary.args["problems"]) == problems  # type: ignore[arg-type]
        assert result.fix
    assert result.evidence["cpu_count"] == answer["cpu_count"]


def test_live_checks_on_this_machine(replay: Callable[..., Context]) -> None:
    ctx = Context(System(LiveBackend()), replay({}).policy)
    battery = Battery().run(ctx)
    assert battery.status in (Status.SKIP, Status.PASS, Status.WARN)
    resources = Resources().run(ctx)
    assert resources.status in (Status.PASS, Status.WARN)
    assert resources.evidence["memory_total_mb"] > 0  # type: ignore[operator]


@pytest.mark.parametrize(
    ("machine", "own", "status"),
    [
        (97.0, 40.0, Status.PASS),  # precheck's own checks made the machine busy: no warning
        (97.0, 5.0, Status.WARN),  # other programs keep it busy: a warning
        (97.0, None, Status.WARN),  # a bundle recorded before precheck's load was measured
    ],
)
def test_resources_leaves_out_precheck_own_load(replay: Callable[..., Context], machine: float,
                                                own: float | None, status: Status) -> None:
    answer = resources_answer(percent=machine)
    if own is not None:
        answer["own_cpu_percent"] = own
    result = Resources().run(replay({"psutil:resources": answer}))
    assert result.status is status
    assert result.evidence["cpu_percent"] == machine
    assert result.evidence["precheck_cpu_percent"] == (own or 0.0)


_BURN = "import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end: pass\n"


def test_own_load_counts_the_programs_precheck_started() -> None:
    """A program precheck started (as os.patches starts apt-get) burning the processor during the
    sample is counted as precheck's own load, measured against the burner's own figures."""
    import subprocess
    import sys

    import psutil

    from precheck.probes import _read_resources

    burner = subprocess.Popen([sys.executable, "-c", _BURN.format(seconds=4)])
    try:
        process = psutil.Process(burner.pid)
        before = sum(process.cpu_times()[:2])
        answer = _read_resources()
        after = sum(process.cpu_times()[:2])
    finally:
        burner.kill()
        burner.wait()
    assert isinstance(answer, dict)
    # The sample window lies within the test's two readings, so the burner spent at most
    # after - before in it; it spent nearly all of that in the one-second window.
    burned_percent = 100.0 * (after - before) / answer["cpu_count"]
    assert answer["own_cpu_percent"] <= answer["cpu_percent"]
    assert answer["own_cpu_percent"] >= 0.6 * burned_percent - 2.0, (answer, burned_percent)


def test_resources_beside_the_heaviest_checks_is_not_warned_by_them(
        replay: Callable[..., Context]) -> None:
    """system.resources runs at once with the update simulation, the speed test and the process
    listing (and a busy program precheck started): their load is precheck's, not the machine's."""
    import subprocess
    import sys

    from precheck import plugins
    from precheck.runner import Runner

    heavy = ("os.patches", "network.quality", "software.recording", "software.browser",
             "system.resources")
    catalog = plugins.load().select(heavy)
    ctx = Context(System(LiveBackend()), replay({}).policy)
    burner = subprocess.Popen([sys.executable, "-c", _BURN.format(seconds=3)])
    try:
        outcomes = {o.meta.id: o.result for o in Runner(catalog, ctx).run()}
    finally:
        burner.kill()
        burner.wait()
    result = outcomes["system.resources"]
    evidence = result.evidence
    own, machine = evidence["precheck_cpu_percent"], evidence["cpu_percent"]
    assert isinstance(own, float)
    assert isinstance(machine, float)
    assert own > 10.0, evidence  # the burner alone kept a core busy for the whole sample
    problems = result.summary.args.get("problems", ())
    assert isinstance(problems, tuple)
    busy = [p for p in problems
            if isinstance(p, Message) and "processor" in p.msgid and "busy" in p.msgid]
    # A warning about the processor only ever comes from other programs' load.
    assert bool(busy) == (machine - own > ctx.policy.section("system.resources")[
        "max_cpu_percent"])

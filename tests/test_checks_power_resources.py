"""The two spine checks, power.battery and system.resources.

psutil answers below are invented (this machine has no battery): they use psutil's own field
names and units. The live tests at the end run the real probes on this machine.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from checks.power import Battery
from checks.resources import Resources
from precheck.api import Context
from precheck.result import Status
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

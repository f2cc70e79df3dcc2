"""The runner: concurrency, time budgets, crash isolation, platform filtering, verdict."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from precheck import policy as policies
from precheck.api import Check, Context, Platform, Result
from precheck.errors import ProbeError
from precheck.plugins import Catalog, PluginFailure
from precheck.result import Status
from precheck.runner import CheckMeta, Outcome, Runner, verdict
from precheck.system import LiveBackend, System

RELEASE = threading.Event()  # lets the hung checks' threads end when the test is over


@pytest.fixture(autouse=True)
def _release_hung_threads() -> Iterator[None]:
    RELEASE.clear()
    yield
    RELEASE.set()


class Quick(Check):
    id = "test.quick"
    article = "5(4)"
    required = True
    title = "Quick"

    def run(self, ctx: Context) -> Result:
        return self.passed("fine")


class Hangs(Check):
    id = "test.hangs"
    article = "5(1)"
    required = True
    title = "Hangs"
    timeout_s = 0.3

    def run(self, ctx: Context) -> Result:
        RELEASE.wait()  # a driver that never answers
        return self.passed("too late")


class Crashes(Check):
    id = "test.crashes"
    article = "5(3)"
    required = False
    title = "Crashes"

    def run(self, ctx: Context) -> Result:
        return self.passed(str(1 / 0))


class ProbeFails(Check):
    id = "test.probe_fails"
    article = "5(6)"
    required = True
    title = "Probe fails"

    def run(self, ctx: Context) -> Result:
        ctx.system.command(["precheck-no-such-tool-xyz"])
        return self.passed("unreachable")


class WindowsOnly(Check):
    id = "test.windows_only"
    article = "5(4)"
    required = True
    title = "Windows only"
    platforms = frozenset({Platform.WINDOWS})

    def run(self, ctx: Context) -> Result:
        raise AssertionError("must not run on another platform")


class WrongId(Check):
    id = "test.wrong_id"
    article = "5(4)"
    required = True
    title = "Wrong id"

    def run(self, ctx: Context) -> Result:
        return Result("test.someone_else", Status.PASS, Quick().passed("x").summary)


def context(platform: Platform = Platform.LINUX) -> Context:
    return Context(System(LiveBackend(platform)), policies.builtin())


def by_id(outcomes: list[Outcome]) -> dict[str, Result]:
    return {o.meta.id: o.result for o in outcomes}


def test_a_hung_check_is_cut_off_at_its_budget_and_others_still_finish() -> None:
    runner = Runner(Catalog((Hangs, Quick), ()), context())
    order = [o.meta.id for o in runner.iter_results()]
    assert order == ["test.quick", "test.hangs"]  # the quick one did not wait for the hung one
    results = by_id(Runner(Catalog((Hangs, Quick), ()), context()).run())
    assert results["test.quick"].status is Status.PASS
    hung = results["test.hangs"]
    assert hung.status is Status.ERROR
    assert hung.summary.msgid == "The check did not finish within {seconds} s"
    assert hung.summary.args["seconds"] == 0.3
    assert hung.fix  # it tells the user what to do


def test_a_crashing_check_becomes_error_with_the_reason() -> None:
    results = by_id(Runner(Catalog((Crashes, Quick), ()), context()).run())
    crashed = results["test.crashes"]
    assert crashed.status is Status.ERROR
    assert "ZeroDivisionError" in str(crashed.summary.args["error"])
    assert results["test.quick"].status is Status.PASS


def test_a_probe_error_names_the_probe_and_is_an_error() -> None:
    result = by_id(Runner(Catalog((ProbeFails,), ()), context()).run())["test.probe_fails"]
    assert result.status is Status.ERROR
    assert result.summary.args["probe"] == "cmd:precheck-no-such-tool-xyz"
    assert "missing" in result.summary.msgid


def test_a_check_returning_another_checks_result_is_an_error() -> None:
    result = by_id(Runner(Catalog((WrongId,), ()), context()).run())["test.wrong_id"]
    assert result.status is Status.ERROR


def test_checks_for_another_platform_are_skipped_with_the_reason() -> None:
    result = by_id(Runner(Catalog((WindowsOnly,), ()), context()).run())["test.windows_only"]
    assert result.status is Status.SKIP
    assert result.summary.args["platform"] == "linux"


def test_checks_run_concurrently() -> None:
    barrier = threading.Barrier(2, timeout=5)

    class MeetsA(Check):
        id = "test.meets_a"
        article = "5(1)"
        required = True
        title = "A"
        timeout_s = 6.0

        def run(self, ctx: Context) -> Result:
            barrier.wait()  # only returns when the other check is running at the same time
            return self.passed("met")

    class MeetsB(MeetsA):
        id = "test.meets_b"

    results = by_id(Runner(Catalog((MeetsA, MeetsB), ()), context()).run())
    assert [r.status for r in results.values()] == [Status.PASS, Status.PASS]


def test_a_broken_plugin_is_reported_as_a_blocking_error_and_the_rest_run() -> None:
    failure = PluginFailure("vendor.thing", "vendor-checks", "import failed: ImportError: x")
    outcomes = Runner(Catalog((Quick,), (failure,)), context()).run()
    results = by_id(outcomes)
    assert results["test.quick"].status is Status.PASS
    assert results["vendor.thing"].status is Status.ERROR
    assert "ImportError" in str(results["vendor.thing"].summary.args["reason"])
    assert verdict(outcomes) is Status.FAIL


def test_run_keeps_catalog_order_and_records_durations() -> None:
    outcomes = Runner(Catalog((Crashes, Quick), ()), context()).run()
    assert [o.meta.id for o in outcomes] == ["test.crashes", "test.quick"]
    assert all(o.result.duration_s >= 0 for o in outcomes)


@pytest.mark.parametrize(
    ("status", "required", "expected"),
    [
        (Status.PASS, True, Status.PASS),
        (Status.WARN, True, Status.PASS),  # warn is advisory even from a required check
        (Status.SKIP, True, Status.PASS),
        (Status.FAIL, True, Status.FAIL),
        (Status.ERROR, True, Status.FAIL),  # could not tell is never a pass
        (Status.FAIL, False, Status.PASS),  # advisory checks never block
        (Status.ERROR, False, Status.PASS),
    ],
)
def test_verdict(status: Status, required: bool, expected: Status) -> None:
    class Some(Quick):
        pass

    Some.required = required
    outcome = Outcome(CheckMeta.of(Some), Result("test.quick", status, Quick().passed("x").summary))
    assert verdict([outcome]) is expected


def test_the_probe_error_kind_reaches_the_user() -> None:
    class Denied(Check):
        id = "test.denied"
        article = "5(4)"
        required = True
        title = "Denied"

        def run(self, ctx: Context) -> Result:
            raise ProbeError("wmi:root/x:Y", "denied", "access denied")

    result = by_id(Runner(Catalog((Denied,), ()), context()).run())["test.denied"]
    assert result.status is Status.ERROR
    assert "did not allow" in result.summary.msgid
    # the probe and its own words are for the staff: in the evidence, not in the sentence
    assert "{probe}" not in result.summary.msgid
    assert {k: result.evidence[k] for k in ("probe", "error")} == {
        "probe": "wmi:root/x:Y", "error": "access denied"}
    assert result.evidence["probes_unread"] == ("wmi:root/x:Y (denied)",)


def test_on_start_names_each_check_as_its_thread_starts() -> None:
    started: list[str] = []
    Runner(Catalog((Crashes, Quick), ()), context(), on_start=started.append).run()
    assert sorted(started) == ["test.crashes", "test.quick"]


def test_cancel_starts_no_further_checks() -> None:
    started: list[str] = []
    runner = Runner(Catalog((Hangs, Quick), ()), context(), parallel=1)

    def start(check_id: str) -> None:
        started.append(check_id)
        runner.cancel()  # as a person pressing "cancel" while the first check runs

    runner.on_start = start
    # The check already running finishes its wait (here: its budget); nothing else starts.
    assert [o.meta.id for o in runner.iter_results()] == ["test.hangs"]
    assert started == ["test.hangs"]


def test_a_missing_sound_library_is_named_with_its_install_command() -> None:
    """Linux without libportaudio2: the reason and its fix, not "run precheck again"; the
    library's own words stay in the evidence for the staff."""
    from precheck.i18n import Translator
    from precheck.probes.devices.capture import SOUND_LIBRARY_MISSING

    class Microphone(Check):
        id = "test.microphone"
        article = "2(2)"
        required = True
        title = "Microphone"

        def run(self, ctx: Context) -> Result:
            raise ProbeError("sounddevice:record:3s", SOUND_LIBRARY_MISSING,
                             "the PortAudio sound library is missing: PortAudio library not found")

    result = by_id(Runner(Catalog((Microphone,), ()), context()).run())["test.microphone"]
    assert result.status is Status.ERROR
    ja = Translator("ja")
    assert "PortAudio" in ja.render(result.summary)
    assert "sudo apt install libportaudio2" in ja.render(result.fix[0])
    assert "PortAudio library not found" in str(result.evidence["error"])

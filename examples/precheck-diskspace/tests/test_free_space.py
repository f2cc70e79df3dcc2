"""diskspace.free, tested as a plugin author tests a check: recorded answers through
precheck.testing's fixtures (``replay``, ``make_bundle``), the live probe on this machine, and the
plugin's own catalogs."""

from __future__ import annotations

from pathlib import Path

import pytest
from precheck_diskspace.check import FreeSpace
from precheck_diskspace.probe import disk_usage, probe_name

from precheck.api import Platform, Status
from precheck.i18n import Translator
from precheck.testing import BundleMaker, ContextMaker, replay_bundle, run_check

GB = 1024**3
ROOT = probe_name("/")
C_DRIVE = probe_name("C:\\")


def usage(free_gb: float, total_gb: float = 100) -> dict[str, int]:
    """INVENTED sizes: the shape shutil.disk_usage gives, in bytes."""
    return {"total": int(total_gb * GB), "free": int(free_gb * GB)}


def test_enough_free_space_passes(replay: ContextMaker) -> None:
    result = run_check(FreeSpace, replay({ROOT: usage(40)}, checks=[FreeSpace]))
    assert result.status is Status.PASS
    assert result.evidence["free_gb"] == 40.0
    assert result.evidence["free_percent"] == 40


@pytest.mark.parametrize(("free_gb", "total_gb"), [(4.9, 100), (6, 200)])
def test_too_little_free_space_warns_with_a_fix(replay: ContextMaker, free_gb: float,
                                                total_gb: float) -> None:
    """Below 5 GB, or below 5% of the disk (6 GB of 200 GB is 3%), by the plugin's defaults."""
    result = run_check(FreeSpace, replay({ROOT: usage(free_gb, total_gb)}, checks=[FreeSpace]))
    assert result.status is Status.WARN
    assert result.fix


def test_windows_reads_the_system_drive(replay: ContextMaker) -> None:
    ctx = replay({C_DRIVE: usage(50)}, Platform.WINDOWS, checks=[FreeSpace])
    assert run_check(FreeSpace, ctx).status is Status.PASS


def test_a_policy_file_may_set_the_plugins_section(replay: ContextMaker) -> None:
    from precheck import policy as policies

    base = policies.builtin()
    data = {**base.data, "diskspace": {"free": {"min_free_gb": 50, "min_free_percent": 1}}}
    stricter = policies.from_data(data, "test")
    ctx = replay({ROOT: usage(40)}, policy=stricter, checks=[FreeSpace])
    assert ctx.policy.section("diskspace.free")["min_free_gb"] == 50
    assert ctx.policy.core_digest == base.digest  # the section is the plugin's, not the core's
    assert run_check(FreeSpace, ctx).status is Status.WARN


@pytest.mark.parametrize(("answer", "errors"), [
    ({ROOT: {"total": 1}}, None),  # malformed
    ({ROOT: {"total": 10, "free": 20}}, None),  # more free than the disk holds
    ({}, {ROOT: ("os_error", "could not read /")}),
    ({}, None),  # not recorded at all (an old bundle)
])
def test_an_unreadable_disk_is_an_error_never_a_pass(
        replay: ContextMaker, answer: dict[str, object],
        errors: dict[str, tuple[str, str]] | None) -> None:
    result = run_check(FreeSpace, replay(answer, errors=errors, checks=[FreeSpace]))
    assert result.status is Status.ERROR


def test_a_bundle_replays_the_same_verdict(make_bundle: BundleMaker) -> None:
    path = make_bundle({ROOT: usage(2)}, checks=["diskspace.free"])
    outcome, = replay_bundle(path, [FreeSpace])
    assert outcome.result.status is Status.WARN
    assert outcome.result.evidence["free_gb"] == 2.0


def test_the_probe_reads_this_machine() -> None:
    from precheck.system import System

    found = disk_usage(System.live())
    assert 0 < found.free <= found.total


def test_every_message_is_translated() -> None:
    """Every N_() text of the plugin renders in Japanese from the plugin's own catalog."""
    from babel.messages.extract import extract_from_dir

    source = Path(__file__).resolve().parent.parent / "src"
    messages = {m for _f, _l, m, _c, _x in extract_from_dir(
        str(source), [("**.py", "python")], keywords={"N_": None})}
    assert FreeSpace.title in messages
    ja, en = Translator("ja"), Translator("en")
    for msgid in messages:
        assert ja.gettext(msgid, FreeSpace.domain, FreeSpace.locale_dir) != msgid, msgid
        assert en.gettext(msgid, FreeSpace.domain, FreeSpace.locale_dir) == msgid

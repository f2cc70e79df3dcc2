"""os.support data: every release a job seeker might still run has an answer, old ones fail with
the day support ended, current ones pass, and stale data is noticed.

The comparison with endoflife.date runs on the copy in tools/endoflife/releases.json (never
downloaded at test time); tools/lifecycle_diff.py prints every difference for a maintainer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from precheck import policy as policies
from precheck.api import Context
from precheck.checks.os_support import OsSupport
from precheck.result import Status
from precheck.system import Platform
from tools import lifecycle_diff

LIFECYCLE = policies.builtin().section("os.lifecycle")
TODAY = "2026-12-03"
REG = "reg:HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion"


def _run(replay: Callable[..., Context], answers: dict[str, object],
         platform: Platform) -> tuple[Status, dict[str, object]]:
    ctx = replay({**answers, "platform:machine": "x86_64", "clock:now": f"{TODAY}T10:00:00+09:00"},
                 platform)
    result = OsSupport().run(ctx)
    return result.status, dict(result.summary.args)


def linux(replay: Callable[..., Context], os_id: str, name: str,
          version: str) -> tuple[Status, dict[str, object]]:
    text = f'ID={os_id}\nNAME="{name}"\nVERSION_ID="{version}"\n'
    return _run(replay, {"file:/etc/os-release": text}, Platform.LINUX)


def windows(replay: Callable[..., Context], build: int, edition: str,
            product: str = "Windows 10 Pro") -> tuple[Status, dict[str, object]]:
    values = {"ProductName": product, "CurrentBuild": str(build), "EditionID": edition,
              "DisplayVersion": "", "UBR": 1}
    return _run(replay, {REG: values}, Platform.WINDOWS)


def macos(replay: Callable[..., Context], version: str) -> tuple[Status, dict[str, object]]:
    out = f"ProductName:\t\tmacOS\nProductVersion:\t\t{version}\nBuildVersion:\t\t0\n"
    return _run(replay, {"cmd:sw_vers": {"returncode": 0, "stdout": out, "stderr": ""}},
                Platform.MACOS)


# -- issue 14, class 3: old releases fail with their date, current ones pass ---------------------

@pytest.mark.parametrize(("os_id", "name", "version", "end"), [
    ("ubuntu", "Ubuntu", "14.04", "2024-04-30"),  # past ESM too: the later date is the end
    ("ubuntu", "Ubuntu", "16.04", "2026-04-30"),
    ("ubuntu", "Ubuntu", "19.10", "2020-07-06"),
    ("debian", "Debian GNU/Linux", "8", "2020-06-30"),
    ("centos", "CentOS Linux", "7", "2024-06-30"),
    ("centos", "CentOS Linux", "8", "2021-12-31"),
    ("centos", "CentOS Stream", "8", "2024-05-31"),
    ("opensuse-leap", "openSUSE Leap", "15.2", "2022-01-04"),
    ("opensuse", "openSUSE Leap", "42.1", "2017-05-17"),
    ("linuxmint", "Linux Mint", "19.1", "2023-04-30"),
    ("amzn", "Amazon Linux AMI", "2018.03", "2023-12-31"),
    ("rhel", "Red Hat Enterprise Linux Server", "6.10", "2024-06-30"),
])
def test_an_old_linux_fails_with_the_day_support_ended(
        replay: Callable[..., Context], os_id: str, name: str, version: str, end: str) -> None:
    status, args = linux(replay, os_id, name, version)
    assert status is Status.FAIL
    assert args["end"] == end


@pytest.mark.parametrize(("os_id", "name", "version"), [
    ("centos", "CentOS Stream", "9"),
    ("amzn", "Amazon Linux", "2023"),
    ("rocky", "Rocky Linux", "9.8"),
    ("almalinux", "AlmaLinux", "10.2"),
    ("rhel", "Red Hat Enterprise Linux", "10.2"),
    ("debian", "Debian GNU/Linux", "13"),
    ("ubuntu", "Ubuntu", "24.04"),
    ("linuxmint", "Linux Mint", "22.1"),
])
def test_a_current_linux_passes(replay: Callable[..., Context], os_id: str, name: str,
                                version: str) -> None:
    assert linux(replay, os_id, name, version)[0] is Status.PASS


@pytest.mark.parametrize(("os_id", "name", "version", "current"), [
    ("rocky", "Rocky Linux", "9.3", "9.8"),
    ("almalinux", "AlmaLinux", "8.9", "8.10"),
    ("rhel", "Red Hat Enterprise Linux", "9.5", "9.8"),
])
def test_an_enterprise_linux_minor_release_behind_fails(
        replay: Callable[..., Context], os_id: str, name: str, version: str,
        current: str) -> None:
    """Data dispute 1 (docs/checks.md): a minor release behind gets no updates."""
    status, args = linux(replay, os_id, name, version)
    assert status is Status.FAIL
    assert args["current"] == current


@pytest.mark.parametrize(("build", "edition", "end"), [
    (7601, "Ultimate", "2020-01-14"),
    (7601, "Embedded", "2023-01-10"),  # edition unknown; every edition of 7601 ended by then
    (9200, "Core", "2016-01-12"),
    (9600, "Professional", "2023-01-10"),
    (10240, "Professional", "2017-05-09"),
    (15063, "Enterprise", "2019-10-08"),
    (17134, "Core", "2019-11-12"),
    (9600, "ServerStandard", "2026-10-13"),  # Server 2012 R2: ESU over too
])
def test_an_old_windows_fails_with_the_day_support_ended(
        replay: Callable[..., Context], build: int, edition: str, end: str) -> None:
    status, args = windows(replay, build, edition)
    assert status is Status.FAIL
    assert args["end"] == end


@pytest.mark.parametrize(("build", "edition", "product"), [
    (20348, "ServerStandard", "Windows Server 2022 Standard"),
    (20348, "ServerDatacenter", "Windows Server 2022 Datacenter"),
    (17763, "ServerStandard", "Windows Server 2019 Standard"),
    (26100, "ServerDatacenter", "Windows Server 2025 Datacenter"),
    (26200, "Core", "Windows 10 Home"),
    (26300, "Professional", "Windows 10 Pro"),
])
def test_a_current_windows_passes(replay: Callable[..., Context], build: int, edition: str,
                                  product: str) -> None:
    assert windows(replay, build, edition, product)[0] is Status.PASS


def test_an_unknown_edition_of_a_build_still_served_somewhere_is_could_not_tell(
        replay: Callable[..., Context]) -> None:
    assert windows(replay, 14393, "SomethingNew")[0] is Status.ERROR  # Server 2016 still served


def test_a_build_before_its_release_day_is_a_preview_not_a_pass(
        replay: Callable[..., Context]) -> None:
    """Data dispute 2 (docs/checks.md): an Insider build carrying a future release's number."""
    values = {"ProductName": "Windows 10 Pro", "CurrentBuild": "26300",
              "EditionID": "Professional", "DisplayVersion": "26H2", "UBR": 5000}
    ctx = replay({REG: values, "platform:machine": "AMD64",
                  "clock:now": "2026-08-01T10:00:00+09:00"}, Platform.WINDOWS)
    result = OsSupport().run(ctx)
    assert result.status is Status.ERROR
    assert "preview" in result.summary.msgid


@pytest.mark.parametrize(("version", "end"), [
    ("10.13.6", "2020-11-12"), ("10.14.6", "2021-10-25"), ("12.7.6", "2024-09-16"),
    ("10.8.5", "2015-09-30"),
])
def test_an_old_macos_fails_with_the_day_support_ended(
        replay: Callable[..., Context], version: str, end: str) -> None:
    status, args = macos(replay, version)
    assert status is Status.FAIL
    assert args["end"] == end


# -- the comparison with endoflife.date, and stale data ------------------------------------------

def _snapshot() -> dict[str, object]:
    result: dict[str, object] = json.loads(lifecycle_diff.SNAPSHOT.read_text("utf-8"))
    return result


def test_no_release_of_the_last_15_years_is_missing() -> None:
    data, snapshot = lifecycle_diff.load()
    fetched = date.fromisoformat(snapshot["fetched"])
    found = lifecycle_diff.differences(data, snapshot)
    assert lifecycle_diff.missing_recent(found, fetched, 15) == []
    assert found, "the comparison found nothing at all: it is not comparing"


def test_the_data_was_reviewed_against_the_stored_copy() -> None:
    snapshot = _snapshot()
    assert len(str(snapshot["commit"])) == 40
    assert LIFECYCLE["reviewed"] >= str(snapshot["fetched"])


def test_the_support_data_is_not_past_its_review_date() -> None:
    """Fails once the data is older than the policy's review date: compare it with a fresh copy
    of endoflife.date (tools/lifecycle_diff.py --refresh CLONE), update lifecycle.toml, and move
    `reviewed` and `review_by` on."""
    assert datetime.now(UTC).date().isoformat() <= LIFECYCLE["review_by"], (
        f"precheck's OS support data (reviewed {LIFECYCLE['reviewed']}) is past its review date "
        f"{LIFECYCLE['review_by']}: run tools/lifecycle_diff.py and update it")


def test_the_tool_prints_every_difference(capsys: pytest.CaptureFixture[str]) -> None:
    assert lifecycle_diff.main([]) == 0
    printed = capsys.readouterr().out
    assert "endoflife.date copy: commit" in printed
    assert "Windows Server 1809 SAC" in printed  # shares build 17763 with Server 2019


def test_tools_are_importable_from_the_tests() -> None:
    assert Path(lifecycle_diff.__file__).parent.name == "tools"


@pytest.mark.parametrize(("fixture", "status", "end"), [
    ("sw_vers-13.6.txt", Status.FAIL, "2025-09-15"),
    ("sw_vers-14.6.1.txt", Status.FAIL, None),  # no longer among the three newest
    ("sw_vers-14.4.1-rsr.txt", Status.FAIL, None),
    ("sw_vers-15.6.txt", Status.PASS, None),
    ("sw_vers-26.6.2.txt", Status.PASS, None),
    ("sw_vers-26.3-beta.txt", Status.PASS, None),
])
def test_real_sw_vers_answers(replay: Callable[..., Context], fixture: str, status: Status,
                              end: str | None) -> None:
    out = (Path(__file__).parent / "fixtures" / "macos" / "os" / fixture).read_text("utf-8")
    got, args = _run(replay, {"cmd:sw_vers": {"returncode": 0, "stdout": out, "stderr": ""}},
                     Platform.MACOS)
    assert got is status
    if end is not None:
        assert args["end"] == end


def test_a_version_that_is_no_number_is_could_not_tell(replay: Callable[..., Context]) -> None:
    assert macos(replay, "Developer Seed")[0] is Status.ERROR
    assert linux(replay, "fedora", "Fedora Linux", "rawhide")[0] is Status.ERROR

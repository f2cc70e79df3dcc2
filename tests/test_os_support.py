"""os.support: the support-period data, the check's rules on real OS facts, bundles, this machine.

Fixtures and their sources: tests/fixtures/{windows,macos,linux}/os/SOURCES.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path

import pytest

from precheck import policy as policies
from precheck import probes
from precheck.api import Context
from precheck.checks.os_support import OsSupport, Release, Unknown, find_release
from precheck.probes import _windows
from precheck.result import Status
from precheck.system import JSON, LiveBackend, Platform, System
from tests.replay_bundle import replayed_result

FIXTURES = Path(__file__).resolve().parent / "fixtures"
WINDOWS = FIXTURES / "windows" / "os"
MACOS = FIXTURES / "macos" / "os"
LINUX = FIXTURES / "linux" / "os"
REG = "reg:HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion"
LIFECYCLE = policies.builtin().section("os.lifecycle")


def registry(name: str, **changes: JSON) -> dict[str, JSON]:
    values: dict[str, JSON] = json.loads((WINDOWS / name).read_text(encoding="utf-8"))
    values.update(changes)
    return values


def on(day: str) -> str:
    return f"{day}T10:00:00+09:00"


def windows(replay: Callable[..., Context], values: Mapping[str, object], day: str) -> Context:
    return replay({REG: values, "platform:machine": "AMD64", "clock:now": on(day)},
                  Platform.WINDOWS)


def macos(replay: Callable[..., Context], version: str, day: str) -> Context:
    out = f"ProductName:\t\tmacOS\nProductVersion:\t\t{version}\nBuildVersion:\t\t0\n"
    return replay({"cmd:sw_vers": {"returncode": 0, "stdout": out, "stderr": ""},
                   "platform:machine": "arm64", "clock:now": on(day)}, Platform.MACOS)


def linux(replay: Callable[..., Context], os_release: str, day: str) -> Context:
    return replay({"file:/etc/os-release": os_release, "platform:machine": "x86_64",
                   "clock:now": on(day)}, Platform.LINUX)


def run(ctx: Context) -> tuple[Status, str]:
    result = OsSupport().run(ctx)
    return result.status, result.summary.msgid


# -- the data itself -----------------------------------------------------------------------------

def test_every_windows_end_date_is_a_patch_tuesday() -> None:
    # Microsoft ends servicing on a Tuesday; a Wednesday date (UTC copies) is a day late.
    for entry in LIFECYCLE["windows"]:
        for key in ("end", "extended_end"):
            if key in entry:
                assert date.fromisoformat(entry[key]).weekday() == 1, entry


def test_every_windows_edition_track_has_data_for_the_current_releases() -> None:
    tracks = {e["track"] for e in LIFECYCLE["windows"] if e["build"] == 26200}
    assert tracks == {"home_pro", "enterprise_education"}


# -- Windows, on real registry answers -----------------------------------------------------------

def test_registry_facts_feed_the_lookup() -> None:
    info = _windows.parse_current_version(registry("currentversion-win11-pro-23h2.json"))
    assert (info.name, info.version, info.build, info.edition) == (
        "Windows 11 Pro", "23H2", "22631", "Professional")
    found = find_release(info, LIFECYCLE, date(2025, 1, 1))
    assert isinstance(found, Release)
    assert found.name == "Windows 11 23H2"
    assert found.end == date(2025, 11, 11)  # Home/Pro: 24 months


@pytest.mark.parametrize(("fixture", "day", "status"), [
    ("currentversion-win11-pro-23h2.json", "2025-06-01", Status.PASS),
    ("currentversion-win11-pro-23h2.json", "2025-10-01", Status.WARN),  # 41 days left
    ("currentversion-win11-pro-23h2.json", "2026-11-23", Status.FAIL),
    ("currentversion-win10-pro-21h2.json", "2026-11-23", Status.FAIL),
])
def test_windows_dates(replay: Callable[..., Context], fixture: str, day: str,
                       status: Status) -> None:
    assert run(windows(replay, registry(fixture), day))[0] is status


def test_enterprise_gets_its_longer_date(replay: Callable[..., Context]) -> None:
    values = registry("currentversion-win11-pro-23h2.json", EditionID="Enterprise")
    result = OsSupport().run(windows(replay, values, "2026-06-01"))
    assert result.status is Status.PASS
    assert result.summary.args["end"] == "2026-11-10"


def test_japanese_home_single_language_edition_is_known(replay: Callable[..., Context]) -> None:
    # Japanese consumer PCs ship as CoreSingleLanguage; it is serviced like Home.
    values = registry("currentversion-win11-pro-23h2.json", EditionID="CoreSingleLanguage",
                      CurrentBuild="26200", DisplayVersion="25H2", UBR=7171)
    result = OsSupport().run(windows(replay, values, "2026-11-23"))
    assert result.status is Status.PASS
    assert result.summary.args == {"os": "Windows 11 25H2", "end": "2027-10-12"}


def test_windows_10_without_esu_updates_fails_with_how_to_enrol(
        replay: Callable[..., Context]) -> None:
    values = registry("currentversion-win10-enterprise-22h2.json", EditionID="Professional",
                      UBR=6456)  # the last update every Windows 10 got (2025-10-14)
    result = OsSupport().run(windows(replay, values, "2026-11-23"))
    assert result.status is Status.FAIL
    assert result.evidence["coverage"] == "unverified"
    assert any("Enroll now" in step.msgid for step in result.fix)


def test_windows_10_with_esu_updates_installed_warns(replay: Callable[..., Context]) -> None:
    # KB5068781 (2025-11-11, build 19045.6575) reaches only ESU-enrolled PCs.
    values = registry("currentversion-win10-enterprise-22h2.json", EditionID="Core", UBR=6575)
    result = OsSupport().run(windows(replay, values, "2026-11-23"))
    assert result.status is Status.WARN
    assert result.summary.args["extended_end"] == "2027-10-12"
    values["UBR"] = 7000
    assert run(windows(replay, values, "2027-10-13"))[0] is Status.FAIL  # ESU over too


def test_windows_10_registry_without_ubr_cannot_show_esu(replay: Callable[..., Context]) -> None:
    result = OsSupport().run(windows(replay, registry("currentversion-win10-enterprise-22h2.json"),
                                     "2026-11-23"))
    assert result.status is Status.FAIL  # policy: extended_unverified = fail
    assert result.summary.args["program"] == "Windows 10 Extended Security Updates (ESU)"


def test_windows_server_is_judged_by_its_own_dates(replay: Callable[..., Context]) -> None:
    """Issue 14: Windows Server used to be "could not tell"; it has dates (Extended End Date)."""
    result = OsSupport().run(windows(replay, registry("currentversion-server2025.json"),
                                     "2026-11-23"))
    assert result.status is Status.PASS
    assert result.summary.args == {"os": "Windows Server 2025", "end": "2034-11-14"}
    unknown = registry("currentversion-server2025.json", EditionID="ServerSomethingNew")
    status, msgid = run(windows(replay, unknown, "2026-11-23"))
    assert status is Status.ERROR  # an edition the data does not know, of a build still served
    assert "edition" in msgid


def test_unknown_windows_build_is_an_error(replay: Callable[..., Context]) -> None:
    values = registry("currentversion-win11-pro-23h2.json", CurrentBuild="27999")
    assert run(windows(replay, values, "2026-11-23"))[0] is Status.ERROR


# -- macOS: the three newest versions ------------------------------------------------------------

@pytest.mark.parametrize(("version", "day", "status"), [
    ("15.6", "2026-11-23", Status.PASS),  # 27, 26, 15: the three newest
    ("26.1", "2026-11-23", Status.PASS),
    ("27.1", "2026-11-23", Status.PASS),
    ("14.8.2", "2026-11-23", Status.FAIL),  # Sonoma dropped out when macOS 27 came
    ("15.7.9", "2027-08-01", Status.WARN),  # the next macOS is due: Sequoia will drop out
    ("15.7.9", "2027-11-23", Status.ERROR),  # the data may not know macOS 28: cannot vouch
    ("26.7", "2027-11-23", Status.PASS),  # still among the three newest even then
    ("10.15.7", "2026-11-23", Status.FAIL),
    ("10.9.5", "2026-11-23", Status.FAIL),  # older than anything listed
    ("28.0", "2026-11-23", Status.ERROR),  # newer than the data: never a pass
])
def test_macos(replay: Callable[..., Context], version: str, day: str, status: Status) -> None:
    assert run(macos(replay, version, day))[0] is status


@pytest.mark.parametrize("fixture", ["sw_vers-15.0.txt", "sw_vers-15.6.txt"])
def test_macos_real_sw_vers_output(replay: Callable[..., Context], fixture: str) -> None:
    out = (MACOS / fixture).read_text(encoding="utf-8")
    ctx = replay({"cmd:sw_vers": {"returncode": 0, "stdout": out, "stderr": ""},
                  "platform:machine": "arm64", "clock:now": on("2025-01-01")}, Platform.MACOS)
    result = OsSupport().run(ctx)
    assert result.status is Status.PASS
    assert result.summary.args["os"] == "macOS " + fixture[8:-4]


# -- Linux -----------------------------------------------------------------------------------------

def test_debian_12_in_lts_warns(replay: Callable[..., Context]) -> None:
    text = (LINUX / "os-release-debian12.txt").read_text(encoding="utf-8")
    result = OsSupport().run(linux(replay, text, "2026-11-23"))
    assert result.status is Status.WARN
    assert result.summary.args["program"] == "Debian LTS"
    assert result.evidence["coverage"] == "free"
    assert run(linux(replay, text, "2026-01-10"))[0] is Status.PASS
    assert run(linux(replay, text, "2028-07-01"))[0] is Status.FAIL


def test_debian_lts_can_be_made_to_fail_by_policy(replay: Callable[..., Context]) -> None:
    ctx = linux(replay, (LINUX / "os-release-debian12.txt").read_text(encoding="utf-8"),
                "2026-11-23")
    data = json.loads(json.dumps(dict(ctx.policy.data)))
    data["os"]["support"]["extended_free"] = "fail"
    strict = Context(ctx.system, policies.from_data(data, "test"))
    assert OsSupport().run(strict).status is Status.FAIL


def test_ubuntu_lts_past_standard_support_fails_without_pro(
        replay: Callable[..., Context]) -> None:
    text = (LINUX / "os-release-ubuntu2204.txt").read_text(encoding="utf-8")
    assert run(linux(replay, text, "2026-11-23"))[0] is Status.PASS
    result = OsSupport().run(linux(replay, text, "2027-05-15"))
    assert result.status is Status.FAIL
    assert result.summary.args["program"] == "Ubuntu Pro (ESM)"


@pytest.mark.parametrize(("os_release", "status"), [
    ('ID=linuxmint\nNAME="Linux Mint"\nVERSION_ID="21.3"\n', Status.PASS),
    ('ID="rocky"\nNAME="Rocky Linux"\nVERSION_ID="9.8"\n', Status.PASS),
    ('ID="rocky"\nNAME="Rocky Linux"\nVERSION_ID="9.4"\n', Status.FAIL),  # 9.8 is out
    ('ID="opensuse-tumbleweed"\nNAME="openSUSE Tumbleweed"\nVERSION_ID="20241016"\n',
     Status.PASS),
    ('ID="opensuse-leap"\nNAME="openSUSE Leap"\nVERSION_ID="15.6"\n', Status.FAIL),
    ('ID=fedora\nNAME="Fedora Linux"\nVERSION_ID=44\n', Status.PASS),
    ('ID=fedora\nNAME="Fedora Linux"\nVERSION_ID=42\n', Status.FAIL),
    ('ID=fedora\nNAME="Fedora Linux"\nVERSION_ID=43\n', Status.ERROR),  # Fedora 45 may be out
    ('ID=linuxmint\nNAME="LMDE"\nVERSION_ID="6"\n', Status.ERROR),  # not in the data
    ('ID=gentoo\nNAME=Gentoo\n', Status.ERROR),
])
def test_linux_distributions(replay: Callable[..., Context], os_release: str,
                             status: Status) -> None:
    assert run(linux(replay, os_release, "2026-11-23"))[0] is status


def test_unknown_is_an_error_with_a_fix(replay: Callable[..., Context]) -> None:
    from precheck.probes import OsInfo

    found = find_release(OsInfo(Platform.LINUX, "gentoo", "Gentoo", ""), LIFECYCLE,
                         date(2026, 11, 23))
    assert found == Unknown("precheck's support data does not list {os}", "Gentoo")
    result = OsSupport().run(linux(replay, "ID=gentoo\nNAME=Gentoo\n", "2026-11-23"))
    assert result.status is Status.ERROR
    assert result.summary.args == {"os": "Gentoo"}
    assert any("Update precheck" in step.msgid for step in result.fix)


# -- bundles: one per OS, replayed through the whole pipeline ------------------------------------

@pytest.mark.parametrize(("name", "status"), [
    ("os-support-windows11-23h2", Status.FAIL),
    ("os-support-macos15", Status.PASS),
    ("os-support-linux-debian12", Status.WARN),
])
def test_bundle_replays_to_a_known_verdict(name: str, status: Status) -> None:
    result = replayed_result(name, "os.support")
    assert result.status is status, result


# -- this machine, live --------------------------------------------------------------------------

def test_live_on_this_machine(replay: Callable[..., Context]) -> None:
    system = System(LiveBackend())
    info = probes.os_info(system)
    result = OsSupport().run(Context(system, replay({}).policy))
    if info.id == "debian" and info.version == "12" and system.now().date() >= date(2026, 6, 11):
        # Debian 12 between the end of regular security support and the end of Debian LTS.
        assert result.status is Status.WARN
        assert result.evidence["extended"] == "Debian LTS"
    else:
        assert result.status in set(Status) - {Status.SKIP}
    assert result.evidence.get("release") or result.status is Status.ERROR

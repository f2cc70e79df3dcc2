"""os.patches: parsers on real outputs, the check's rules, bundles, and this machine live.

Fixtures and their sources: tests/fixtures/{windows,macos,linux}/patches/SOURCES.md.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from precheck.api import Context
from precheck.checks.os_patches import OsPatches
from precheck.probes import patches
from precheck.probes.patches import _linux, _macos, _windows
from precheck.result import Message, Status
from precheck.system import JSON, LiveBackend, Platform, System
from tests.replay_bundle import replayed_result

FIXTURES = Path(__file__).resolve().parent / "fixtures"
WINDOWS = FIXTURES / "windows" / "patches"
MACOS = FIXTURES / "macos" / "patches"
LINUX = FIXTURES / "linux" / "patches"

QFE = "wmi:root/cimv2:Win32_QuickFixEngineering"
REBOOT_REQUIRED = ("reg:HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\WindowsUpdate\\"
                   "Auto Update\\RebootRequired")
REBOOT_PENDING = ("reg:HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\"
                  "Component Based Servicing\\RebootPending")
SOFTWAREUPDATE = "cmd:softwareupdate -l"
APT = "cmd:LC_ALL=C apt-get -s dist-upgrade"
DNF = "cmd:LC_ALL=C dnf -q updateinfo list --security"
NEEDS_RESTARTING = "cmd:LC_ALL=C needs-restarting -r"
LISTS = "mtime:/var/lib/apt/lists"


def text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def out(stdout: str = "", returncode: int = 0) -> dict[str, object]:
    return {"returncode": returncode, "stdout": stdout, "stderr": ""}


# -- parsers on real outputs ---------------------------------------------------------------------

@pytest.mark.parametrize(("fixture", "newest", "order"), [
    ("qfe-en-htb.json", date(2021, 12, 7), "M/D/Y"),  # 6/18/2021 proves month first
    # Windows 11 Home with the Chinese display language: WMI's string is still M/D/Y, but here
    # every date fits both orders, so the order is assumed and said so.
    ("qfe-zh-home.json", date(2023, 10, 12), "M/D/Y (assumed: every date fits both orders)"),
])
def test_parse_qfe(fixture: str, newest: date, order: str) -> None:
    state = _windows.parse_qfe(json.loads(text(WINDOWS / fixture)), date(2026, 11, 23))
    assert (state.newest_update, state.date_order, state.undated) == (newest, order, 0)


@pytest.mark.parametrize(("values", "expected", "order"), [
    # INVENTED inputs for the documented flaws of InstalledOn:
    (["", "11/12/2025"], [None, date(2025, 11, 12)], "M/D/Y (assumed: every date fits both "
                                                      "orders)"),  # missing date
    (["13/11/2025", "2/11/2025"], [date(2025, 11, 13), date(2025, 11, 2)], "D/M/Y"),  # day first
    (["2026/7/28", "2025-10-14"], [date(2026, 7, 28), date(2025, 10, 14)], "Y/M/D"),
    (["01d7f2b1c0a3e000"], [date(2021, 12, 16)], None),  # FILETIME (older Windows)
    (["not a date", "31/02/2025"], [None, None], "D/M/Y"),
])
def test_parse_installed_on(values: list[str], expected: list[date | None],
                            order: str | None) -> None:
    assert _windows.parse_installed_on(values) == (expected, order)


def test_future_dates_are_ignored() -> None:
    rows: list[dict[str, JSON]] = [{"InstalledOn": "12/1/2099"}, {"InstalledOn": "11/12/2026"}]
    state = _windows.parse_qfe(rows, date(2026, 11, 23))
    assert state.newest_update == date(2026, 11, 12)
    assert state.undated == 1


@pytest.mark.parametrize(("fixture", "recommended", "other"), [
    ("softwareupdate-l-tahoe-26.6.txt", ("macOS Tahoe 26.6-25G72",), 0),
    ("softwareupdate-l-macos27-offered.txt",
     ("macOS Tahoe 26.7.1-25H300", "macOS Tahoe 26.7.1 (a)-25H300a", "Safari27.0TahoeAuto-27.0"),
     1),  # the macOS 27 upgrade is offered, not a missing patch
    ("softwareupdate-l-none.txt", (), 0),
    ("softwareupdate-l-mojave-10.14.6.txt",  # the format of macOS 10.14 and earlier
     ("Safari14.0.1MojaveAuto-14.0.1", "Security Update 2020-005-10.14.6",
      "Safari14.0MojaveAuto-10.14.6",
      "Command Line Tools (macOS Mojave version 10.14) for Xcode-10.3"), 0),
    ("softwareupdate-l-mojave-not-recommended.txt", (), 1),
])
def test_parse_softwareupdate(fixture: str, recommended: tuple[str, ...], other: int) -> None:
    assert _macos.parse_softwareupdate(text(MACOS / fixture)) == (recommended, other)


def test_softwareupdate_without_an_answer_is_unknown() -> None:
    assert _macos.parse_softwareupdate("Software Update Tool\n\nFinding available software\n"
                                       "Can't connect to the Apple Software Update server.\n") \
        is None


def test_parse_apt_simulation_real_debian12() -> None:
    output = text(LINUX / "apt-get-s-dist-upgrade-debian12.txt")
    security, other = _linux.parse_apt_simulation(output)
    assert (len(security), other) == (66, 47)
    # listed with two origins, one of them the security suite
    assert "libgcrypt20" in security
    assert "base-files" not in security  # a point-release update, not a security one


def test_parse_apt_ubuntu_origins() -> None:
    # INVENTED lines in the documented apt format for Ubuntu's suites.
    lines = ("Inst openssl [3.0.13-0ubuntu3.4] (3.0.13-0ubuntu3.5 Ubuntu:24.04/noble-updates, "
             "Ubuntu:24.04/noble-security [amd64])\n"
             "Inst htop [3.3.0-4build1] (3.3.0-4ubuntu1 Ubuntu:24.04/noble-updates [amd64])\n"
             "Conf openssl (3.0.13-0ubuntu3.5 Ubuntu:24.04/noble-security [amd64])\n"
             "Inst curl (8.5.0-2ubuntu10.7 UbuntuESM:jammy-infra-security [amd64])\n")
    assert _linux.parse_apt_simulation(lines) == (("openssl", "curl"), 1)


def test_parse_dnf_security() -> None:
    names = _linux.parse_dnf_security(text(LINUX / "dnf-updateinfo-list-security-fedora34.txt"))
    assert names[:2] == ("curl-7.76.1-7.fc34.x86_64", "dhcp-client-12:4.4.2-11.b1.fc34.x86_64")
    assert len(names) == 6  # the "Last metadata expiration check" line is not an advisory


# -- the check's rules ---------------------------------------------------------------------------

def windows(replay: Callable[..., Context], rows: object, day: str, *,
            reboot: object = None, pending: object = None,
            denied: bool = False) -> Context:
    answers: dict[str, object] = {"clock:now": f"{day}T10:00:00+09:00", QFE: rows,
                                  REBOOT_REQUIRED: reboot}
    errors = {}
    if denied:
        errors[REBOOT_PENDING] = ("denied", "not allowed to read this registry key")
    else:
        answers[REBOOT_PENDING] = pending
    return replay(answers, Platform.WINDOWS, errors)


@pytest.mark.parametrize(("day", "status"), [
    ("2023-11-01", Status.PASS),
    ("2023-11-30", Status.WARN),  # 49 days
    ("2026-11-23", Status.FAIL),
])
def test_windows_age_of_the_newest_update(replay: Callable[..., Context], day: str,
                                          status: Status) -> None:
    rows = json.loads(text(WINDOWS / "qfe-zh-home.json"))
    assert OsPatches().run(windows(replay, rows, day)).status is status


def test_windows_restart_pending_warns(replay: Callable[..., Context]) -> None:
    rows = json.loads(text(WINDOWS / "qfe-zh-home.json"))
    result = OsPatches().run(windows(replay, rows, "2023-10-20", reboot={}))
    assert result.status is Status.WARN
    assert result.evidence["reboot_required"] is True


def test_windows_restart_key_unreadable_is_said_not_guessed(
        replay: Callable[..., Context]) -> None:
    rows = json.loads(text(WINDOWS / "qfe-zh-home.json"))
    result = OsPatches().run(windows(replay, rows, "2023-10-20", denied=True))
    assert result.status is Status.PASS  # the updates are current; the restart is unknown
    assert result.evidence["reboot_required"] is None
    assert result.evidence["unreadable"] == ("RebootPending:needs_admin",)


def test_windows_no_dates_is_an_error(replay: Callable[..., Context]) -> None:
    result = OsPatches().run(windows(replay, [{"HotFixID": "KB5031354", "InstalledOn": ""}],
                                     "2026-11-23"))
    assert result.status is Status.ERROR
    assert result.summary.args == {"count": 1}
    assert result.fix


def test_windows_update_list_unreadable_is_an_error_saying_so(
        replay: Callable[..., Context]) -> None:
    ctx = replay({"clock:now": "2026-11-23T10:00:00+09:00", REBOOT_REQUIRED: None,
                  REBOOT_PENDING: None}, Platform.WINDOWS,
                 {QFE: ("wmi_error", "RPC server unavailable")})
    result = OsPatches().run(ctx)
    assert result.status is Status.ERROR
    assert "did not list" in result.summary.msgid  # not "listed 0 updates, none dated"
    assert result.evidence["unreadable"] == ("Win32_QuickFixEngineering:error",)


@pytest.mark.parametrize(("fixture", "status"), [
    ("softwareupdate-l-tahoe-26.6.txt", Status.FAIL),
    ("softwareupdate-l-none.txt", Status.PASS),
    ("softwareupdate-l-mojave-10.14.6.txt", Status.FAIL),
])
def test_macos(replay: Callable[..., Context], fixture: str, status: Status) -> None:
    ctx = replay({"clock:now": "2026-11-23T10:00:00+09:00",
                  SOFTWAREUPDATE: out(text(MACOS / fixture))}, Platform.MACOS)
    assert OsPatches().run(ctx).status is status


def test_macos_offline_is_an_error(replay: Callable[..., Context]) -> None:
    ctx = replay({"clock:now": "2026-11-23T10:00:00+09:00"}, Platform.MACOS,
                 {SOFTWAREUPDATE: ("timeout", "no answer within 90 s")})
    assert OsPatches().run(ctx).status is Status.ERROR


def apt(replay: Callable[..., Context], stdout: str, *, lists: str = "2026-11-22T00:00:00+00:00",
        reboot: str | None = None) -> Context:
    return replay({"clock:now": "2026-11-23T01:40:00+00:00", APT: out(stdout), LISTS: lists,
                   "file:/var/run/reboot-required": reboot}, Platform.LINUX)


def test_apt_pending_security_fails(replay: Callable[..., Context]) -> None:
    result = OsPatches().run(apt(replay, text(LINUX / "apt-get-s-dist-upgrade-debian12.txt")))
    assert result.status is Status.FAIL
    assert result.summary.args == {"count": 66}  # a count, never the package list
    assert any("apt" in step.msgid for step in result.fix)


def test_apt_up_to_date_passes_and_a_restart_warns(replay: Callable[..., Context]) -> None:
    none = "0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n"
    assert OsPatches().run(apt(replay, none)).status is Status.PASS
    result = OsPatches().run(apt(replay, none, reboot="*** System restart required ***\n"))
    assert result.status is Status.WARN


def test_apt_old_lists_warn(replay: Callable[..., Context]) -> None:
    none = "0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n"
    result = OsPatches().run(apt(replay, none, lists="2026-09-01T00:00:00+00:00"))
    assert result.status is Status.WARN
    assert result.summary.args["days"] == 83


def test_dnf(replay: Callable[..., Context]) -> None:
    ctx = replay({"clock:now": "2026-11-23T01:40:00+00:00",
                  DNF: out(text(LINUX / "dnf-updateinfo-list-security-fedora34.txt")),
                  NEEDS_RESTARTING: out("", 1), "file:/var/run/reboot-required": None},
                 Platform.LINUX, {APT: ("not_found", "apt-get is not installed")})
    result = OsPatches().run(ctx)
    assert result.status is Status.FAIL
    assert result.evidence["reboot_required"] is True


def test_no_known_package_manager_is_an_error(replay: Callable[..., Context]) -> None:
    ctx = replay({"clock:now": "2026-11-23T01:40:00+00:00"}, Platform.LINUX,
                 {APT: ("not_found", "x"), DNF: ("not_found", "x")})
    result = OsPatches().run(ctx)
    assert result.status is Status.ERROR
    # the job seeker reads a translated sentence, not the probe's English source name
    assert result.summary.args["sources"] == (Message.of("neither apt nor dnf was found"),)


# -- bundles: one per OS, replayed through the whole pipeline ------------------------------------

@pytest.mark.parametrize(("name", "status"), [
    ("os-patches-windows11-home", Status.FAIL),
    ("os-patches-macos26", Status.FAIL),
    ("os-patches-linux-debian12", Status.FAIL),
])
def test_bundle_replays_to_a_known_verdict(name: str, status: Status) -> None:
    result = replayed_result(name, "os.patches")
    assert result.status is status, result


# -- this machine, live --------------------------------------------------------------------------

@pytest.mark.skipif(shutil.which("apt-get") is None and shutil.which("dnf") is None,
                    reason="needs apt-get or dnf")
def test_live_on_this_machine(replay: Callable[..., Context]) -> None:
    system = System(LiveBackend())
    state = patches.patches(system)
    assert state.source in ("apt-lists", "apt", "dnf")
    assert state.pending_security is not None or state.unreadable
    result = OsPatches().run(Context(system, replay({}).policy))
    if state.pending_security:
        assert result.status is Status.FAIL
        assert result.summary.args["count"] == len(state.pending_security)
    else:
        assert result.status in (Status.PASS, Status.WARN, Status.ERROR)


# -- apt's own files instead of the simulation ----------------------------------------------------

@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("1.0", "1.0"), ("1.0", "1.1"), ("1.0~rc1", "1.0"), ("1:0.9", "2.0"), ("1.0-1", "1.0-2"),
        ("1.0-1+deb12u6", "1.0-1+deb12u10"), ("1:9.2p1-2+deb12u6", "1:9.2p1-2+deb12u9"),
        ("2.36-9+deb12u9", "2.36-9+deb12u10"), ("1.0a", "1.0+"), ("1.0", "1.0-0"),
        ("0.9.8~", "0.9.8~~"), ("1.2.3", "1.2.3.0"), ("10", "9"), ("1.0.0", "1.00"),
        ("7.88.1-10+deb12u5", "7.88.1-10+deb12u14"), ("2:1.0", "1:9.9"), ("1.0+b1", "1.0"),
    ],
)
def test_debian_versions_compare_as_dpkg_does(left: str, right: str) -> None:
    """Each pair against the real ``dpkg --compare-versions`` (skipped where dpkg is absent)."""
    import subprocess

    from precheck.probes.patches._aptlists import compare_versions

    if shutil.which("dpkg") is None:
        pytest.skip("needs dpkg")
    expected = 0 if subprocess.run(["dpkg", "--compare-versions", left, "eq", right],
                                   check=False).returncode == 0 else (
        -1 if subprocess.run(["dpkg", "--compare-versions", left, "lt", right],
                             check=False).returncode == 0 else 1)
    assert compare_versions(left, right) == expected
    assert compare_versions(right, left) == -expected


def test_pending_security_from_status_and_lists() -> None:
    """INVENTED paragraphs in the format of dpkg's status file and a security Packages list."""
    from precheck.probes.patches._aptlists import pending_security

    status = (
        "Package: openssl\nStatus: install ok installed\nArchitecture: amd64\n"
        "Version: 3.0.15-1~deb12u1\nDescription: x\n continued line\n\n"
        "Package: tzdata\nStatus: install ok installed\nArchitecture: all\nVersion: 2025b-0\n\n"
        "Package: curl\nStatus: deinstall ok config-files\nArchitecture: amd64\n"
        "Version: 7.88.1-10\n\n"
        "Package: zlib1g\nStatus: install ok installed\nArchitecture: amd64\n"
        "Version: 1:1.2.13.dfsg-1\n"
    )
    security = (
        "Package: openssl\nArchitecture: amd64\nVersion: 3.0.17-1~deb12u2\n\n"
        "Package: tzdata\nArchitecture: all\nVersion: 2025b-0+deb12u1\n\n"
        "Package: curl\nArchitecture: amd64\nVersion: 7.88.1-10+deb12u14\n\n"
        "Package: zlib1g\nArchitecture: i386\nVersion: 1:1.2.13.dfsg-1+deb12u1\n\n"
        "Package: zlib1g\nArchitecture: amd64\nVersion: 1:1.2.13.dfsg-1\n"
    )
    # curl is not installed (only its configuration is left); zlib1g's newer build is i386 only
    assert pending_security(status, [security]) == ["openssl", "tzdata"]


@pytest.mark.skipif(shutil.which("apt-get") is None, reason="needs apt-get")
def test_apt_lists_find_what_the_simulation_finds_on_this_machine() -> None:
    """The lists' answer holds every security update apt's simulation names on this machine;
    any other it names has a newer version in a security suite than the one installed, which
    the simulation credits to the point release that also carries it (e.g. openssh-client
    1:9.2p1-2+deb12u6 installed, u9 in bookworm-security, u10 in the point release)."""
    import subprocess

    from precheck.probes.patches._aptlists import read_pending_security

    try:
        answer = read_pending_security()
    except Exception as exc:  # noqa: BLE001 - a machine without a security suite configured
        pytest.skip(f"no security list to read: {exc}")
    assert isinstance(answer, dict)
    simulation = subprocess.run(_linux.APT, capture_output=True, text=True, check=True,
                                env={"LC_ALL": "C", "PATH": "/usr/bin:/bin:/usr/sbin:/sbin"})
    security, _ = _linux.parse_apt_simulation(simulation.stdout)
    assert set(security) <= set(answer["pending_security"])
    for name in set(answer["pending_security"]) - set(security):
        policy = subprocess.run(["apt-cache", "policy", name], capture_output=True, text=True,
                                check=True, env={"LC_ALL": "C"}).stdout
        assert "-security" in policy, policy


def test_a_bundle_without_the_lists_is_judged_by_the_simulation(
        replay: Callable[..., Context]) -> None:
    """Bundles recorded before the lists were read still hold the simulation, which answers."""
    ctx = apt(replay, text(LINUX / "apt-get-s-dist-upgrade-debian12.txt"))
    state = patches.patches(ctx.system)
    assert state.source == "apt"
    assert state.pending_security is not None
    assert len(state.pending_security) == 66


def test_the_lists_answer_is_judged_like_the_simulation(replay: Callable[..., Context]) -> None:
    ctx = replay({"clock:now": "2026-11-23T01:40:00+00:00", LISTS: "2026-11-22T00:00:00+00:00",
                  "file:/var/run/reboot-required": None,
                  "apt-lists:pending-security": {"lists": ["x_dists_bookworm-security_Packages"],
                                                 "pending_security": ["openssl", "tzdata"]}})
    result = OsPatches().run(ctx)
    assert result.status is Status.FAIL
    assert result.summary.args == {"count": 2}
    assert result.evidence["source"] == "apt-lists"
    assert result.evidence["pending_other"] is None

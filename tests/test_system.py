"""The probe seam, live on this Linux machine and replayed."""

from __future__ import annotations

import sys

import pytest

from precheck import probes
from precheck.errors import ProbeError, ProbeMissing
from precheck.system import LiveBackend, Platform, Record, ReplayBackend, System, command_name


def test_live_probes_are_recorded_once_with_stable_names() -> None:
    backend = LiveBackend()
    system = System(backend)
    calls: list[int] = []

    def produce() -> int:
        calls.append(1)
        return 42

    assert system.probe("test:answer", produce) == 42
    assert system.probe("test:answer", produce) == 42
    assert calls == [1]  # asked once, shared afterwards
    assert [r.name for r in backend.records()] == ["test:answer"]


def test_a_real_command_is_run_and_recorded() -> None:
    backend = LiveBackend()
    done = System(backend).command([sys.executable, "-c", "print('héllo'); raise SystemExit(3)"])
    assert done.returncode == 3
    assert done.stdout == "héllo\n"
    (record,) = backend.records()
    assert record.name == command_name([sys.executable, "-c",
                                        "print('héllo'); raise SystemExit(3)"])
    assert record.value == {"returncode": 3, "stdout": "héllo\n", "stderr": ""}


def test_a_missing_tool_is_a_probe_error_and_is_recorded_as_such() -> None:
    backend = LiveBackend()
    with pytest.raises(ProbeError) as caught:
        System(backend).command(["precheck-no-such-tool-xyz", "--flag"])
    assert caught.value.kind == "not_found"
    (record,) = backend.records()
    assert record.error_kind == "not_found"
    replayed = System(ReplayBackend(Platform.LINUX, {record.name: record}))
    with pytest.raises(ProbeError) as again:
        replayed.command(["precheck-no-such-tool-xyz", "--flag"])
    assert again.value.kind == "not_found"


def test_a_command_that_hangs_is_killed_at_its_timeout() -> None:
    with pytest.raises(ProbeError) as caught:
        System(LiveBackend()).command(["sleep", "30"], timeout=0.2)
    assert caught.value.kind == "timeout"


def test_environment_overrides_are_part_of_the_name() -> None:
    assert command_name(["apt-get", "-s", "upgrade"], {"LC_ALL": "C"}) == (
        "cmd:LC_ALL=C apt-get -s upgrade")
    assert command_name(["netsh", "wlan", "show", "interfaces"]) == (
        "cmd:netsh wlan show interfaces")


def test_files_are_read_live_and_a_missing_file_is_none() -> None:
    system = System(LiveBackend())
    assert system.read_text("/etc/os-release")
    assert system.read_text("/nonexistent/precheck") is None


def test_replay_without_a_recording_says_which_probe_is_missing() -> None:
    system = System(ReplayBackend(Platform.WINDOWS, {}))
    with pytest.raises(ProbeMissing) as caught:
        system.read_text("C:/Windows/win.ini")
    assert caught.value.probe == "file:C:/Windows/win.ini"


def test_replay_uses_the_recorded_platform_not_this_one() -> None:
    records = {
        "reg:HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion": Record(
            "reg:HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion",
            # invented: the value names are Windows' own, the values made up for this test
            value={"ProductName": "Windows 10 Pro", "DisplayVersion": "23H2",
                   "CurrentBuild": "22631", "UBR": 4460, "EditionID": "Professional"}),
        "platform:machine": Record("platform:machine", value="AMD64"),
    }
    info = probes.os_info(System(ReplayBackend(Platform.WINDOWS, records)))
    assert info.name == "Windows 11 Pro"  # build 22631 is Windows 11 whatever ProductName says
    assert info.version == "23H2"
    assert info.build == "22631.4460"
    assert info.arch == "AMD64"


def test_live_linux_facts_on_this_machine() -> None:
    system = System(LiveBackend())
    info = probes.os_info(system)
    assert info.family is Platform.LINUX
    assert info.id
    assert info.version
    resources = probes.resources(system)
    assert resources.cpu_count >= 1
    assert resources.memory_available > 0
    assert resources.memory_available <= resources.memory_total

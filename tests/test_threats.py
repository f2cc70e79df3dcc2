"""security.threats: Microsoft Defender's threats and detections, on real outputs.

Fixtures and their sources: tests/fixtures/windows/threats/SOURCES.md,
tests/fixtures/bundles/SOURCES-threats.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from precheck import bundle as bundles
from precheck import plugins
from precheck import policy as policies
from precheck.api import Context
from precheck.checks.threats import Threats
from precheck.errors import ProbeError
from precheck.probes import threats
from precheck.probes.antivirus import _windows as antivirus_windows
from precheck.probes.threats import _windows
from precheck.result import Message, Status
from precheck.session import evaluate
from precheck.system import JSON, LiveBackend, Platform, System

FIXTURES = Path(__file__).resolve().parent / "fixtures"
THREATS = FIXTURES / "windows" / "threats"
ANTIVIRUS = FIXTURES / "windows" / "antivirus"
WSC = "wmi:root/SecurityCenter2:AntiVirusProduct"
STATUS = antivirus_windows.DEFENDER_PROBE
#: pywin32's ``wmi`` module formatting a COM error (INVENTED message, real HRESULT).
DENIED = "WMI query failed: <x_wmi: Unexpected COM Error (-2147217405, 'OLE error 0x80041003', " \
         "None, None)>"


def format_list(text: str) -> list[dict[str, JSON]]:
    """PowerShell's ``Format-List`` records as WMI instances (continuation lines joined;
    ``__`` system properties and ``PSComputerName`` dropped; values stay text)."""
    items: list[dict[str, JSON]] = []
    current: dict[str, str] = {}
    key = None
    for line in text.splitlines():
        if not line.strip():
            if current:
                items.append(dict(current))
                current = {}
            key = None
        elif line.startswith(" ") and key:
            current[key] += line.strip()
        else:
            name, _, value = line.partition(":")
            key = name.strip()
            current[key] = value.strip()
    if current:
        items.append(dict(current))
    return [{k: v for k, v in item.items() if not k.startswith("__") and k != "PSComputerName"}
            for item in items]


def read(name: str) -> list[dict[str, JSON]]:
    return format_list((THREATS / name).read_text("utf-8"))


def defender_on() -> dict[str, JSON]:
    wsc = json.loads((ANTIVIRUS / "securitycenter-defender-on.json").read_text("utf-8"))
    text = (ANTIVIRUS / "mpcomputerstatus-server2022-glpi868.txt").read_text("utf-8")
    status: dict[str, JSON] = {k: v for k, sep, v in (line.partition("=")
                                                        for line in text.splitlines()) if sep}
    status["RealTimeProtectionEnabled"] = "TRUE"
    return {WSC: wsc, STATUS: [status]}


def context(replay: Callable[..., Context], threats: list[dict[str, JSON]] | None,
            detections: list[dict[str, JSON]] | None,
            antivirus: dict[str, JSON] | None = None,
            errors: dict[str, tuple[str, str]] | None = None) -> Context:
    answers = dict(antivirus if antivirus is not None else defender_on())
    if threats is not None:
        answers[_windows.THREAT_PROBE] = threats
    if detections is not None:
        answers[_windows.DETECTION_PROBE] = detections
    return replay(answers, Platform.WINDOWS, errors=errors)


# -- the parser on real outputs -------------------------------------------------------------------

def test_real_active_threat_is_active() -> None:
    (threat,) = _windows.parse_threats(read("get-mpthreat-active-evasiondev.txt"),
                                       read("get-mpthreatdetection-active-evasiondev.txt"))
    assert (threat.threat_id, threat.name, threat.state, threat.severity) == (
        2147775465, "Trojan:MSIL/TurtleLoader.A!dha", "active", "severe")
    assert threat.unresolved


def test_real_history_of_removed_and_quarantined_threats_is_resolved() -> None:
    found = _windows.parse_threats(read("get-mpthreat-resolved-acg20il.txt"),
                                   read("get-mpthreatdetection-resolved-acg20il.txt"))
    assert [(t.name, t.state) for t in found] == [
        ("Trojan:Win64/Meterpreter.E", "resolved"),
        ("VirTool:Win32/DefenderTamperingRestore", "resolved"),
        ("HackTool:Win32/NetCat!MSR", "resolved"),
    ]
    # One detection says the threat was executing when found (CurrentThreatExecutionStatusID 1
    # blocked / 3 executing describe the moment of detection): it was still removed.
    assert not any(t.unresolved for t in found)


def test_raw_wmi_output_with_cim_dates_parses() -> None:
    detections = read("wmi-mpthreatdetection-quarantined.txt")
    assert detections[0]["InitialDetectionTime"] == "20250128164451.243000+000"
    (threat,) = _windows.parse_threats([], detections)
    assert (threat.name, threat.state) == ("threat 2147686744", "resolved")


@pytest.mark.parametrize(("status", "mask", "state"), [
    (1, 0, "detected"), (2, 0, "resolved"), (3, 0, "resolved"), (4, 0, "resolved"),
    (5, 0, "allowed"), (6, 0, "resolved"), (102, 0, "remediation failed"),
    (104, 0, "remediation failed"), (106, 0, "remediation failed"),
    (4, 8, "action needed"), (3, 4, "action needed"), (4, 32768, "action needed"),
    (0, 0, "resolved"),
])
def test_threat_status_ids(status: int, mask: int, state: str) -> None:
    # INVENTED detections with each documented ThreatStatusID / AdditionalActionsBitMask.
    threat: dict[str, JSON] = {"ThreatID": "7", "ThreatName": "Test:Win32/Example",
                               "IsActive": "False"}
    detection: dict[str, JSON] = {"ThreatID": "7", "ThreatStatusID": str(status),
                 "AdditionalActionsBitMask": str(mask)}
    (found,) = _windows.parse_threats([threat], [detection])
    assert found.state == state


def test_wmi_types_as_well_as_text() -> None:
    (found,) = _windows.parse_threats(
        [{"ThreatID": 7, "ThreatName": "X", "IsActive": True, "SeverityID": 4}], [])
    assert (found.state, found.severity) == ("active", "high")


@pytest.mark.parametrize(("kind", "message", "expected"), [
    ("wmi_error", DENIED, "denied"),
    ("wmi_error", "WMI query failed: <x_wmi: Unexpected COM Error (-2147024891, 'Access is "
     "denied.', None, None)>", "denied"),
    ("denied", "not allowed", "denied"),
    ("wmi_error", "Operation failed with the following error: 0x800106ba", "unavailable"),
    ("not_found", "WMI exists only on Windows", "unavailable"),
    ("wmi_error", "WMI query failed: <x_wmi: Unexpected COM Error (-2147217394, 'OLE error "
     "0x8004100e', None, None)>", "unavailable"),
    ("timeout", "no answer within 10 s", "error"),
])
def test_failures_are_classified(kind: str, message: str, expected: str) -> None:
    assert _windows.classify(ProbeError("wmi:x", kind, message)) == expected


# -- the check ------------------------------------------------------------------------------------

def test_active_threat_fails_naming_the_threat_only(replay: Callable[..., Context]) -> None:
    ctx = context(replay, read("get-mpthreat-active-evasiondev.txt"),
                  read("get-mpthreatdetection-active-evasiondev.txt"))
    result = Threats().run(ctx)
    assert result.status is Status.FAIL
    assert result.summary.args["threats"] == ("Trojan:MSIL/TurtleLoader.A!dha",)
    text = json.dumps([result.summary.to_json(), dict(result.evidence)], default=list)
    for private in ("Administrator", "EVASION-DEV", "StaticAnalysis", "explorer.exe"):
        assert private not in text  # never the user, the machine or the file
    assert "Start actions" in result.fix[0].msgid


def test_resolved_history_passes(replay: Callable[..., Context]) -> None:
    ctx = context(replay, read("get-mpthreat-resolved-acg20il.txt"),
                  read("get-mpthreatdetection-resolved-acg20il.txt"))
    result = Threats().run(ctx)
    assert result.status is Status.PASS
    assert result.summary.args["resolved"] == 3


def test_no_threat_ever_passes(replay: Callable[..., Context]) -> None:
    result = Threats().run(context(replay, [], []))
    assert result.status is Status.PASS
    assert result.summary.args["resolved"] == 0


def test_an_allowed_threat_fails_with_the_way_to_unallow_it(
        replay: Callable[..., Context]) -> None:
    threats: list[dict[str, JSON]] = [{"ThreatID": "2147749373",
                                       "ThreatName": "HackTool:Win64/Patcher",
                                       "IsActive": "False"}]  # INVENTED, after BlockTheSpot PR #41
    detections: list[dict[str, JSON]] = [{"ThreatID": "2147749373", "ThreatStatusID": "5",
                   "AdditionalActionsBitMask": "0"}]
    result = Threats().run(context(replay, threats, detections))
    assert result.status is Status.FAIL
    assert any(isinstance(f, Message) and "allowed" in f.msgid for f in result.fix)


def test_removal_waiting_for_a_restart_fails_with_the_steps(
        replay: Callable[..., Context]) -> None:
    threats = read("get-mpthreat-resolved-acg20il.txt")
    detections = read("get-mpthreatdetection-resolved-acg20il.txt")
    detections[0]["AdditionalActionsBitMask"] = "8"  # INVENTED: restart required
    result = Threats().run(context(replay, threats, detections))
    assert result.status is Status.FAIL
    assert result.evidence["actions"] == ("restart",)
    (word,) = result.summary.args["actions"]  # type: ignore[misc, str-unpack] # a tuple here
    assert isinstance(word, Message)
    assert word.msgid == "a restart"
    assert result.summary.args["threats"] == ("HackTool:Win32/NetCat!MSR",)


def test_access_denied_is_an_error_that_says_so_never_a_pass(
        replay: Callable[..., Context]) -> None:
    errors = {_windows.THREAT_PROBE: ("wmi_error", DENIED),
              _windows.DETECTION_PROBE: ("wmi_error", DENIED)}
    result = Threats().run(context(replay, None, None, errors=errors))
    assert result.status is Status.ERROR
    assert "administrator" in result.summary.msgid
    assert "Run as administrator" in result.fix[0].msgid


def test_detections_denied_with_no_active_threat_is_still_an_error(
        replay: Callable[..., Context]) -> None:
    errors = {_windows.DETECTION_PROBE: ("wmi_error", DENIED)}
    result = Threats().run(context(replay, read("get-mpthreat-resolved-acg20il.txt"), None,
                                   errors=errors))
    assert result.status is Status.ERROR


def test_active_threat_is_reported_even_when_detections_are_denied(
        replay: Callable[..., Context]) -> None:
    errors = {_windows.DETECTION_PROBE: ("wmi_error", DENIED)}
    result = Threats().run(context(replay, read("get-mpthreat-active-evasiondev.txt"), None,
                                   errors=errors))
    assert result.status is Status.FAIL


def test_another_active_antivirus_means_the_platform_cannot_tell(
        replay: Callable[..., Context]) -> None:
    # Real F-Secure + Windows Defender (off) Security Center entries (fusioninventory#501).
    wsc = json.loads((ANTIVIRUS / "securitycenter-fsecure-defender-fusioninventory501.json")
                     .read_text("utf-8"))
    antivirus = {WSC: wsc}
    result = Threats().run(context(replay, None, None, antivirus=antivirus,
                                   errors={STATUS: ("wmi_error", "0x800106ba")}))
    assert result.status is Status.SKIP
    assert result.summary.args["products"] == ("F-Secure Client Security 12.00",)


def test_passive_defender_behind_another_product_skips(replay: Callable[..., Context]) -> None:
    answers = defender_on()
    status = dict(answers[STATUS][0])  # type: ignore[index, arg-type] # a list of mappings
    status["AMRunningMode"] = "Passive Mode"
    result = Threats().run(context(replay, None, None, antivirus={WSC: [], STATUS: [status]}))
    assert result.status is Status.SKIP
    (product,) = result.summary.args["products"]  # type: ignore[misc, str-unpack] # a tuple
    assert isinstance(product, Message)


def test_defender_not_running_and_no_list_skips(replay: Callable[..., Context]) -> None:
    errors = {STATUS: ("wmi_error", "0x800106ba"),
              _windows.THREAT_PROBE: ("wmi_error", "Operation failed: 0x800106ba"),
              _windows.DETECTION_PROBE: ("wmi_error", "Operation failed: 0x800106ba")}
    result = Threats().run(context(replay, None, None, antivirus={WSC: []}, errors=errors))
    assert result.status is Status.SKIP
    assert "not running" in result.summary.msgid


def test_unreadable_list_with_defender_on_is_an_error(replay: Callable[..., Context]) -> None:
    errors = {_windows.THREAT_PROBE: ("timeout", "no answer"),
              _windows.DETECTION_PROBE: ("timeout", "no answer")}
    result = Threats().run(context(replay, None, None, errors=errors))
    assert result.status is Status.ERROR


@pytest.mark.parametrize("platform", [Platform.MACOS, Platform.LINUX])
def test_macos_and_linux_cannot_tell(replay: Callable[..., Context],
                                     platform: Platform) -> None:
    result = Threats().run(replay({}, platform))
    assert result.status is Status.SKIP


def test_runs_on_this_linux_machine_without_probing() -> None:
    ctx = Context(System(LiveBackend()), policies.builtin())
    assert threats.threats(ctx.system).threats is None
    assert Threats().run(ctx).status is Status.SKIP


@pytest.mark.parametrize(("name", "status"), [
    ("threats-windows-active", Status.FAIL),
    ("threats-windows-resolved", Status.PASS),
    ("threats-windows-denied", Status.ERROR),
    ("threats-macos", Status.SKIP),
    ("threats-linux", Status.SKIP),
])
def test_bundles_replay_to_known_verdicts(name: str, status: Status) -> None:
    read_bundle = bundles.read(FIXTURES / "bundles" / name)
    catalog = plugins.load().select(["security.threats"])
    (outcome,) = evaluate(catalog, policies.builtin(), read_bundle).run()
    assert outcome.result.status is status, outcome.result

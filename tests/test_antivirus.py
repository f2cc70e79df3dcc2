"""security.antivirus: Security Center decoding and merging, Defender's status, XProtect, ClamAV.

Fixtures and their sources: tests/fixtures/{windows,macos}/antivirus/SOURCES.md. Each test named
after a known failure of another tool (see shared research "posture anchors") shows that
precheck does not repeat it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from precheck.api import Context
from precheck.checks.antivirus import Antivirus
from precheck.probes import antivirus
from precheck.probes.antivirus import _linux, _macos, _windows
from precheck.probes.security_center import decode_product_state, merge_by_name, parse_products
from precheck.result import Status
from precheck.system import JSON, LiveBackend, Platform, System
from tests.policy_edit import with_policy
from tests.replay_bundle import replayed_result

FIXTURES = Path(__file__).resolve().parent / "fixtures"
WINDOWS = FIXTURES / "windows" / "antivirus"
MACOS = FIXTURES / "macos" / "antivirus"

WSC = "wmi:root/SecurityCenter2:AntiVirusProduct"
DEFENDER = _windows.DEFENDER_PROBE
PROCESSES = "psutil:process_names"
SERVER_NOW = "2025-03-12T09:00:00+00:00"  # the day after the glpi-agent#868 signatures


def load(name: str) -> list[dict[str, JSON]]:
    data: list[dict[str, JSON]] = json.loads((WINDOWS / name).read_text(encoding="utf-8"))
    return data


def wmic_list(text: str) -> dict[str, JSON]:
    """``wmic ... get /format:list`` lines as the instance WMI returns (values stay text)."""
    return {k: v for k, _, v in (line.partition("=") for line in text.splitlines()) if _ == "="}


def server_status(**changes: JSON) -> dict[str, JSON]:
    status = wmic_list((WINDOWS / "mpcomputerstatus-server2022-glpi868.txt").read_text("utf-8"))
    # The paste ends before RealTimeProtectionEnabled; the server ran Defender normally.
    status["RealTimeProtectionEnabled"] = "TRUE"
    status.update(changes)
    return status


# -- Security Center: decoding and merging ---------------------------------------------------------

@pytest.mark.parametrize(("value", "enabled", "up_to_date", "microsoft"), [
    (397568, True, True, True),  # 0x061100 Defender on (Cloudflare docs, fixture)
    (393472, False, True, True),  # 0x060100 Defender off
    (397584, True, False, True),  # 0x061110 Defender on, out of date (windows_tools tests)
    (266240, True, True, False),  # 0x041000 third party on
    (266256, True, False, False),  # 0x041010 third party on, out of date
    (262144, False, True, False),  # 0x040000 off
    (462848, True, True, False),  # 0x071000 Symantec Endpoint Protection (digirati82.com)
])
def test_product_state_decoding(value: int, enabled: bool, up_to_date: bool,
                                microsoft: bool) -> None:
    state = decode_product_state(value)
    assert (state.enabled, state.up_to_date, state.microsoft) == (enabled, up_to_date, microsoft)


def test_snoozed_and_expired_are_not_on() -> None:
    assert decode_product_state(0x042000).snoozed
    assert decode_product_state(0x043000).expired
    assert not decode_product_state(0x043000).enabled


def test_real_defender_registration_parses() -> None:
    (product,) = parse_products(load("securitycenter-defender-on.json"))  # type: ignore[arg-type]
    assert product.name == "Windows Defender"
    assert product.enabled
    assert product.up_to_date
    assert product.microsoft
    assert product.builtin


def test_defender_is_builtin_by_owner_or_by_name_and_third_parties_are_not() -> None:
    products = parse_products([
        {"displayName": "Microsoft Defender Antivirus"},  # no productState: known by its name
        {"displayName": "Some AV", "productState": 0x061100},  # owned by Microsoft
        {"displayName": "ESET Security", "productState": 0x041000},
    ])
    assert [p.builtin for p in products] == [True, True, False]


def test_duplicate_registrations_merge_by_name() -> None:
    # amidaware/community-scripts#268: one instance "on", the other "up to date".
    merged = merge_by_name(parse_products(load("securitycenter-duplicate-amidaware268.json")))  # type: ignore[arg-type]
    sophos = next(p for p in merged if p.name == "Sophos Anti-Virus")
    assert sophos.instances == 2
    assert sophos.enabled
    assert sophos.up_to_date
    assert len(merged) == 2


# -- Defender's status ---------------------------------------------------------------------------

def test_defender_status_from_real_server_2022_output() -> None:
    defender = _windows.parse_defender([server_status()])
    assert defender is not None
    assert defender.running_mode == "Normal"
    assert defender.protecting
    assert not defender.passive
    assert defender.signatures_updated == datetime(2025, 3, 11, 1, 52, 18, tzinfo=UTC)
    assert defender.signature_version == "1.423.336.0"


@pytest.mark.parametrize(("age", "expected"), [
    (3, 3), ("3", 3), (65535, None), (4294967295, None), (-1, None), ("-1", None), (None, None)])
def test_defender_signature_age_never_updated_or_impossible_is_unknown(
        age: JSON, expected: int | None) -> None:
    defender = _windows.parse_defender([server_status(AntivirusSignatureAge=age)])
    assert defender is not None
    assert defender.signature_age_days == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("20250311015218.000000+000", datetime(2025, 3, 11, 1, 52, 18, tzinfo=UTC)),
    ("20250311105218.000000+540", datetime(2025, 3, 11, 1, 52, 18, tzinfo=UTC)),  # JST offset
    ("/Date(1741657938000)/", datetime(2025, 3, 11, 1, 52, 18, tzinfo=UTC)),  # ConvertTo-Json
    ("16010101000000.000000+000", None),  # WMI's "never"
    ("", None),
    (None, None),
])
def test_wmi_dates(raw: JSON, expected: datetime | None) -> None:
    assert _windows.parse_wmi_date(raw) == expected


@pytest.mark.parametrize(("mode", "passive"), [
    ("Normal", False), ("Passive Mode", True), ("SxS Passive Mode", True),
    ("EDR Block Mode", True), (None, False),
])
def test_defender_running_modes(mode: str | None, passive: bool) -> None:
    defender = _windows.parse_defender([server_status(AMRunningMode=mode)])
    assert defender is not None
    assert defender.passive is passive
    assert defender.protecting is not passive


# -- the check on Windows ------------------------------------------------------------------------

def windows(replay: Callable[..., Context], products: object, status: object,
            *, now: str = SERVER_NOW, processes: list[str] | None = None) -> Context:
    answers: dict[str, object] = {"clock:now": now,
                                  PROCESSES: processes or ["explorer.exe", "MsMpEng.exe"]}
    errors: dict[str, tuple[str, str]] = {}
    if products is None:
        errors[WSC] = ("wmi_error", "WMI query failed: Invalid namespace")
    else:
        answers[WSC] = products
    if status is None:
        errors[DEFENDER] = ("wmi_error", "WMI query failed: Invalid namespace")
    else:
        answers[DEFENDER] = status
    return replay(answers, Platform.WINDOWS, errors)


def test_windows_defender_on_and_fresh(replay: Callable[..., Context]) -> None:
    result = Antivirus().run(windows(replay, load("securitycenter-defender-on.json"),
                                     [server_status()]))
    assert result.status is Status.PASS
    assert result.summary.args["days"] == 1


def test_windows_defender_signatures_too_old(replay: Callable[..., Context]) -> None:
    ctx = windows(replay, load("securitycenter-defender-on.json"), [server_status()],
                  now="2025-03-20T09:00:00+00:00")
    result = Antivirus().run(ctx)
    assert result.status is Status.FAIL
    assert (result.summary.args["days"], result.summary.args["limit"]) == (9, 7)
    assert any("Protection updates" in step.msgid for step in result.fix)


def test_windows_server_without_security_center_judged_by_defender(
        replay: Callable[..., Context]) -> None:
    # osquery#6389, fleet#4871, glpi-agent#868: no SecurityCenter2 on Server.
    result = Antivirus().run(windows(replay, None, [server_status()]))
    assert result.status is Status.PASS
    assert result.evidence["security_center"] is None


def test_windows_server_with_passive_defender_and_nothing_else_fails(
        replay: Callable[..., Context]) -> None:
    # mondoohq/mql#10381: a passive Defender reports every protection switch as on.
    status = server_status(AMRunningMode="Passive Mode")
    result = Antivirus().run(windows(replay, None, [status]))
    assert result.status is Status.FAIL
    assert result.summary.args["mode"] == "Passive Mode"


@pytest.mark.parametrize("mode", ["Passive Mode", "EDR Block Mode"])
def test_windows_passive_defender_never_counts_even_if_security_center_says_on(
        replay: Callable[..., Context], mode: str) -> None:
    # windows-itpro-docs#7929: AntivirusEnabled is True with and without another product.
    ctx = windows(replay, [], [server_status(AMRunningMode=mode)])
    assert Antivirus().run(ctx).status is Status.FAIL


def test_windows_passive_defender_with_third_party_on_passes(
        replay: Callable[..., Context]) -> None:
    ctx = windows(replay, load("securitycenter-fsecure-defender-fusioninventory501.json"),
                  [server_status(AMRunningMode="Passive Mode")])
    result = Antivirus().run(ctx)
    assert result.status is Status.PASS
    assert result.summary.args["products"] == ("F-Secure Client Security 12.00",)


def test_windows_japanese_product_name_is_reported(replay: Callable[..., Context]) -> None:
    ctx = windows(replay, load("securitycenter-virusbuster-ja.json"), None)
    result = Antivirus().run(ctx)
    assert result.status is Status.PASS
    assert result.summary.args["products"] == ("ウイルスバスター クラウド",)


def test_windows_duplicate_entries_do_not_fail(replay: Callable[..., Context]) -> None:
    # amidaware/community-scripts#268: judged one by one, neither instance passed.
    ctx = windows(replay, load("securitycenter-duplicate-amidaware268.json"), None)
    result = Antivirus().run(ctx)
    assert result.status is Status.PASS
    assert result.summary.args["products"] == ("Sophos Anti-Virus",)
    assert "(2 entries)" in result.evidence["security_center"][0]  # type: ignore[index, operator]


def test_windows_stale_leftover_does_not_matter_when_defender_is_on(
        replay: Callable[..., Context]) -> None:
    # zoicware/RemoveWindowsAI#244: an uninstalled McAfee's entry kept failing another tool.
    ctx = windows(replay, load("securitycenter-mcafee-leftover-removewindowsai244.json"),
                  [server_status()])
    assert Antivirus().run(ctx).status is Status.PASS


def test_windows_leftover_and_defender_off_names_the_leftover(
        replay: Callable[..., Context]) -> None:
    products = load("securitycenter-mcafee-leftover-removewindowsai244.json")
    products[1]["productState"] = 393472  # Defender off as well
    status = server_status(AntivirusEnabled="FALSE", RealTimeProtectionEnabled="FALSE")
    result = Antivirus().run(windows(replay, products, [status]))
    assert result.status is Status.FAIL
    assert result.summary.args["products"] == ("McAfee VirusScan",)
    assert any("removal tool" in step.msgid for step in result.fix)


def test_windows_third_party_out_of_date_fails(replay: Callable[..., Context]) -> None:
    products = load("securitycenter-fsecure-defender-fusioninventory501.json")
    products[0]["productState"] = 266256
    result = Antivirus().run(windows(replay, products, None))
    assert result.status is Status.FAIL
    assert result.summary.args["products"] == ("F-Secure Client Security 12.00",)


def test_windows_unregistered_known_product_running_warns_never_passes(
        replay: Callable[..., Context]) -> None:
    # ParetoSecurity/agent#388: ESET not recognised. Here it is, but its freshness is unknown.
    ctx = windows(replay, None, [server_status(AMRunningMode="Passive Mode")],
                  processes=["ekrn.exe", "egui.exe", "MsMpEng.exe"])
    result = Antivirus().run(ctx)
    assert result.status is Status.WARN
    assert result.summary.args["products"] == ("ESET",)


def test_windows_nothing_readable_is_an_error(replay: Callable[..., Context]) -> None:
    assert Antivirus().run(windows(replay, None, None)).status is Status.ERROR


def test_windows_defender_from_security_center_alone(replay: Callable[..., Context]) -> None:
    ctx = windows(replay, load("securitycenter-defender-on.json"), None)
    assert Antivirus().run(ctx).status is Status.PASS


# -- macOS ---------------------------------------------------------------------------------------

def test_xprotect_info_plist_version() -> None:
    text = (MACOS / "xprotect-info.plist").read_text("utf-8")
    assert _macos.parse_info_plist(text) == "5286"
    assert _macos.parse_info_plist("not a plist") is None


def macos(replay: Callable[..., Context], old: str | None, new: str | None,
          processes: list[str] | None = None, denied: bool = False) -> Context:
    plist = (MACOS / "xprotect-info.plist").read_text("utf-8")
    first, second = _macos.XPROTECT_BUNDLES
    answers: dict[str, object] = {"clock:now": "2026-11-20T10:15:00+09:00",
                                  PROCESSES: processes or ["Finder"],
                                  f"mtime:{first}": old,
                                  f"file:{first}/Contents/Info.plist": plist}
    errors: dict[str, tuple[str, str]] = {}
    if denied:
        errors[f"mtime:{second}"] = ("denied", "not allowed")
    else:
        answers[f"mtime:{second}"] = new
        answers[f"file:{second}/Contents/Info.plist"] = plist
    return replay(answers, Platform.MACOS, errors)


def accepting_xprotect(ctx: Context) -> Context:
    return with_policy(ctx, edition_rules={"xprotect_alone": "pass"})


def test_macos_sequoia_newer_copy_counts(replay: Callable[..., Context]) -> None:
    # XProtect alone is a warning by default (有償版相当: tests/test_antivirus_editions.py); an
    # office that accepts it sees the freshness verdict itself.
    ctx = accepting_xprotect(macos(replay, "2026-06-01T00:00:00+00:00",
                                   "2026-11-11T00:00:00+00:00"))
    result = Antivirus().run(ctx)
    assert result.status is Status.PASS
    assert result.summary.args["name"] == "XProtect 5286"


def test_macos_stale_xprotect_fails(replay: Callable[..., Context]) -> None:
    result = Antivirus().run(macos(replay, "2026-06-01T00:00:00+00:00", None))
    assert result.status is Status.FAIL
    assert any("Security Responses" in step.msgid for step in result.fix)


def test_macos_known_product_with_stale_xprotect_warns(replay: Callable[..., Context]) -> None:
    ctx = macos(replay, "2026-06-01T00:00:00+00:00", None, processes=["wdavdaemon"])
    result = Antivirus().run(ctx)
    assert result.status is Status.WARN
    assert result.summary.args["products"] == ("Microsoft Defender for Endpoint",)


def test_macos_unreadable_sequoia_copy_is_not_no_xprotect(
        replay: Callable[..., Context]) -> None:
    ctx = accepting_xprotect(macos(replay, "2026-11-01T00:00:00+00:00", None, denied=True))
    result = Antivirus().run(ctx)
    assert result.status is Status.PASS
    assert result.evidence["unreadable"] == (_macos.XPROTECT_BUNDLES[1],)


# -- Linux ---------------------------------------------------------------------------------------

def linux(replay: Callable[..., Context], cld: str | None, cvd: str | None = None,
          processes: list[str] | None = None) -> Context:
    return replay({"clock:now": "2026-11-20T10:15:00+09:00", PROCESSES: processes or ["bash"],
                   "mtime:/var/lib/clamav/daily.cld": cld,
                   "mtime:/var/lib/clamav/daily.cvd": cvd}, Platform.LINUX)


def test_linux_fresh_clamav_passes_where_the_office_accepts_open_source(
        replay: Callable[..., Context]) -> None:
    ctx = with_policy(linux(replay, None, "2026-11-18T23:00:00+00:00"),
                      edition_verdicts={"open_source": "pass"})
    result = Antivirus().run(ctx)
    assert result.status is Status.PASS
    assert result.summary.args == {"name": "ClamAV", "days": 1}


def test_linux_no_antivirus_fails_with_install_steps(replay: Callable[..., Context]) -> None:
    result = Antivirus().run(linux(replay, None))
    assert result.status is Status.FAIL
    assert any("apt install clamav" in step.msgid for step in result.fix)


def test_linux_known_product_without_dates_warns(replay: Callable[..., Context]) -> None:
    result = Antivirus().run(linux(replay, None, processes=["falcon-sensor", "bash"]))
    assert result.status is Status.WARN


def test_mtime_probe_reads_a_real_file(tmp_path: Path) -> None:
    target = tmp_path / "daily.cld"
    target.write_bytes(b"ClamAV-Diff")
    os.utime(target, (1_700_000_000, 1_700_000_000))
    system = System(LiveBackend(Platform.LINUX))
    assert antivirus.modified(system, str(target)) == datetime.fromtimestamp(1_700_000_000, UTC)
    assert antivirus.modified(system, str(tmp_path / "absent")) is None


# -- bundles and this machine --------------------------------------------------------------------

@pytest.mark.parametrize(("name", "status"), [
    ("antivirus-windows-server2022", Status.PASS),
    ("antivirus-windows11-ja", Status.PASS),
    ("antivirus-macos15", Status.WARN),  # fresh, but XProtect alone (有償版相当)
    ("antivirus-linux-clamav", Status.FAIL),
])
def test_bundle_replays_to_a_known_verdict(name: str, status: Status) -> None:
    result = replayed_result(name, "security.antivirus")
    assert result.status is status, result


def test_live_on_this_machine(replay: Callable[..., Context]) -> None:
    system = System(LiveBackend())
    state = antivirus.antivirus(system)
    assert all(s.name == "ClamAV" and s.path in _linux.CLAMAV_DAILY for s in state.signatures)
    result = Antivirus().run(Context(system, replay({}).policy))
    if result.status is Status.PASS:  # only with a fresh database really on disk
        assert state.signatures
    else:
        assert result.status in (Status.FAIL, Status.WARN, Status.ERROR)
        assert result.fix

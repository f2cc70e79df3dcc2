"""security.antivirus and 有償版相当 (Article 5(6)): which editions pass, which warn, and that the
edition never turns off or stale protection into anything but fail.

Fixtures and their sources: tests/fixtures/windows/antivirus/SOURCES.md ("Editions"); the edition
table and its sources: precheck/policy/data/antivirus.toml.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path, PureWindowsPath

import pytest

from precheck import policy as policies
from precheck.api import Context
from precheck.checks import antivirus as av
from precheck.checks.antivirus import Antivirus
from precheck.checks.editions import (
    BUILTIN,
    COMMERCIAL,
    EITHER,
    FREE,
    OPEN_SOURCE,
    UNKNOWN,
    EditionPolicy,
)
from precheck.errors import InputError
from precheck.i18n import Translator
from precheck.probes.antivirus import _macos, _windows
from precheck.result import Message, Status
from precheck.system import JSON, Platform
from tests.policy_edit import with_policy

WINDOWS = Path(__file__).resolve().parent / "fixtures" / "windows" / "antivirus"
MACOS = Path(__file__).resolve().parent / "fixtures" / "macos" / "antivirus"
WSC = "wmi:root/SecurityCenter2:AntiVirusProduct"
NOW = "2026-12-03T09:00:00+00:00"


def load(name: str) -> list[dict[str, JSON]]:
    data: list[dict[str, JSON]] = json.loads((WINDOWS / name).read_text(encoding="utf-8"))
    return data


def defender(**changes: JSON) -> dict[str, JSON]:
    """MSFT_MpComputerStatus of a home PC: Defender normal, on, signatures from this morning."""
    status: dict[str, JSON] = {
        "AMRunningMode": "Normal", "AMServiceEnabled": True, "AntivirusEnabled": True,
        "RealTimeProtectionEnabled": True,
        "AntivirusSignatureLastUpdated": "20261203031500.000000+000",
        "AntivirusSignatureAge": 0, "AntivirusSignatureVersion": "1.441.12.0",
    }
    status.update(changes)
    return status


def passive() -> dict[str, JSON]:
    return defender(AMRunningMode="Passive Mode")


def windows(replay: Callable[..., Context], products: list[dict[str, JSON]],
            status: dict[str, JSON] | None = None) -> Context:
    return replay({"clock:now": NOW, "psutil:process_names": ["explorer.exe"], WSC: products,
                   _windows.DEFENDER_PROBE: [status or passive()]}, Platform.WINDOWS)


def ja(message: Message) -> str:
    return Translator("ja").render(message)


@pytest.fixture
def table() -> EditionPolicy:
    return EditionPolicy.from_policy(policies.builtin().section("security.antivirus"))


# -- the table ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "cls"), [
    ("Windows Defender", BUILTIN),  # real Security Center name (securitycenter-defender-on.json)
    ("Microsoft Defender Antivirus", BUILTIN),
    ("Avast Antivirus", EITHER),  # real: the paid Avast Premium Security registers so (PR #2)
    ("Avast Free Antivirus", FREE),
    ("AVG Antivirus", EITHER),
    ("AVG AntiVirus FREE", FREE),
    ("Avira Free Security", FREE),
    ("Avira Antivirus Pro", COMMERCIAL),
    ("Kaspersky Free", FREE),
    ("Kaspersky Internet Security", COMMERCIAL),
    ("Bitdefender Antivirus Free", FREE),
    ("Bitdefender Antivirus Free Edition", FREE),
    ("Bitdefender Total Security", COMMERCIAL),
    ("F-Secure Client Security 12.00", COMMERCIAL),  # real (fusioninventory-agent#501)
    ("ウイルスバスター クラウド", COMMERCIAL),
    ("ESET Security", COMMERCIAL),
    ("McAfee VirusScan", COMMERCIAL),
    ("ClamAV", OPEN_SOURCE),
    ("360 Total Security", UNKNOWN),
    ("Some Antivirus", UNKNOWN),
])
def test_classes_by_security_center_name(table: EditionPolicy, name: str, cls: str) -> None:
    assert table.classify(name) == cls


def test_every_entry_says_where_its_class_comes_from_and_when() -> None:
    for entry in policies.builtin().section("security.antivirus")["editions"]:
        assert len(entry["source"]) > 20, entry["name"]
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", entry["read"]), entry["name"]
        for pattern in entry["names"]:
            re.compile(pattern)


def test_a_wrong_class_or_verdict_in_an_office_policy_is_a_clear_error(
        replay: Callable[..., Context]) -> None:
    ctx = replay({})
    with pytest.raises(InputError, match="edition_verdicts"):
        with_policy(ctx, edition_verdicts={"free": "maybe"})
    editions = [*ctx.policy.section("security.antivirus")["editions"]]
    editions[0] = {**editions[0], "class": "cheap"}
    with pytest.raises(InputError, match="editions"):
        with_policy(ctx, editions=editions)


# -- Windows: the edition of the product that protects ---------------------------------------------

def test_kaspersky_free_warns_naming_it_and_what_the_office_may_ask(
        replay: Callable[..., Context]) -> None:
    result = Antivirus().run(windows(replay, load("securitycenter-kaspersky-free-invented.json")))
    assert result.status is Status.WARN
    assert result.summary.msgid == av.EDITION_FREE
    assert result.summary.args["products"] == ("Kaspersky Free",)
    assert result.fix[0].msgid == av.ASK_FREE
    assert "Kaspersky Free: free" in result.evidence["editions"]  # type: ignore[operator]
    text = ja(result.summary)
    assert "Kaspersky Free" in text
    assert "有償版相当" in text
    assert "無料版" in text


def test_bitdefender_free_warns(replay: Callable[..., Context]) -> None:
    result = Antivirus().run(windows(replay, load("securitycenter-bitdefender-free-invented.json")))
    assert result.status is Status.WARN
    assert result.summary.args["products"] == ("Bitdefender Antivirus Free",)


def test_avast_whose_edition_cannot_be_told_warns(replay: Callable[..., Context]) -> None:
    result = Antivirus().run(windows(replay,
                                     load("securitycenter-avast-premium-windowstools2.json")))
    assert result.status is Status.WARN
    assert result.summary.msgid == av.EDITION_EITHER
    assert result.summary.args["products"] == ("Avast Antivirus",)


def test_unknown_product_is_named_never_passed_silently(replay: Callable[..., Context]) -> None:
    ctx = windows(replay, load("securitycenter-360-total-security-invented.json"))
    result = Antivirus().run(ctx)
    assert result.status is Status.WARN
    assert result.summary.msgid == av.EDITION_UNKNOWN
    assert result.summary.args["products"] == ("360 Total Security",)
    assert "360 Total Security" in ja(result.fix[0])


def test_commercial_and_builtin_pass(replay: Callable[..., Context]) -> None:
    fsecure = load("securitycenter-fsecure-defender-fusioninventory501.json")
    assert Antivirus().run(windows(replay, fsecure)).status is Status.PASS
    builtin = load("securitycenter-defender-on.json")
    result = Antivirus().run(windows(replay, builtin, defender()))
    assert result.status is Status.PASS
    assert "Microsoft Defender: builtin" in result.evidence["editions"]  # type: ignore[operator]


def test_free_edition_beside_an_active_defender_passes_by_defender(
        replay: Callable[..., Context]) -> None:
    result = Antivirus().run(windows(replay, load("securitycenter-kaspersky-free-invented.json"),
                                     defender()))
    assert result.status is Status.PASS
    assert result.summary.msgid.startswith("Microsoft Defender is on")


@pytest.mark.parametrize(("state", "expected"), [
    (262144, Status.FAIL),  # free edition off, Defender passive: no protection
    (266256, Status.FAIL),  # free edition on but out of date
])
def test_the_edition_never_softens_off_or_stale_protection(
        replay: Callable[..., Context], state: int, expected: Status) -> None:
    products = load("securitycenter-kaspersky-free-invented.json")
    products[1]["productState"] = state
    assert Antivirus().run(windows(replay, products)).status is expected


def test_office_policy_can_refuse_free_editions(replay: Callable[..., Context]) -> None:
    ctx = with_policy(windows(replay, load("securitycenter-kaspersky-free-invented.json")),
                      edition_verdicts={"free": "fail"})
    result = Antivirus().run(ctx)
    assert result.status is Status.FAIL
    assert result.summary.args["products"] == ("Kaspersky Free",)


def test_office_policy_can_accept_free_editions(replay: Callable[..., Context]) -> None:
    ctx = with_policy(windows(replay, load("securitycenter-kaspersky-free-invented.json")),
                      edition_verdicts={"free": "pass"})
    assert Antivirus().run(ctx).status is Status.PASS


def test_office_policy_that_does_not_accept_builtin_names_the_kind(
        replay: Callable[..., Context]) -> None:
    ctx = with_policy(windows(replay, load("securitycenter-defender-on.json"), defender()),
                      edition_verdicts={"builtin": "warn"})
    result = Antivirus().run(ctx)
    assert result.status is Status.WARN
    assert result.summary.msgid == av.EDITION_POLICY
    assert "OS" in ja(result.summary) or "オペレーティング" in ja(result.summary)


# -- macOS and Linux ----------------------------------------------------------------------------

def macos(replay: Callable[..., Context], processes: list[str]) -> Context:
    plist = (MACOS / "xprotect-info.plist").read_text("utf-8")
    first, second = _macos.XPROTECT_BUNDLES
    return replay({"clock:now": NOW, "psutil:process_names": processes,
                   f"mtime:{first}": "2026-11-30T00:00:00+00:00",
                   f"file:{first}/Contents/Info.plist": plist, f"mtime:{second}": None},
                  Platform.MACOS)


def test_xprotect_alone_warns_with_the_reason(replay: Callable[..., Context]) -> None:
    result = Antivirus().run(macos(replay, ["Finder"]))
    assert result.status is Status.WARN
    assert result.summary.msgid == av.EDITION_XPROTECT
    assert result.fix[0].msgid == av.ASK_XPROTECT
    assert "XProtect" in ja(result.summary)


def test_xprotect_with_a_commercial_product_running_passes(
        replay: Callable[..., Context]) -> None:
    result = Antivirus().run(macos(replay, ["Finder", "wdavdaemon"]))
    assert result.status is Status.PASS
    assert "Microsoft Defender for Endpoint: commercial" in result.evidence["editions"]  # type: ignore[operator]


def linux(replay: Callable[..., Context], processes: list[str]) -> Context:
    return replay({"clock:now": NOW, "psutil:process_names": processes,
                   "mtime:/var/lib/clamav/daily.cld": "2026-12-02T23:00:00+00:00",
                   "mtime:/var/lib/clamav/daily.cvd": None}, Platform.LINUX)


def test_clamav_alone_warns_with_the_reason(replay: Callable[..., Context]) -> None:
    result = Antivirus().run(linux(replay, ["bash", "clamd", "freshclam"]))
    assert result.status is Status.WARN
    assert result.summary.msgid == av.EDITION_OPEN_SOURCE
    assert result.summary.args["products"] == ("ClamAV",)
    assert "ClamAV" in ja(result.summary)


def test_clamav_with_a_commercial_sensor_running_passes(replay: Callable[..., Context]) -> None:
    assert Antivirus().run(linux(replay, ["bash", "falcon-sensor"])).status is Status.PASS


@pytest.mark.parametrize("msgid", [av.EDITION_FREE, av.EDITION_EITHER, av.EDITION_OPEN_SOURCE,
                                   av.EDITION_XPROTECT, av.EDITION_UNKNOWN, av.EDITION_POLICY,
                                   av.ASK_FREE, av.ASK_OPEN_SOURCE, av.ASK_XPROTECT,
                                   av.ASK_UNKNOWN, av.ASK_POLICY])
def test_every_edition_text_is_in_japanese(msgid: str) -> None:
    text = Translator("ja").gettext(msgid)
    assert text != msgid
    assert re.search(r"[ぁ-んァ-ン一-龥]", text)


def test_xprotect_with_an_unknown_product_names_the_product_and_asks_about_both(
        replay: Callable[..., Context]) -> None:
    # avp.exe is Kaspersky's process: which Kaspersky product runs cannot be told from it.
    result = Antivirus().run(macos(replay, ["Finder", "avp.exe"]))
    assert result.status is Status.WARN
    assert result.summary.msgid == av.EDITION_UNKNOWN
    assert result.summary.args["products"] == ("Kaspersky",)
    assert [step.msgid for step in result.fix] == [av.ASK_UNKNOWN, av.ASK_XPROTECT]


def test_free_edition_beside_defender_that_security_center_says_is_on_passes(
        replay: Callable[..., Context]) -> None:
    products = load("securitycenter-kaspersky-free-invented.json")
    products[0]["productState"] = 397568  # Defender on and up to date
    ctx = replay({"clock:now": NOW, "psutil:process_names": ["explorer.exe"], WSC: products},
                 Platform.WINDOWS, {_windows.DEFENDER_PROBE: ("wmi_error", "Invalid namespace")})
    result = Antivirus().run(ctx)
    assert result.status is Status.PASS
    assert result.summary.msgid.startswith("Microsoft Defender is on")


# -- real process lists: a product that runs but is not registered --------------------------

def hijackthis(path: Path) -> list[str]:
    lines = path.read_text("utf-8").splitlines()[2:]
    return [PureWindowsPath(line.split(None, 1)[1]).name for line in lines if line.strip()]


@pytest.mark.parametrize(("fixture", "product", "cls"), [
    (WINDOWS / "hijackthis-win7-avira-65.txt", "Avira", EITHER),
    (WINDOWS / "hijackthis-win10-mcafee-agent-73.txt", "McAfee", COMMERCIAL),
])
def test_running_product_without_registration_warns_and_its_class_is_known(
        replay: Callable[..., Context], table: EditionPolicy, fixture: Path, product: str,
        cls: str) -> None:
    # No Security Center (as on Windows Server), Defender passive: the running product is named,
    # its freshness cannot be read, so it warns whatever its edition (never a pass).
    ctx = replay({"clock:now": NOW, "psutil:process_names": hijackthis(fixture),
                  _windows.DEFENDER_PROBE: [passive()]}, Platform.WINDOWS,
                 {WSC: ("wmi_error", "Invalid namespace")})
    result = Antivirus().run(ctx)
    assert result.status is Status.WARN
    assert result.summary.args["products"] == (product,)
    assert table.classify(product) == cls


# -- end to end: what the job seeker reads ---------------------------------------------------

def test_a_job_seeker_with_a_free_edition_is_told_in_japanese() -> None:
    from tests.replay_bundle import BUNDLES
    from tests.test_cli import cli

    status, out, err = cli("--lang", "ja", "run", "--only", "security.antivirus", "--bundle",
                           str(BUNDLES / "antivirus-windows11-kaspersky-free"))
    assert "Kaspersky Free" in out, err
    assert "有償版相当" in out
    assert "ハローワークにおたずねください" in out  # what to do: ask the office
    assert status.name == "OK"  # a warning: booking stays open


def test_free_edition_bundle_replays_to_a_warning() -> None:
    from tests.replay_bundle import replayed_result

    result = replayed_result("antivirus-windows11-kaspersky-free", "security.antivirus")
    assert result.status is Status.WARN
    assert result.summary.args["products"] == ("Kaspersky Free",)

"""software.running (Article 5(5)): programs worth closing during the consultation, matched
exactly on real process lists; the office's own video app is never named.

Fixtures and their sources: tests/fixtures/{windows,linux,macos}/running/SOURCES.md and
tests/fixtures/windows/recording/SOURCES.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path, PureWindowsPath

import pytest

from precheck import plugins
from precheck import policy as policies
from precheck.api import Context
from precheck.checks import running as rn
from precheck.checks.running import Running
from precheck.i18n import Translator
from precheck.probes import office, software
from precheck.result import Message, Status
from precheck.session import evaluate
from precheck.system import LiveBackend, Platform, System
from precheck.tui.checkup import ON_THE_DAY, Checkup
from precheck.tui.offices import OfficeChoice
from tests.replay_bundle import replayed_result
from tests.test_recording import windows_lists

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PROCESSES = software.PROCESS_NAMES


def hijackthis(name: str) -> list[str]:
    """Image names from a HiJackThis "Running processes" section (``count  path`` lines)."""
    lines = (FIXTURES / "windows" / "running" / name).read_text("utf-8").splitlines()[2:]
    return [PureWindowsPath(line.split(None, 1)[1]).name for line in lines if line.strip()]


def pslist(name: str) -> list[str]:
    """Process names from a Volatility ``linux.pslist`` excerpt (the fifth column)."""
    text = (FIXTURES / "linux" / "running" / name).read_text("utf-8")
    return [line.split()[5] for line in text.splitlines() if line.strip()]


def ps_ax(name: str) -> list[str]:
    """Executable names from macOS ``ps -ax`` rows (psutil's name is the file name)."""
    text = (FIXTURES / "macos" / "running" / name).read_text("utf-8")
    return [line.split(None, 3)[3].rsplit("/", 1)[1] for line in text.splitlines() if line]


def ctx_for(replay: Callable[..., Context], names: list[str],
            platform: Platform = Platform.WINDOWS, video_app: str | None = None) -> Context:
    answers: dict[str, object] = {PROCESSES: names}
    if video_app is not None:
        answers[office.VIDEO_APP_PROBE] = video_app
    return replay(answers, platform)


def named(result_programs: object) -> dict[str, list[str]]:
    """The evidence's ``kind: name`` entries, by kind."""
    found: dict[str, list[str]] = {}
    for entry in result_programs:  # type: ignore[attr-defined]
        kind, _, name = str(entry).partition(": ")
        found.setdefault(kind, []).append(name)
    return found


# -- real process lists --------------------------------------------------------------------------

@pytest.mark.parametrize(("fixture", "expected"), [
    ("hijackthis-win10-1809-battlenet-steam-dropbox-76.txt",
     {"game": ["Battle.net"], "sync": ["Dropbox"]}),
    ("hijackthis-win10-20h2-anydesk-126.txt", {"remote": ["AnyDesk"]}),
    ("hijackthis-win-hp-whatsapp-280.txt", {"call": ["WhatsApp"]}),
])
def test_real_windows_lists_name_exactly_what_runs(replay: Callable[..., Context], fixture: str,
                                                    expected: dict[str, list[str]]) -> None:
    result = Running().run(ctx_for(replay, hijackthis(fixture)))
    assert result.status is Status.WARN
    assert named(result.evidence["programs"]) == expected


@pytest.mark.parametrize("fixture", ["hijackthis-win10-22h2-avg-287.txt",
                                     "hijackthis-win10-22h2-steamservice-288.txt"])
def test_real_windows_lists_with_nothing_to_close_pass(replay: Callable[..., Context],
                                                       fixture: str) -> None:
    # AVG's own processes and Steam's background service (Steam itself closed) are not named.
    result = Running().run(ctx_for(replay, hijackthis(fixture)))
    assert result.status is Status.PASS, result


@pytest.mark.parametrize("name", ["net64plus128", "powertoys39791", "powertoys40274"])
def test_ordinary_windows_lists_pass(replay: Callable[..., Context], name: str) -> None:
    # Edge, Chrome, Mail, Xbox's XboxPcAppFT.exe, iCloud's APSDaemon, AMD and Acronis services.
    assert Running().run(ctx_for(replay, windows_lists()[name])).status is Status.PASS


def test_real_linux_steam_list(replay: Callable[..., Context]) -> None:
    result = Running().run(ctx_for(replay, pslist("volatility-pslist-steam-1135.txt"),
                                   Platform.LINUX))
    assert result.status is Status.WARN
    assert named(result.evidence["programs"]) == {"game": ["Steam"]}


def test_real_macos_list_names_sync_clients_and_not_apples_parsecd(
        replay: Callable[..., Context]) -> None:
    names = ps_ax("ps-dropbox-backupandsync-docksal425.txt")
    assert "parsecd" in names  # Apple's CoreParsec daemon, not the Parsec remote desktop
    result = Running().run(ctx_for(replay, names, Platform.MACOS))
    assert result.status is Status.WARN
    assert named(result.evidence["programs"]) == {"sync": ["Dropbox", "Google Drive"]}


# -- the office's own video app -----------------------------------------------------------------

def test_without_an_office_the_apps_of_article_4_are_not_named(
        replay: Callable[..., Context]) -> None:
    result = Running().run(ctx_for(replay, ["explorer.exe", "Zoom.exe"]))
    assert result.status is Status.PASS
    assert result.evidence["office_video_app"] is None


def test_a_teleoffice_office_names_zoom(replay: Callable[..., Context]) -> None:
    result = Running().run(ctx_for(replay, ["explorer.exe", "Zoom.exe", "TeleOffice.exe"],
                                   video_app="TeleOffice"))
    assert result.status is Status.WARN
    assert named(result.evidence["programs"]) == {"call": ["Zoom"]}


def test_a_zoom_office_never_names_zoom(replay: Callable[..., Context]) -> None:
    result = Running().run(ctx_for(replay, ["explorer.exe", "Zoom.exe", "ms-teams.exe"],
                                   video_app="Zoom"))
    assert named(result.evidence["programs"]) == {"call": ["Microsoft Teams"]}


def test_the_app_records_the_chosen_offices_video_app() -> None:
    system = System(LiveBackend(Platform.LINUX))
    assert office.use_video_app(system, " Zoom ") == "Zoom"
    assert office.use_video_app(system, "TeleOffice") == "Zoom"  # the first answer stands
    assert office.video_app(system) == "Zoom"
    assert office.video_app(System(LiveBackend(Platform.LINUX))) is None


def test_a_bundle_without_the_office_fact_uses_the_default(
        replay: Callable[..., Context]) -> None:
    ctx = replay({PROCESSES: ["Zoom.exe", "explorer.exe"]}, Platform.WINDOWS)
    assert office.video_app(ctx.system) is None
    assert Running().run(ctx).status is Status.PASS


# -- the report, the texts, the fixes -----------------------------------------------------------

def test_warning_names_each_program_in_plain_words_never_the_process_list(
        replay: Callable[..., Context]) -> None:
    names = ["explorer.exe", "secret-project-tool.exe", "Discord.exe", "steam.exe",
             "steamwebhelper.exe", "qbittorrent.exe", "AnyDesk.exe", "Dropbox.exe"]
    result = Running().run(ctx_for(replay, names))
    assert result.status is Status.WARN
    dumped = json.dumps({"summary": result.summary.to_json(),
                         "fix": [step.to_json() for step in result.fix],
                         "evidence": dict(result.evidence)}, default=str, ensure_ascii=False)
    assert "secret-project-tool" not in dumped
    assert "explorer.exe" not in dumped
    assert named(result.evidence["programs"]) == {
        "file_sharing": ["qBittorrent"], "remote": ["AnyDesk"], "call": ["Discord"],
        "game": ["Steam"], "sync": ["Dropbox"]}
    en = Translator("en").render(result.summary)
    assert "Discord (another video or call app)" in en
    assert "Steam (game launcher)" in en
    ja = Translator("ja").render(result.summary)
    assert "Discord" in ja
    assert re.search(r"[ぁ-んァ-ン一-龥]", ja)
    steps = [Translator("ja").render(step) for step in result.fix]
    assert len(steps) == 6  # one per kind, most disturbing first, then "run again"
    assert "qBittorrent" in steps[0]
    assert "AnyDesk" in steps[1]


def test_names_match_exactly_not_by_substring(replay: Callable[..., Context]) -> None:
    names = ["zoomit.exe", "SteamService.exe", "TeamViewer_Service.exe", "dropboxupdate.exe",
             "OneDrive.exe", "steamerrorreporter.exe", "Spotify Launcher Helper.exe"]
    assert Running().run(ctx_for(replay, names)).status is Status.PASS


def test_unreadable_or_empty_process_list_is_an_error_never_a_pass(
        replay: Callable[..., Context]) -> None:
    empty = Running().run(ctx_for(replay, []))
    assert empty.status is Status.ERROR
    denied = replay({}, Platform.WINDOWS, {PROCESSES: ("denied", "access denied")})
    assert Running().run(denied).status is Status.ERROR


@pytest.mark.parametrize("msgid", [*rn.KIND_WORDS.values(), *rn.CLOSE_STEPS.values()])
def test_every_text_is_in_japanese(msgid: str) -> None:
    text = Translator("ja").gettext(msgid)
    assert text != msgid
    assert re.search(r"[ぁ-んァ-ン一-龥]", text)


def test_the_policy_list_has_exact_names_only() -> None:
    programs = policies.builtin().section("software.running")["programs"]
    for entry in programs:
        for name in entry["processes"]:
            assert name == name.strip().casefold(), name
            assert "*" not in name
    apps = {e["video_app"] for e in programs if "video_app" in e}
    assert apps == {"TeleOffice", "Zoom"}  # the video_app values of the office profiles


def test_office_profiles_use_a_video_app_the_policy_knows() -> None:
    from precheck.offices import load_offices

    known = {e.get("video_app") for e in policies.builtin().section("software.running")["programs"]}
    assert {p.video_app for p in load_offices().values()} <= known


# -- on the day: check-in runs it again -----------------------------------------------------------

def test_on_the_day_run_records_the_office_and_replaces_the_outcome() -> None:
    catalog = plugins.load()
    checkup = Checkup(catalog, policies.builtin())
    checkup.office = OfficeChoice("namerikawa", "ハローワーク滑川", "Hello Work Namerikawa", 2,
                                  None, (), (), "local", "TeleOffice")
    assert "software.running" in ON_THE_DAY
    outcomes = checkup.run_on_the_day()
    assert {o.meta.id for o in outcomes} == set(ON_THE_DAY)
    running = next(o for o in checkup.outcomes() if o.meta.id == "software.running")
    assert running.result.evidence["office_video_app"] == "TeleOffice"
    assert running.result.status in (Status.PASS, Status.WARN)  # this machine's real processes


def test_live_on_this_machine(replay: Callable[..., Context]) -> None:
    evaluation = evaluate(plugins.load().select(["software.running"]),
                          replay({}).policy)
    (outcome,) = evaluation.run()
    assert outcome.result.status in (Status.PASS, Status.WARN)
    assert outcome.result.evidence["checked"] > 0  # type: ignore[operator]
    assert isinstance(outcome.result.summary, Message)


# -- bundles ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "expected"), [
    ("running-windows10-hijackthis76", {"game": ["Battle.net"], "sync": ["Dropbox"]}),
    ("running-windows10-zoom-office-teleoffice",
     {"call": ["Zoom"], "game": ["Battle.net"], "sync": ["Dropbox"]}),
])
def test_bundle_replays_to_a_known_verdict(name: str, expected: dict[str, list[str]]) -> None:
    result = replayed_result(name, "software.running")
    assert result.status is Status.WARN
    assert named(result.evidence["programs"]) == expected


# -- the command line ----------------------------------------------------------------------------

@pytest.mark.parametrize(("argv", "expected"), [
    ((), None), (("--video-app", "TeleOffice"), "TeleOffice"), (("--video-app", "Zoom"), "Zoom")])
def test_the_command_line_records_the_offices_video_app(argv: tuple[str, ...],
                                                        expected: str | None) -> None:
    from tests.test_cli import cli

    status, out, err = cli("run", "--json", "--only", "software.running", *argv)
    report = json.loads(out)
    (entry,) = report["checks"]
    assert entry["id"] == "software.running", err
    assert entry["evidence"]["office_video_app"] == expected
    assert status.name in ("OK", "CHECK_FAILED")

"""software.file_sharing: parsers on real package lists, precise signatures, no false positives.

Fixtures and their sources: tests/fixtures/{linux,windows,macos}/software/SOURCES.md.
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
from precheck.checks.software import FileSharing
from precheck.errors import ProbeMissing
from precheck.probes import software
from precheck.probes.software import _linux, _macos, _windows
from precheck.result import Status
from precheck.session import evaluate
from precheck.system import JSON, LiveBackend, Platform, System, command_name

FIXTURES = Path(__file__).parent / "fixtures"
LINUX = FIXTURES / "linux" / "software"
WINDOWS = FIXTURES / "windows" / "software"
MACOS = FIXTURES / "macos" / "software"

DPKG = command_name(_linux.DPKG, _linux.C)
HKLM = _windows.subkeys_probe_name("HKLM", _windows.UNINSTALL)
HKLM32 = _windows.subkeys_probe_name(*_windows.UNINSTALL_KEYS[1])
HKCU = _windows.subkeys_probe_name("HKCU", _windows.UNINSTALL)

#: Debian packages that are file-sharing clients (every other name in the apt-cache fixture, such
#: as libtorrent-rasterbar2.0, transmission-common, transmission-remote-gtk, mktorrent,
#: python3-libtorrent, vlc-plugin-bittorrent or aria2, is a library, data, a remote control or a
#: tool that shares nothing by itself, and must not be flagged).
DEBIAN_CLIENTS = {
    "amule", "amule-daemon", "ctorrent", "deluge", "deluge-console", "deluge-gtk", "deluge-web",
    "deluged", "ktorrent", "qbittorrent", "qbittorrent-nox", "rtorrent", "transmission",
    "transmission-cli", "transmission-daemon", "transmission-gtk", "transmission-qt",
}


def products() -> tuple[software.Signature, ...]:
    return software.signatures(policies.builtin().section("software.file_sharing")["products"])


def load(path: Path) -> JSON:
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def windows_answers(hklm: JSON = None, hkcu: JSON = None, processes: list[str] | None = None,
                    folders: dict[str, JSON] | None = None) -> dict[str, JSON]:
    answers: dict[str, JSON] = {
        HKLM: hklm if hklm is not None else load(WINDOWS / "uninstall-hklm.json"),
        HKLM32: {}, HKCU: hkcu, software.PROCESS_NAMES: processes or ["explorer.exe"],
    }
    for folder in _windows.EXE_FOLDERS:
        answers[f"dir-exe:{folder}"] = None
    for folder in _windows.SHORTCUT_FOLDERS:
        answers[f"dir-lnk:{folder}"] = None
    answers.update(folders or {})
    return answers


# -- Linux ---------------------------------------------------------------------------------------

def test_dpkg_parser_reads_the_real_list_of_this_debian_machine() -> None:
    programs = _linux.parse_dpkg((LINUX / "debian12-dpkg-query.txt").read_text("utf-8"))
    assert len(programs) > 900
    assert {"adduser", "dpkg", "bash"} <= {p.name for p in programs}
    assert not software.installed_matches(software.Inventory(tuple(programs), ("dpkg",), ()),
                                          products())


def test_only_real_clients_among_debian_torrent_like_packages_are_flagged() -> None:
    names = [line.split(" - ")[0] for line in
             (LINUX / "debian12-apt-cache-search.txt").read_text("utf-8").splitlines()]
    assert {"libtorrent-rasterbar2.0", "transmission-common", "mktorrent"} <= set(names)
    text = "".join(f"ii \t{name}\t1.0\n" for name in names)
    inventory = software.Inventory(tuple(_linux.parse_dpkg(text)), ("dpkg",), ())
    found = software.installed_matches(inventory, products())
    flagged = {p.name for hits in found.values() for p in hits}
    assert flagged == DEBIAN_CLIENTS
    assert set(found) == {"aMule", "CTorrent", "Deluge", "KTorrent", "qBittorrent", "rTorrent",
                          "Transmission"}


def test_removed_packages_with_configuration_left_are_not_installed() -> None:
    programs = _linux.parse_dpkg("rc \tqbittorrent\t4.5.2-3\nii \tbash\t5.2.15-2+b2\n")
    assert [p.name for p in programs] == ["bash"]


@pytest.mark.parametrize(
    ("parser", "text", "expected"),
    [
        # flatpak prints tab-separated columns and no header when not on a terminal
        (_linux.parse_flatpak, "org.qbittorrent.qBittorrent\t4.6.3\norg.mozilla.firefox\t122.0\n",
         [("org.qbittorrent.qBittorrent", "4.6.3"), ("org.mozilla.firefox", "122.0")]),
        (_linux.parse_snap,
         "Name      Version   Rev    Tracking       Publisher   Notes\n"
         "core22    20240111  1122   latest/stable  canonical✓  base\n"
         "firefox   122.0-2   3728   latest/stable  mozilla✓    -\n",
         [("core22", "20240111"), ("firefox", "122.0-2")]),
        (_linux.parse_rpm, "transmission-gtk\t4.0.5-1.fc39\nbash\t5.2.26-1.fc39\n",
         [("transmission-gtk", "4.0.5-1.fc39"), ("bash", "5.2.26-1.fc39")]),
    ],
    ids=["flatpak", "snap", "rpm"],
)
def test_other_linux_package_lists(parser: Callable[[str], list[software.Program]], text: str,
                                   expected: list[tuple[str, str]]) -> None:
    # INVENTED outputs in each tool's documented column format (flatpak-list(1), snap list).
    assert [(p.name, p.version) for p in parser(text)] == expected


def test_flatpak_app_is_matched_by_its_application_id(replay: Callable[..., Context]) -> None:
    ctx = replay({
        DPKG: {"returncode": 0, "stdout": "ii \tbash\t5.2\n", "stderr": ""},
        command_name(_linux.FLATPAK, _linux.C): {
            "returncode": 0, "stdout": "de.haeckerfelix.Fragments\t2.1.1\n", "stderr": ""},
        software.PROCESS_NAMES: ["bash", "systemd"],
    }, errors={command_name(_linux.RPM, _linux.C): ("not_found", "rpm is not installed"),
               command_name(_linux.SNAP, _linux.C): ("not_found", "snap is not installed")})
    result = FileSharing().run(ctx)
    assert result.status is Status.FAIL
    assert result.summary.args["products"] == ("Fragments",)


def test_the_linux_probes_run_for_real_on_this_machine() -> None:
    ctx = Context(System(LiveBackend()), policies.builtin())
    inventory = software.installed(ctx.system)
    assert DPKG in inventory.read  # dpkg exists here
    assert len(inventory.programs) > 100
    assert software.process_names(ctx.system)
    result = FileSharing().run(ctx)
    assert result.status is Status.PASS, result  # no file-sharing client on the build machine
    assert "dpkg" not in json.dumps(result.summary.to_json())


# -- Windows -------------------------------------------------------------------------------------

def test_uninstall_parser_keeps_what_programs_and_features_shows() -> None:
    programs = _windows.parse_uninstall(load(WINDOWS / "uninstall-hklm.json"))  # type: ignore[arg-type]
    names = {p.name for p in programs}
    assert "Google Chrome" in names
    assert "Office 16 Click-to-Run Extensibility Component" not in names  # SystemComponent
    assert "Security Update for Windows (KB5034441)" not in names  # an update of another entry
    assert len(programs) == 14


@pytest.mark.parametrize(
    "name",
    ["Google Chrome", "Microsoft Edge", "Microsoft Edge WebView2 Runtime", "Zoom", "Steam",
     "Dropbox", "Microsoft OneDrive", "Google Drive", "Microsoft 365 Apps for enterprise",
     "Mozilla Firefox 78.9.0 ESR (x86 de)", "Npcap", "AdGuard for Windows",
     "Transmission Remote GUI 5.18.0", "Share Online", "WinMerge 2.16", "Thunderbird",
     "Deluge Theme Pack", "Areas", "eMuleCollection viewer"],
)
def test_ordinary_windows_software_is_not_flagged(name: str) -> None:
    program = software.Program(name, None, "uninstall")
    assert not [s.name for s in products() if s.matches_program(program)]


@pytest.mark.parametrize(
    ("name", "product"),
    [("qBittorrent", "qBittorrent"), ("qBittorrent 4.1.5", "qBittorrent"), ("µTorrent", "µTorrent"),
     ("BitComet 2.06", "BitComet"), ("BitComet 1.98 (64-bit)", "BitComet"),
     ("Deluge 2.1.1", "Deluge"), ("Transmission 4.0.5 (x64)", "Transmission"),
     ("eMule", "eMule"), ("迅雷", "Xunlei (Thunder)"), ("Vuze", "Vuze"), ("WinMX 3.54", "WinMX")],
)
def test_file_sharing_uninstall_entries_are_flagged(name: str, product: str) -> None:
    program = software.Program(name, None, "uninstall")
    assert [s.name for s in products() if s.matches_program(program)] == [product]


def test_windows_per_user_install_is_found(replay: Callable[..., Context]) -> None:
    ctx = replay(windows_answers(hkcu=load(WINDOWS / "uninstall-hkcu.json")), Platform.WINDOWS)
    result = FileSharing().run(ctx)
    assert result.status is Status.FAIL
    assert result.summary.args["products"] == ("qBittorrent",)
    assert result.evidence["found_in"] == ("uninstall registry",)
    # The report names the product, never the program list.
    text = json.dumps([result.summary.to_json(), dict(result.evidence)], default=list)
    for ordinary in ("Chrome", "Zoom", "Dropbox", "OneDrive", "Steam"):
        assert ordinary not in text
    assert any("Settings > Apps" in step.msgid for step in result.fix)


def test_windows_machine_with_ordinary_software_passes(replay: Callable[..., Context]) -> None:
    result = FileSharing().run(replay(windows_answers(), Platform.WINDOWS))
    assert result.status is Status.PASS


def test_unzipped_winny_on_the_desktop_is_found(replay: Callable[..., Context]) -> None:
    desktop = {"": ["setup.exe"], "winny2": ["Winny2.exe"], "tools": ["rufus.exe"]}
    ctx = replay(windows_answers(folders={"dir-exe:%USERPROFILE%\\Desktop": desktop}),
                 Platform.WINDOWS)
    result = FileSharing().run(ctx)
    assert result.status is Status.FAIL
    assert result.summary.args["products"] == ("Winny",)
    assert result.evidence["found_in"] == ("program files",)


def test_utorrent_in_appdata_and_start_menu(replay: Callable[..., Context]) -> None:
    ctx = replay(windows_answers(folders={
        "dir-exe:%APPDATA%": {"uTorrent": ["uTorrent.exe"]},
        "dir-lnk:%APPDATA%\\Microsoft\\Windows\\Start Menu\\Programs": {"": ["µTorrent.lnk"]},
    }), Platform.WINDOWS)
    result = FileSharing().run(ctx)
    assert result.summary.args["products"] == ("µTorrent",)
    assert result.evidence["found_in"] == ("Start menu", "program files")


def test_a_running_client_is_found_and_the_fix_says_quit_first(
        replay: Callable[..., Context]) -> None:
    ctx = replay(windows_answers(processes=["explorer.exe", "BitComet_x64.exe"]),
                 Platform.WINDOWS)
    result = FileSharing().run(ctx)
    assert result.status is Status.FAIL
    assert result.evidence["running"] == ("BitComet",)
    assert result.fix[0].msgid.startswith("Quit {products}")


@pytest.mark.parametrize("process", ["rufus.exe", "PerfectDark.exe", "pd.exe", "Thunderbird.exe",
                                     "OneDrive.exe", "Dropbox.exe", "steam.exe", "Zoom.exe",
                                     "chrome.exe", "transmission-remote-gtk"])
def test_lookalike_processes_are_not_flagged(process: str) -> None:
    assert software.running_matches([process], products()) == []


def test_no_readable_source_is_an_error_not_a_pass(replay: Callable[..., Context]) -> None:
    errors = {name: ("denied", "not allowed") for name in windows_answers()
              if name != software.PROCESS_NAMES}
    ctx = replay({software.PROCESS_NAMES: ["explorer.exe"]}, Platform.WINDOWS, errors=errors)
    result = FileSharing().run(ctx)
    assert result.status is Status.ERROR
    assert result.summary.msgid == "Could not read the list of installed programs"
    assert result.fix


@pytest.mark.parametrize(("platform", "first_source"), [
    (Platform.WINDOWS, HKLM), (Platform.MACOS, "apps:/Applications"), (Platform.LINUX, DPKG)])
def test_a_bundle_without_the_inventory_names_the_missing_probe(
        replay: Callable[..., Context], platform: Platform, first_source: str) -> None:
    """An unrecorded source is a bundle from another precheck version, not an unreadable one."""
    ctx = replay({software.PROCESS_NAMES: ["explorer.exe"]}, platform)
    with pytest.raises(ProbeMissing) as missing:
        FileSharing().run(ctx)
    assert missing.value.probe == first_source


def test_folder_scanner_finds_executables_one_level_down(tmp_path: Path) -> None:
    (tmp_path / "winny2").mkdir()
    (tmp_path / "winny2" / "Winny2.exe").write_bytes(b"MZ")
    (tmp_path / "winny2" / "readme.txt").write_text("x")
    (tmp_path / "top.exe").write_bytes(b"MZ")
    assert _windows.scan_folder("dir-exe:x", str(tmp_path), ".exe") == {
        "": ["top.exe"], "winny2": ["Winny2.exe"]}
    assert _windows.scan_folder("dir-exe:x", str(tmp_path / "absent"), ".exe") is None


# -- macOS ---------------------------------------------------------------------------------------

def test_macos_ordinary_apps_pass_and_a_renamed_client_is_found_by_its_identifier(
        replay: Callable[..., Context]) -> None:
    apps = load(MACOS / "applications.json")
    answers = {"apps:/Applications": apps, "apps:~/Applications": None,
               software.PROCESS_NAMES: ["Finder", "Dock"]}
    assert FileSharing().run(replay(answers, Platform.MACOS)).status is Status.PASS
    renamed = [*apps, {"bundle": "Downloader.app", "id": "org.qbittorrent.qBittorrent",  # type: ignore[misc]
                       "version": "4.6.3"}]
    result = FileSharing().run(replay({**answers, "apps:/Applications": renamed},
                                      Platform.MACOS))
    assert result.summary.args["products"] == ("qBittorrent",)
    assert result.evidence["found_in"] == ("Applications folder",)


def test_macos_bundle_scanner_reads_info_plist(tmp_path: Path) -> None:
    import plistlib

    contents = tmp_path / "Transmission.app" / "Contents"
    contents.mkdir(parents=True)
    with (contents / "Info.plist").open("wb") as handle:
        plistlib.dump({"CFBundleIdentifier": "org.m0k.transmission",
                       "CFBundleShortVersionString": "4.0.5"}, handle, fmt=plistlib.FMT_BINARY)
    (tmp_path / "Utilities" / "Broken.app").mkdir(parents=True)
    apps = _macos.scan_apps("apps:x", str(tmp_path))
    assert apps == [{"bundle": "Transmission.app", "id": "org.m0k.transmission",
                     "version": "4.0.5"},
                    {"bundle": "Broken.app", "id": None, "version": None}]


# -- bundles: one per OS, replayed to a known verdict ---------------------------------------------

@pytest.mark.parametrize(
    ("name", "status", "products"),
    [("windows-p2p", Status.FAIL, ("Share", "qBittorrent")),
     ("macos-clean", Status.PASS, None),
     ("linux-transmission", Status.FAIL, ("Transmission",))],
)
def test_bundles_replay_to_known_verdicts(name: str, status: Status,
                                          products: tuple[str, ...] | None) -> None:
    read = bundles.read(FIXTURES / "bundles" / name)
    catalog = plugins.load().select(["software.file_sharing"])
    (outcome,) = evaluate(catalog, policies.builtin(), read).run()
    assert outcome.result.status is status, outcome.result
    if products:
        assert outcome.result.summary.args["products"] == products

"""software.browser: browsers found in the inventory, versions compared numerically.

Fixtures and their sources: tests/fixtures/{windows,linux}/browser/SOURCES.md,
tests/fixtures/bundles/SOURCES-browser.md.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from precheck import bundle as bundles
from precheck import plugins
from precheck import policy as policies
from precheck.api import Context
from precheck.checks.software import Browser
from precheck.probes import software
from precheck.probes.software import _linux, _windows
from precheck.probes.software.versions import at_least, is_transitional, parse_version
from precheck.result import Message, Status
from precheck.session import evaluate
from precheck.system import JSON, LiveBackend, Platform, System, command_name

FIXTURES = Path(__file__).resolve().parent / "fixtures"
LINUX = FIXTURES / "linux" / "browser"
WINDOWS = FIXTURES / "windows"
DPKG = command_name(_linux.DPKG, _linux.C)
RPM = command_name(_linux.RPM, _linux.C)
FLATPAK = command_name(_linux.FLATPAK, _linux.C)
SNAP = command_name(_linux.SNAP, _linux.C)
NOT_FOUND = ("not_found", "not installed")


def load(path: Path) -> JSON:
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def windows(hklm: JSON, hklm32: JSON = None, hkcu: JSON = None) -> dict[str, JSON]:
    answers: dict[str, JSON] = {
        _windows.subkeys_probe_name(*_windows.UNINSTALL_KEYS[0]): hklm,
        _windows.subkeys_probe_name(*_windows.UNINSTALL_KEYS[1]): hklm32,
        _windows.subkeys_probe_name(*_windows.UNINSTALL_KEYS[2]): hkcu,
    }
    for folder in _windows.EXE_FOLDERS:
        answers[f"dir-exe:{folder}"] = None
    for folder in _windows.SHORTCUT_FOLDERS:
        answers[f"dir-lnk:{folder}"] = None
    return answers


def linux(replay: Callable[..., Context], dpkg: str = "", snap: str | None = None,
          flatpak: str | None = None) -> Context:
    answers: dict[str, JSON] = {DPKG: {"returncode": 0, "stdout": dpkg, "stderr": ""}}
    errors = {RPM: NOT_FOUND}
    for name, text in ((SNAP, snap), (FLATPAK, flatpak)):
        if text is None:
            errors[name] = NOT_FOUND
        else:
            answers[name] = {"returncode": 0, "stdout": text, "stderr": ""}
    return replay(answers, Platform.LINUX, errors=errors)


def summary_browsers(result_args: object) -> list[tuple[str, str, str]]:
    assert isinstance(result_args, tuple)
    out = []
    for item in result_args:
        assert isinstance(item, Message)
        out.append((str(item.args["name"]), str(item.args["version"]),
                    str(item.args["minimum"])))
    return out


# -- version numbers ------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("122.0.2365.92", (122, 0, 2365, 92)),
    ("17.3", (17, 3)),
    ("128.5.0esr-1~deb12u1", (128, 5, 0)),
    ("156.0.8078.79-1~deb12u1", (156, 0, 8078, 79)),
    ("1:128.0-1", (128, 0)),  # a Debian epoch
    ("155.0+build1-0ubuntu0.24.04.1~mt1", (155, 0)),
    ("128.0.2-1", (128, 0, 2)),  # snap revision
    ("128.5.0-1.fc39", (128, 5, 0)),  # RPM release
    ("5.17.5 (31030)", (5, 17, 5)),
    ("1:1snap1-0ubuntu5", None),  # Ubuntu's transitional deb: not a version
    ("2:1snap1-0ubuntu2", None),
    ("", None), (None, None), ("unknown", None),
])
def test_versions_are_read_like_a_person_would(text: str | None,
                                               expected: tuple[int, ...] | None) -> None:
    assert parse_version(text) == expected


def test_versions_compare_numerically_not_as_text() -> None:
    assert at_least((154,), (154,))
    assert at_least((154, 0, 1), (154,))
    assert at_least((1000,), (154,))
    assert not at_least((99, 9), (154,))  # "99.9" > "154" as text
    assert not at_least((153, 99), (154, 0))
    assert at_least((26, 1), (26,))


def test_the_real_debian_apt_cache_policy_versions() -> None:
    text = (LINUX / "debian12-apt-cache-policy.txt").read_text("utf-8")
    versions = re.findall(r"^ (?:\*\*\*| {3}) (\S+) \d+$", text, re.MULTILINE)
    assert [parse_version(v) for v in versions] == [
        (156, 0, 8078, 79), (150, 0, 7871, 100), (153, 7, 0), (140, 12, 0)]
    assert not any(is_transitional(v) for v in versions)


# -- Windows --------------------------------------------------------------------------------------

def test_old_windows_browsers_warn_with_the_version_each_needs(
        replay: Callable[..., Context]) -> None:
    ctx = replay(windows(load(WINDOWS / "software" / "uninstall-hklm.json")), Platform.WINDOWS)
    result = Browser().run(ctx)
    assert result.status is Status.WARN
    assert summary_browsers(result.summary.args["browsers"]) == [
        ("Microsoft Edge", "122.0.2365.92", "154"),
        ("Google Chrome", "121.0.6167.161", "154"),
        ("Mozilla Firefox", "78.9.0", "140"),
    ]
    steps = [f.msgid for f in result.fix]
    assert any("About Microsoft Edge" in s for s in steps)
    assert any("About Google Chrome" in s for s in steps)
    assert any("About Firefox" in s for s in steps)
    # WebView2, Edge Update and Mozilla Maintenance Service are not browsers.
    assert "WebView2" not in json.dumps(dict(result.evidence), default=list)
    # Only the browsers are named: never the program list.
    text = json.dumps([result.summary.to_json(), dict(result.evidence)], default=list)
    for ordinary in ("Zoom", "Steam", "Dropbox", "Npcap", "Office"):
        assert ordinary not in text


def test_up_to_date_japanese_windows_passes(replay: Callable[..., Context]) -> None:
    ctx = replay(windows(load(WINDOWS / "browser" / "uninstall-hklm-ja-current.json"),
                         load(WINDOWS / "browser" / "uninstall-hklm32-ja-current.json")),
                 Platform.WINDOWS)
    result = Browser().run(ctx)
    assert result.status is Status.PASS
    assert result.summary.args["browsers"] == (
        "Microsoft Edge 156.0.3485.54", "Google Chrome 155.0.7967.120", "Mozilla Firefox 156.0")


@pytest.mark.parametrize(("name", "browser"), [
    ("Mozilla Firefox (x64 ja)", "Mozilla Firefox"),
    ("Mozilla Firefox ESR (x64 ja)", "Mozilla Firefox"),
    ("Mozilla Firefox 78.9.0 ESR (x86 de)", "Mozilla Firefox"),
    ("Mozilla Firefox", "Mozilla Firefox"),
    ("Google Chrome", "Google Chrome"),
    ("Microsoft Edge", "Microsoft Edge"),
    ("Microsoft Edge WebView2 Runtime", None),
    ("Microsoft Edge Update", None),
    ("Mozilla Maintenance Service", None),
    ("Mozilla Thunderbird (x64 ja)", None),
    ("Google Chrome Remote Desktop Host", None),
    ("Chromium Embedded Framework", None),
])
def test_windows_display_names(name: str, browser: str | None) -> None:
    entries = policies.builtin().section("software.browser")["browsers"]
    program = software.Program(name, "1.0", "uninstall")
    hits = [e["name"] for e in entries
            if software.Signature.from_policy(e).matches_program(program)]
    assert hits == ([browser] if browser else [])


def test_the_newest_copy_decides(replay: Callable[..., Context]) -> None:
    # An old per-machine Chrome and an up-to-date per-user Chrome: the user runs the new one.
    old = {"Google Chrome": {"DisplayName": "Google Chrome", "DisplayVersion": "109.0.5414.120"}}
    new = {"Google Chrome": {"DisplayName": "Google Chrome", "DisplayVersion": "156.0.8078.80"}}
    result = Browser().run(replay(windows(old, None, new), Platform.WINDOWS))
    assert result.status is Status.PASS
    assert result.summary.args["browsers"] == ("Google Chrome 156.0.8078.80",)


def test_a_browser_without_a_version_warns(replay: Callable[..., Context]) -> None:
    entries = {"Google Chrome": {"DisplayName": "Google Chrome"}}
    result = Browser().run(replay(windows(entries), Platform.WINDOWS))
    assert result.status is Status.WARN
    assert result.summary.args["browsers"] == ("Google Chrome",)


def test_no_browser_warns_and_no_inventory_is_an_error(
        replay: Callable[..., Context]) -> None:
    result = Browser().run(replay(windows({"Zoom": {"DisplayName": "Zoom",
                                                    "DisplayVersion": "6.0"}}),
                                  Platform.WINDOWS))
    assert result.status is Status.WARN
    assert "No web browser" in result.summary.msgid
    errors = dict.fromkeys(windows({}), ("denied", "not allowed"))
    result = Browser().run(replay({}, Platform.WINDOWS, errors=errors))
    assert result.status is Status.ERROR


# -- macOS ----------------------------------------------------------------------------------------

def test_macos_old_safari_and_chrome_warn_with_software_update(
        replay: Callable[..., Context]) -> None:
    apps = load(FIXTURES / "macos" / "software" / "applications.json")
    result = Browser().run(replay({"apps:/Applications": apps, "apps:~/Applications": None},
                                  Platform.MACOS))
    assert result.status is Status.WARN
    assert summary_browsers(result.summary.args["browsers"]) == [
        ("Google Chrome", "121.0.6167.160", "154"), ("Safari", "17.3", "26")]
    assert any("Software Update" in f.msgid for f in result.fix)


# -- Linux ----------------------------------------------------------------------------------------

def test_this_debian_machines_real_dpkg_list_passes(replay: Callable[..., Context]) -> None:
    dpkg = (FIXTURES / "linux" / "software" / "debian12-dpkg-query.txt").read_text("utf-8")
    result = Browser().run(linux(replay, dpkg))
    assert result.status is Status.PASS
    assert result.summary.args["browsers"] == ("Chromium 156.0.8078.79",)


@pytest.mark.parametrize(("snap_file", "status"), [
    ("ubuntu-snap-list-firefox128.txt", Status.WARN),
    ("ubuntu2404-snap-list-firefox149.txt", Status.PASS),
])
def test_ubuntu_firefox_snap_behind_the_transitional_deb(
        replay: Callable[..., Context], snap_file: str, status: Status) -> None:
    dpkg = "ii \tbash\t5.2.21-2ubuntu4\nii \tfirefox\t1:1snap1-0ubuntu5\n"
    snap = (LINUX / snap_file).read_text("utf-8")
    result = Browser().run(linux(replay, dpkg, snap=snap))
    assert result.status is status
    if status is Status.WARN:
        assert summary_browsers(result.summary.args["browsers"]) == [
            ("Mozilla Firefox", "128.0.2", "140")]
        assert result.fix[0].msgid.startswith("In a terminal run \"sudo snap refresh\"")


def test_only_the_transitional_deb_is_not_a_browser(replay: Callable[..., Context]) -> None:
    result = Browser().run(linux(replay, "ii \tfirefox\t1:1snap1-0ubuntu5\n"))
    assert result.status is Status.WARN
    assert "No web browser" in result.summary.msgid


@pytest.mark.parametrize(("dpkg", "minimum_met"), [
    ("ii \tfirefox-esr\t128.5.0esr-1~deb12u1\n", False),  # ESR 128 has ended
    ("ii \tfirefox-esr\t140.12.0esr-1~deb12u1\n", True),
    ("ii \tfirefox-esr\t153.7.0esr-1~deb12u1\n", True),
])
def test_debian_firefox_esr(replay: Callable[..., Context], dpkg: str,
                            minimum_met: bool) -> None:
    result = Browser().run(linux(replay, dpkg))
    assert result.status is (Status.PASS if minimum_met else Status.WARN)
    if not minimum_met:
        assert "sudo apt update" in result.fix[0].msgid


def test_flatpak_browser_is_found_by_its_application_id(
        replay: Callable[..., Context]) -> None:
    result = Browser().run(linux(replay, "ii \tbash\t5.2\n",
                                 flatpak="org.mozilla.firefox\t145.0.1\n"))
    assert result.status is Status.PASS
    assert result.summary.args["browsers"] == ("Mozilla Firefox 145.0.1",)


def test_the_linux_inventory_is_read_for_real_on_this_machine() -> None:
    # Debian's chromium package (installed by .ci/run) is the browser this test expects to find.
    if shutil.which("chromium") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed: .ci/run must install it")
        pytest.skip("needs Debian's chromium package (apt-get install chromium)")
    ctx = Context(System(LiveBackend()), policies.builtin())
    result = Browser().run(ctx)
    assert result.status in (Status.PASS, Status.WARN), result
    assert any(str(b).startswith("Chromium ") for b in result.evidence["browsers"])  # type: ignore[union-attr]


# -- bundles --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "status"), [
    ("browser-windows-old", Status.WARN),
    ("browser-windows11-ja-current", Status.PASS),
    ("browser-macos-current", Status.PASS),
    ("browser-linux-debian12", Status.PASS),
    ("browser-linux-ubuntu-snap128", Status.WARN),
])
def test_bundles_replay_to_known_verdicts(name: str, status: Status) -> None:
    read = bundles.read(FIXTURES / "bundles" / name)
    catalog = plugins.load().select(["software.browser"])
    (outcome,) = evaluate(catalog, policies.builtin(), read).run()
    assert outcome.result.status is status, outcome.result

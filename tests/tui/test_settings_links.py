"""The OS settings pages opened from a check's details, through one helper."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from precheck.system import Platform
from precheck.tui import settings_links
from precheck.tui.screens.detail import CheckDetail
from tests.tui.conftest import WINDOWS, Clock, app_for, replayed
from tests.tui.test_flow import SIZE, run_to_results, text_of, wait_for


def test_links_for_the_fixes_that_have_a_page() -> None:
    assert settings_links.link_for("device.camera", Platform.WINDOWS) == \
        "ms-settings:privacy-webcam"
    assert settings_links.link_for("os.patches", Platform.WINDOWS) == "ms-settings:windowsupdate"
    assert settings_links.link_for("device.microphone", Platform.MACOS).startswith(  # type: ignore[union-attr]
        "x-apple.systempreferences:")
    assert settings_links.link_for("device.camera", Platform.LINUX) is None


def test_only_known_links_are_opened_and_a_failure_is_said() -> None:
    opened: list[str] = []
    assert settings_links.open_setting("ms-settings:privacy-webcam", opened.append)
    assert opened == ["ms-settings:privacy-webcam"]
    assert not settings_links.open_setting("file:///etc/passwd", opened.append)
    assert opened == ["ms-settings:privacy-webcam"]

    def broken(uri: str) -> None:
        raise OSError(uri)

    assert not settings_links.open_setting("windowsdefender:", broken)
    if sys.platform.startswith("linux"):  # no scheme on Linux: the real launcher refuses
        assert not settings_links.open_setting("windowsdefender:")


@pytest.mark.asyncio
async def test_o_opens_the_setting_then_r_checks_again(clock: Clock, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[str] = []
    monkeypatch.setattr(settings_links, "_launch", opened.append)
    app = app_for(replayed(WINDOWS), clock, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await run_to_results(pilot)
        screen = app.screen
        view = screen.items["device.camera"].view  # type: ignore[attr-defined]
        app.push_screen(CheckDetail(view, None, "ms-settings:privacy-webcam"))
        await wait_for(pilot, lambda: isinstance(app.screen, CheckDetail))
        await pilot.press("o")
        await pilot.pause()
        assert opened == ["ms-settings:privacy-webcam"]
        assert "R キーでこの項目をもう一度チェック" in text_of(app, "#detail-evidence")

"""The app driven as a job seeker drives it (Textual's pilot): every screen and every action.

Checks replay diagnostic bundles; the words on screen are read back from the widgets, in Japanese
unless a test switches to English.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Button, Checkbox, Input, OptionList, Select, Static

from precheck.result import Status
from precheck.runner import Outcome
from precheck.tui.app import PrecheckApp
from precheck.tui.checkup import Checkup
from precheck.tui.messages import CheckFinished, ChecksFinished, CheckStarted, ToneFinished
from precheck.tui.screens.detail import CheckDetail
from precheck.tui.screens.help import HelpScreen
from precheck.tui.screens.results import ResultsScreen
from precheck.tui.screens.running import RunningScreen
from precheck.tui.screens.save import SaveScreen
from precheck.tui.screens.speaker import SpeakerQuestion
from precheck.tui.screens.welcome import WelcomeScreen
from precheck.tui.widgets.check_item import CheckItem
from precheck.tui.widgets.check_row import CheckRow
from tests.tui.conftest import (
    LINUX_FINE,
    WINDOWS,
    Clock,
    Waiting,
    app_for,
    replayed,
    with_waiting,
)

SIZE = (80, 24)


def text_of(app: PrecheckApp, selector: str) -> str:
    """What a Static on the current screen shows, as plain text on one wide line per line."""
    content = app.screen.query_one(selector, Static).content
    if isinstance(content, str):
        return content
    plain = getattr(content, "plain", None)
    if isinstance(plain, str):
        return plain
    console = Console(width=200, color_system=None, file=io.StringIO())
    with console.capture() as captured:
        console.print(content)
    return captured.get()


def unique(seen: list[object]) -> list[object]:
    """The messages seen, each once (the hook sees a message when posted and when handled)."""
    return list({id(m): m for m in seen}.values())


def said(app: PrecheckApp) -> str:
    """The results screen's line about what just happened (saved, not saved, not ready)."""
    return text_of(app, "#message").replace("\n", "")


async def through_device_steps(pilot, heard: bool = True) -> None:  # type: ignore[no-untyped-def]
    """Answer the running screen's steps: play the tone, say whether it was heard, record."""
    screen = pilot.app.screen
    assert isinstance(screen, RunningScreen)
    assert screen.step == "speaker"
    await pilot.press("enter")  # play the tone
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, SpeakerQuestion))
    await pilot.press("y" if heard else "n")
    await wait_for(pilot, lambda: getattr(pilot.app.screen, "step", None) == "recording")
    await pilot.pause()
    await pilot.click("#step-button")  # record and check


async def wait_for(pilot, condition, seconds: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    """Let the app work until ``condition()`` holds (workers post from their threads)."""
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    screen = pilot.app.screen
    raise AssertionError(f"the app never got there: it shows {type(screen).__name__}"
                         f" (step {getattr(screen, 'step', None)!r})")


async def started(pilot: Pilot[Any], app: PrecheckApp) -> RunningScreen:
    """Start the checks: the running screen, once it shows."""
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, RunningScreen))
    screen = app.screen
    assert isinstance(screen, RunningScreen)
    return screen


async def first_batch_done(pilot: Pilot[Any], app: PrecheckApp, seen: list[object]
                           ) -> tuple[RunningScreen, dict[str, CheckRow]]:
    """Start the checks and let the ones that need nobody finish (``seen``: the app's
    messages): the running screen and its rows by check id."""
    screen = await started(pilot, app)
    await wait_for(pilot, lambda: any(isinstance(m, ChecksFinished) and m.batch == "main"
                                      for m in seen))
    return screen, {row.meta.id: row for row in screen.query(CheckRow)}


@pytest.mark.asyncio
async def test_the_welcome_screen_says_what_is_checked_why_and_what_stays_private(
        clock: Clock, tmp_path: Path) -> None:
    app = app_for(replayed(WINDOWS), clock, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, WelcomeScreen)
        checked = text_of(app, "#checked")
        for words in ("ウイルス対策ソフト", "無料Wi-Fi", "サポート期間", "ファイアウォール",
                      "ファイル共有ソフト", "カメラ", "第5条第1項", "第5条第2項", "第5条第3項",
                      "第5条第4項", "第5条第5項"):
            assert words in checked, words
        recorded = text_of(app, "#recorded")
        assert "第7条" in text_of(app, "#recorded-title")
        assert "カメラの映像とマイクの音" in recorded
        assert "Wi-Fiの名前" in recorded
        assert app.screen.query_one("#start", Button).has_focus


@pytest.mark.asyncio
async def test_offices_come_from_the_local_profiles_without_a_gateway(
        clock: Clock, tmp_path: Path) -> None:
    checkup = replayed(WINDOWS)
    app = app_for(checkup, clock, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        select = app.screen.query_one("#office", Select)
        listed = select.query_one(OptionList)  # the list the Select drops down
        await wait_for(pilot, lambda: listed.option_count > 1)
        labels = [str(listed.get_option_at_index(i).prompt) for i in range(listed.option_count)]
        assert "ハローワーク滑川" in labels
        await pilot.press("shift+tab")  # from the start button back to the office list
        assert select.has_focus
        await pilot.press("enter", *["down"] * labels.index("ハローワーク滑川"), "enter")
        await pilot.pause()
        assert checkup.office is not None
        assert checkup.office.id == "namerikawa"
        assert checkup.office.source == "local"


@pytest.mark.asyncio
async def test_a_run_shows_each_check_start_and_finish_then_the_results(
        clock: Clock, tmp_path: Path) -> None:
    seen: list[object] = []
    checkup = replayed(WINDOWS)
    app = app_for(checkup, clock, tmp_path)
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        # the checks that need nobody run at once; the device checks wait for the steps
        _screen, rows = await first_batch_done(pilot, app, seen)
        assert rows["device.camera"].state == "waiting"
        assert rows["security.firewall"].state in {"pass", "warn", "fail", "error", "skip"}
        await through_device_steps(pilot)
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen))
    started = {m.check_id for m in seen if isinstance(m, CheckStarted)}
    finished = {m.outcome.meta.id for m in seen if isinstance(m, CheckFinished)}
    assert finished == set(checkup.catalog.ids)
    assert started == set(checkup.catalog.ids)
    assert any(isinstance(m, ToneFinished) and m.played for m in seen)
    assert {o.meta.id for o in checkup.outcomes()} == set(checkup.catalog.ids)


@pytest.mark.asyncio
async def test_a_running_check_shows_its_time_so_far(
        clock: Clock, tmp_path: Path, waiting: type[Waiting]) -> None:
    app = app_for(with_waiting(replayed(("firewall-windows11-ja",))), clock, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await wait_for(pilot, waiting.started.is_set)
        await wait_for(pilot, lambda: app.screen.query_one(CheckRow).state != "waiting")
        clock.now += 3.2
        await pilot.pause(0.3)
        row = next(r for r in app.screen.query(CheckRow) if r.meta.id == "test.waiting")
        assert row.state == "running"
        text = str(row.render())
        assert "実行中" in text
        assert "3.2秒" in text
        waiting.release.set()
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen))


@pytest.mark.asyncio
async def test_cancel_stops_the_run_and_goes_back_without_a_report(
        clock: Clock, tmp_path: Path, waiting: type[Waiting]) -> None:
    checkup = with_waiting(replayed(("firewall-windows11-ja",)))
    app = app_for(checkup, clock, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await wait_for(pilot, waiting.started.is_set)
        workers = [w for w in app.workers if w.group == "checks"]
        assert workers
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, WelcomeScreen))
        assert all(w.is_cancelled for w in workers)
        assert not checkup.has_results  # a half-finished run never becomes a report


@pytest.mark.asyncio
async def test_quitting_in_the_middle_of_a_run_returns_at_once(
        clock: Clock, tmp_path: Path, waiting: type[Waiting]) -> None:
    import time

    app = app_for(with_waiting(replayed(("firewall-windows11-ja",))), clock, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await wait_for(pilot, waiting.started.is_set)
        started = time.monotonic()
        await pilot.press("ctrl+q")
    # the check still waits (its thread is a daemon), yet the app did not wait for it
    assert time.monotonic() - started < 2.0
    assert not waiting.release.is_set()


@pytest.mark.asyncio
async def test_results_put_what_blocks_booking_first_with_how_to_fix_it(
        clock: Clock, tmp_path: Path) -> None:
    checkup = replayed(WINDOWS)
    app = app_for(checkup, clock, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await run_to_results(pilot)
        screen = app.screen
        assert isinstance(screen, ResultsScreen)
        assert "予約できません" in text_of(app, "#verdict")
        blocking = [i.view.id for i in screen.query("#blocking CheckItem").results(CheckItem)]
        assert blocking[0] == "device.camera"
        camera = screen.items["device.camera"]
        assert camera.view.fix  # the camera's fix steps, shown under it
        assert "プライバシー" in camera.view.summary
        others = [i.view for i in screen.query("#others CheckItem").results(CheckItem)]
        assert all(not v.blocks for v in others)
        assert camera.has_focus  # the first thing to fix is where the cursor is


@pytest.mark.asyncio
async def test_declarations_go_into_the_report_and_decide_the_verdict(
        clock: Clock, tmp_path: Path) -> None:
    checkup = replayed(LINUX_FINE)
    app = app_for(checkup, clock, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await run_to_results(pilot)
        screen = app.screen
        assert isinstance(screen, ResultsScreen)
        assert screen.document is not None
        # every device works, but nothing is declared yet: not ready
        assert screen.document["verdict"] == "fail"
        assert "予約できません" in text_of(app, "#verdict")
        for box in screen.query(Checkbox):
            await pilot.click(f"#{box.id}")
        await pilot.pause()
        assert screen.document["verdict"] == "pass"
        assert "予約できます" in text_of(app, "#verdict")
    entries = {c["id"]: c for c in screen.document["checks"]}
    room = entries["declaration.private_room"]
    assert (room["article"], room["status"], room["required"]) == ("12(3)", "pass", True)
    assert room["evidence"] == {"declared": True, "measured": False}
    assert "個室" in room["summary"]["text"]["ja"]
    assert entries["declaration.no_recording"]["article"] == "12(2)"


@pytest.mark.asyncio
async def test_selecting_a_check_shows_its_evidence_and_can_check_it_again(
        clock: Clock, tmp_path: Path) -> None:
    seen: list[object] = []
    checkup = replayed(WINDOWS)
    app = app_for(checkup, clock, tmp_path)
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        await run_to_results(pilot)
        await pilot.press("enter")  # the focused item: the camera
        await wait_for(pilot, lambda: isinstance(app.screen, CheckDetail))
        evidence = text_of(app, "#detail-evidence")
        assert "consent" in evidence
        assert "false" in evidence
        before = app.screen_stack[-2]
        seen.clear()
        await pilot.press("r")  # check this one again: no tone, no recording needed for it
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen)
                       and app.screen is not before)
    assert [m.check_id for m in unique(seen) if isinstance(m, CheckStarted)] == [
        "device.camera"]
    assert [m.outcome.meta.id for m in unique(seen) if isinstance(m, CheckFinished)] == [
        "device.camera"]
    assert {o.meta.id for o in checkup.outcomes()} == set(checkup.catalog.ids)


@pytest.mark.asyncio
async def test_check_again_runs_every_check(clock: Clock, tmp_path: Path) -> None:
    checkup = replayed(WINDOWS)
    app = app_for(checkup, clock, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await run_to_results(pilot)
        await pilot.click("#rerun")
        await wait_for(pilot, lambda: isinstance(app.screen, RunningScreen))
        assert len(app.screen.query(CheckRow)) == len(checkup.catalog.ids)
        await through_device_steps(pilot, heard=False)
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen))


@pytest.mark.asyncio
async def test_saving_the_report_writes_a_signed_report_with_the_declarations(
        clock: Clock, tmp_path: Path) -> None:
    from precheck.reports.signing import verify

    checkup = replayed(LINUX_FINE)
    app = app_for(checkup, clock, tmp_path)
    target = tmp_path / "mine.json"
    async with app.run_test(size=SIZE) as pilot:
        await run_to_results(pilot)
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, SaveScreen))
        path = app.screen.query_one("#path", Input)
        assert path.value.startswith(str(tmp_path))  # the suggested place
        path.value = str(target)
        await pilot.press("enter")
        await wait_for(pilot, lambda: bool(said(app)))
        assert said(app) == f"署名付きレポートを {target} に保存しました"
    document = json.loads(target.read_text(encoding="utf-8"))
    verified = verify(document)
    assert verified.report.source.kind == "bundle"
    ids = [c["id"] for c in document["checks"]]
    assert ids[-2:] == ["declaration.private_room", "declaration.no_recording"]


@pytest.mark.asyncio
async def test_saving_into_a_missing_folder_says_so_and_keeps_the_dialog_open(
        clock: Clock, tmp_path: Path) -> None:
    app = app_for(replayed(LINUX_FINE), clock, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await run_to_results(pilot)
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, SaveScreen))
        app.screen.query_one("#path", Input).value = str(tmp_path / "nowhere" / "r.json")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SaveScreen)
        assert "nowhere" in text_of(app, "#save-problem")
        assert "ありません" in text_of(app, "#save-problem")
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen))


@pytest.mark.asyncio
async def test_a_live_run_is_saved_as_a_diagnostic_bundle_that_replays(
        clock: Clock, tmp_path: Path) -> None:
    from precheck import bundle as bundles
    from precheck import plugins
    from precheck import policy as policies

    checkup = Checkup(plugins.load().select(["system.resources", "software.file_sharing"]),
                      policies.builtin())
    app = app_for(checkup, clock, tmp_path)
    target = tmp_path / "for-staff.zip"
    async with app.run_test(size=SIZE) as pilot:
        await run_to_results(pilot)
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, SaveScreen))
        app.screen.query_one("#path", Input).value = str(target)
        await pilot.click("#save")
        await wait_for(pilot, lambda: bool(said(app)))
        assert said(app).startswith(f"診断ファイルを {target} に保存しました")
    replay = bundles.read(target)
    assert set(replay.checks) == {"system.resources", "software.file_sharing"}
    assert any(name.startswith("psutil:") for name in replay.records)


@pytest.mark.asyncio
async def test_esc_on_the_results_asks_then_goes_back_to_the_welcome_screen(
        clock: Clock, tmp_path: Path) -> None:
    from precheck.tui.screens.confirm import Confirm

    checkup = replayed(LINUX_FINE)
    app = app_for(checkup, clock, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await run_to_results(pilot)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, Confirm))
        assert "最初の画面に戻りますか" in text_of(app, "#question")
        await pilot.press("escape")  # Esc again (or N, or Enter on No): stay
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen))
        await pilot.press("escape", "y")
        await wait_for(pilot, lambda: isinstance(app.screen, WelcomeScreen))
        assert checkup.has_results


@pytest.mark.asyncio
async def test_a_replayed_run_cannot_be_saved_as_a_bundle_and_says_why(
        clock: Clock, tmp_path: Path) -> None:
    app = app_for(replayed(LINUX_FINE), clock, tmp_path)
    target = tmp_path / "b.zip"
    async with app.run_test(size=SIZE) as pilot:
        await run_to_results(pilot)
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, SaveScreen))
        assert "職員" in text_of(app, "#save-text")
        app.screen.query_one("#path", Input).value = str(target)
        await pilot.press("enter")
        await wait_for(pilot, lambda: bool(said(app)))
        assert "このパソコンそのもの" in said(app)
        assert app.screen.query_one("#message").has_class("problem")
    assert not target.exists()


@pytest.mark.asyncio
async def test_english_at_any_time_and_back(clock: Clock, tmp_path: Path) -> None:
    app = app_for(replayed(WINDOWS), clock, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("f2")
        assert app.language == "en"
        assert "Article 5(4)" in text_of(app, "#checked")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunningScreen))
        await wait_for(pilot, lambda: "Play tone" in str(
            app.screen.query_one("#step-button", Button).label))
        await pilot.press("l")
        assert app.language == "ja"
        assert str(app.screen.query_one("#step-button", Button).label) == "音を鳴らす"


@pytest.mark.asyncio
async def test_typing_l_in_a_field_types_it(clock: Clock, tmp_path: Path) -> None:
    app = app_for(replayed(LINUX_FINE), clock, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await run_to_results(pilot)
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, SaveScreen))
        field = app.screen.query_one("#path", Input)
        field.value = ""
        await pilot.press("l", "a")
        assert field.value == "la"
        assert app.language == "ja"
        await pilot.press("f2")  # F2 still switches
        assert app.language == "en"


@pytest.mark.asyncio
async def test_help_lists_the_keys_and_opens_by_key_or_click(clock: Clock, tmp_path: Path) -> None:
    app = app_for(replayed(WINDOWS), clock, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        keys = text_of(app, "#help-keys")
        for key in ("F1", "F2", "Esc", "Ctrl+Q", "Tab"):
            assert key in keys
        assert "日本語と英語" in keys
        await pilot.press("escape")
        assert isinstance(app.screen, WelcomeScreen)
        hint = next(h for h in app.screen.query("KeyHint") if h.hint.key == "F1")  # type: ignore[attr-defined]
        await pilot.click(hint)
        assert isinstance(app.screen, HelpScreen)
        await pilot.click("#close")
        assert isinstance(app.screen, WelcomeScreen)


@pytest.mark.asyncio
async def test_a_click_on_a_result_opens_it(clock: Clock, tmp_path: Path) -> None:
    app = app_for(replayed(WINDOWS), clock, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await run_to_results(pilot)
        screen = app.screen
        assert isinstance(screen, ResultsScreen)
        await pilot.click(screen.items["device.camera"])
        await wait_for(pilot, lambda: isinstance(app.screen, CheckDetail))
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen))


@pytest.mark.asyncio
async def test_not_hearing_the_tone_is_what_the_speaker_check_reads(
        clock: Clock, tmp_path: Path) -> None:
    """A replayed bundle keeps its recorded answer; the question is still asked and answered."""
    checkup = replayed(LINUX_FINE)
    app = app_for(checkup, clock, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunningScreen))
        await through_device_steps(pilot, heard=False)
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen))
    speaker: Outcome = next(o for o in checkup.outcomes() if o.meta.id == "device.speaker")
    assert speaker.result.status is Status.PASS  # the bundle's own recorded "heard"


async def run_to_results(pilot) -> None:  # type: ignore[no-untyped-def]
    """From the welcome screen through a whole run to the results."""
    app = pilot.app
    await pilot.press("enter")
    # a run of quick checks without devices may already be over
    # the running screen is the app's screen before its on_mount has listed the checks and steps
    await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen) or (
        isinstance(app.screen, RunningScreen) and bool(app.screen.rows)))
    screen = app.screen
    if isinstance(screen, RunningScreen) and (screen.steps or screen.step):
        await through_device_steps(pilot)
    await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen))
    await pilot.pause()


@pytest.mark.asyncio
async def test_with_no_check_installed_the_run_ends_at_once_with_the_declarations(
        clock: Clock, tmp_path: Path) -> None:
    from precheck import policy as policies
    from precheck.plugins import Catalog

    checkup = Checkup(Catalog((), ()), policies.builtin())
    app = app_for(checkup, clock, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen))
        screen = app.screen
        assert isinstance(screen, ResultsScreen)
        assert screen.document is not None
        assert [c["id"] for c in screen.document["checks"]] == [
            "declaration.private_room", "declaration.no_recording"]

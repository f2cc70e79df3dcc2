"""The office dropdown shows full-width names whole: 「ワークプラザ天文館」 was drawn 「天　館」
where the button beneath it began (Textual cuts screen lines at the edges of widgets beneath)."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from precheck.tui.widgets.office_select import OfficeSelect
from tests.tui.conftest import LINUX_FINE, Clock, app_for, replayed
from tests.tui.test_flow import wait_for


@pytest.mark.asyncio
@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
async def test_the_open_office_list_draws_tenmonkan_whole(
        size: tuple[int, int], clock: Clock, tmp_path: Path) -> None:
    app = app_for(replayed(LINUX_FINE), clock, tmp_path)
    async with app.run_test(size=size) as pilot:
        select = app.screen.query_one("#office", OfficeSelect)
        await wait_for(pilot, lambda: len(select._options) > 1, seconds=30)  # from a worker

        def drawn() -> list[str]:
            return [strip.text for strip in app.screen._compositor.render_strips()]

        select.focus()
        await wait_for(pilot, lambda: select.has_focus)
        await pilot.press("enter")
        with contextlib.suppress(AssertionError):  # a loaded machine draws late: wait, then judge
            await wait_for(pilot, lambda: any("天文館" in line for line in drawn()), seconds=10)
        lines = drawn()
        assert any("ワークプラザ天文館" in line for line in lines), "\n".join(lines)
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert app.screen.query_one("#welcome-actions").display  # back once the list closes

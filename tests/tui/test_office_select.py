"""The office dropdown shows full-width names whole: 「ワークプラザ天文館」 was drawn 「天　館」
where the button beneath it began (Textual cuts screen lines at the edges of widgets beneath)."""

from __future__ import annotations

from pathlib import Path

import pytest

from precheck.tui.widgets.office_select import OfficeSelect
from tests.tui.conftest import LINUX_FINE, Clock, app_for, replayed


@pytest.mark.asyncio
@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
async def test_the_open_office_list_draws_tenmonkan_whole(
        size: tuple[int, int], clock: Clock, tmp_path: Path) -> None:
    app = app_for(replayed(LINUX_FINE), clock, tmp_path)
    async with app.run_test(size=size) as pilot:
        select = app.screen.query_one("#office", OfficeSelect)
        for _ in range(100):
            if len(select._options) > 1:  # the list arrives from a worker
                break
            await pilot.pause(0.05)
        select.focus()
        await pilot.press("enter")
        await pilot.pause(0.3)
        lines = [strip.text for strip in app.screen._compositor.render_strips()]
        assert any("ワークプラザ天文館" in line for line in lines), "\n".join(lines)
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert app.screen.query_one("#welcome-actions").display  # back once the list closes

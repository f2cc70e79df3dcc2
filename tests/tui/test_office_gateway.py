"""Choosing the office on the welcome screen sets the gateway, and the choice is remembered.

The shipped office profiles are replaced by a copy in which Work Plaza Tenmonkan carries the
address of a stand-in gateway on this machine (tests/tui/gateway_stand) and the other offices
carry none; the settings file lives in the test's PRECHECK_HOME.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from textual.widgets import Select

from precheck import offices as profiles
from precheck import userconfig
from precheck.tui.app import PrecheckApp
from precheck.tui.office_gateway import OfficeGateway
from precheck.tui.screens.welcome import WelcomeScreen
from tests.tui import gateway_stand
from tests.tui.conftest import LINUX_FINE, Clock, app_for, replayed
from tests.tui.gateway_stand import Stand
from tests.tui.test_flow import wait_for

stand = gateway_stand.stand

SIZE = (80, 24)


@pytest.fixture
def tenmonkan_gateway(stand: Stand, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The shipped profiles, Tenmonkan's with the stand's address; that address."""
    text = profiles.DEFAULT_PATH.read_text("utf-8")
    text, found = re.subn(r'^id = "tenmonkan"$', f'id = "tenmonkan"\ngateway_url = "{stand.url}"',
                          text, flags=re.MULTILINE)
    assert found == 1
    path = tmp_path / "offices.toml"
    path.write_text(text, "utf-8")
    monkeypatch.setattr(profiles, "_shipped", lambda: profiles._load(path))
    stand.json("GET", "/api/v1/offices", 200, [])
    return stand.url.rstrip("/")


def environ(**more: str) -> dict[str, str]:
    return {"PRECHECK_HOME": os.environ["PRECHECK_HOME"], **more}  # the test's own (conftest)


def offered(app: PrecheckApp) -> int:
    """How many offices the welcome screen lists (0 while they load)."""
    screen = app.screen
    if not isinstance(screen, WelcomeScreen) or screen._offices is None:
        return 0
    return len(screen._offices.offices)


async def choose(pilot, office_id: str) -> None:  # type: ignore[no-untyped-def]
    select = pilot.app.screen.query_one("#office", Select)
    select.value = office_id  # what picking it from the list does
    await pilot.pause()


@pytest.mark.asyncio
async def test_the_chosen_offices_gateway_is_used_and_remembered(
        tenmonkan_gateway: str, tmp_path: Path) -> None:
    env = environ()
    rule, gateway = OfficeGateway.start(env)
    assert gateway is None
    assert not rule.fixed
    assert rule.remembered is None
    app = app_for(replayed(LINUX_FINE), Clock(), tmp_path, office_gateway=rule)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: offered(app) == 5)
        await choose(pilot, "tenmonkan")
        assert app.checkup.office is not None
        assert app.checkup.office.id == "tenmonkan"
        assert app.gateway is not None
        assert app.gateway.base_url == tenmonkan_gateway
        assert app.checkup.gateway_url == tenmonkan_gateway  # the connection test's target
        assert app.gateway.offices() == []  # it is the stand that answers
        assert userconfig.load(env).office == "tenmonkan"
        await choose(pilot, "namerikawa")  # an office with no gateway: none
        assert app.gateway is None
        # mypy narrowed app.gateway to a client above; choose() has changed it since
        assert app.checkup.gateway_url is None  # type: ignore[unreachable]
        assert userconfig.load(env).office == "namerikawa"
        await choose(pilot, "tenmonkan")

    # The next start: the gateway of the remembered office, the office preselected, and the
    # welcome screen still offers every shipped office (not only the gateway's).
    rule, gateway = OfficeGateway.start(env)
    assert gateway is not None
    assert gateway.base_url == tenmonkan_gateway
    assert rule.remembered == "tenmonkan"
    assert userconfig.resolve_gateway(None, env).source == "office"
    app = app_for(replayed(LINUX_FINE), Clock(), tmp_path, office_gateway=rule, gateway=gateway)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.checkup.office is not None)
        assert app.checkup.office is not None
        assert app.checkup.office.id == "tenmonkan"
        assert app.screen.query_one("#office", Select).value == "tenmonkan"
        assert offered(app) == 5


@pytest.mark.asyncio
async def test_the_environment_variable_fixes_the_gateway_whatever_the_office(
        tenmonkan_gateway: str, tmp_path: Path, stand: Stand) -> None:
    stand.json("GET", "/api/v1/offices", 200, [
        {"id": "namerikawa", "name_ja": "ハローワーク滑川", "name_en": "Hello Work Namerikawa",
         "kind": 3, "phone": None, "required_fields": ["name", "start", "email"],
         "optional_fields": [], "slot_minutes": 30, "video_app": "",
         "confirmation_minutes": None}])
    fixed = "http://127.0.0.1:9/elsewhere"
    env = environ(PRECHECK_GATEWAY_URL=stand.url)
    userconfig.save(userconfig.UserConfig(office="tenmonkan", gateway_url=fixed), env)
    rule, gateway = OfficeGateway.start(env)
    assert rule.fixed
    assert gateway is not None
    assert gateway.base_url == stand.url.rstrip("/")
    app = app_for(replayed(LINUX_FINE), Clock(), tmp_path, office_gateway=rule, gateway=gateway)
    async with app.run_test(size=SIZE) as pilot:
        # A fixed gateway: the welcome screen lists that gateway's offices.
        await wait_for(pilot, lambda: app.checkup.office is not None)
        assert app.checkup.office is not None
        assert app.checkup.office.source == "gateway"
        assert app.gateway is gateway
    # Without the variable, the settings file's gateway_url comes before the office's.
    found = userconfig.resolve_gateway(None, environ())
    assert (found.url, found.source) == (fixed, "config")
    assert userconfig.resolve_gateway("https://given.example", env).source == "option"

"""The job seeker's settings file and ``precheck config``: the office, and so the gateway."""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
from pathlib import Path

import pytest

from precheck import offices as profiles
from precheck import userconfig
from precheck.cli import run_cli
from precheck.offices import OfficeConfigError, load_offices
from precheck.status import Environment, ExitStatus
from precheck.userconfig import ConfigError, UserConfig

NAMERIKAWA_GATEWAY = "https://gateway.namerikawa.example/base"  # INVENTED address


def cli(*argv: str, **environ: str) -> tuple[ExitStatus, str, str]:
    out, err = io.StringIO(), io.StringIO()
    env = {"PRECHECK_HOME": os.environ["PRECHECK_HOME"], **environ}
    status = run_cli(list(argv), Environment(out, err, env))
    return status, out.getvalue(), err.getvalue()


@pytest.fixture
def namerikawa_has_a_gateway(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The shipped profiles with Namerikawa's gateway_url set (as an operator's build would)."""
    text = profiles.DEFAULT_PATH.read_text("utf-8")
    text, found = re.subn(r'^id = "namerikawa"$',
                          f'id = "namerikawa"\ngateway_url = "{NAMERIKAWA_GATEWAY}/"', text,
                          flags=re.MULTILINE)
    assert found == 1
    path = tmp_path / "offices.toml"
    path.write_text(text, "utf-8")
    monkeypatch.setattr(profiles, "_shipped", lambda: profiles._load(path))
    return NAMERIKAWA_GATEWAY


def test_no_file_is_no_settings_and_a_saved_file_reads_back() -> None:
    assert userconfig.load() == UserConfig()
    path = userconfig.save(UserConfig(office="tenmonkan", gateway_url='https://a.example/"x"'))
    assert path == Path(os.environ["PRECHECK_HOME"]) / "config.toml"
    assert userconfig.load() == UserConfig("tenmonkan", 'https://a.example/"x"')


def test_the_settings_file_is_in_the_users_config_folder_without_precheck_home(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "山田 太郎"
    monkeypatch.delenv("PRECHECK_HOME")
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.setenv("HOME", str(home))
    path = userconfig.save(UserConfig(office="kagoshima"))
    assert path == home / ".config" / "precheck" / "config.toml"
    assert userconfig.load().office == "kagoshima"


def test_a_broken_file_is_a_clear_error_for_the_command_and_ignored_by_the_app() -> None:
    path = userconfig.config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("office = [1, 2\n", "utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        userconfig.load()
    assert userconfig.load_quietly() == UserConfig()
    path.write_text("office = 3\n", "utf-8")
    with pytest.raises(ConfigError, match="office must be text"):
        userconfig.load()
    status, out, err = cli("config")
    assert status is ExitStatus.USAGE
    assert "office must be text" in err
    assert "Traceback" not in out + err


def test_the_gateway_comes_from_the_option_the_variable_the_file_then_the_office(
        namerikawa_has_a_gateway: str) -> None:
    assert load_offices()["namerikawa"].gateway_url == namerikawa_has_a_gateway
    assert userconfig.resolve_gateway(None, {}).source == "none"
    config = UserConfig(office="namerikawa")
    assert userconfig.resolve_gateway(None, {}, config) == userconfig.Gateway(
        namerikawa_has_a_gateway, "office")
    config = UserConfig(office="namerikawa", gateway_url="https://own.example")
    assert userconfig.resolve_gateway(None, {}, config).source == "config"
    env = {"PRECHECK_GATEWAY_URL": "https://env.example"}
    assert userconfig.resolve_gateway(None, env, config).url == "https://env.example"
    assert userconfig.resolve_gateway("https://opt.example", env, config).source == "option"
    assert userconfig.resolve_gateway(None, {}, UserConfig(office="tenmonkan")).url is None


def test_precheck_config_shows_sets_and_unsets(namerikawa_has_a_gateway: str) -> None:
    status, out, err = cli("--lang", "en", "config")
    assert status is ExitStatus.OK, err
    assert "Office: not chosen" in out
    assert "Booking gateway: none" in out
    assert f"namerikawa  Hello Work Namerikawa  ({namerikawa_has_a_gateway})" in out

    status, out, err = cli("config", "set", "office", "namerikawa")
    assert status is ExitStatus.OK, err
    assert "相談するハローワーク：namerikawa (ハローワーク滑川)" in out
    gateway = namerikawa_has_a_gateway
    assert f"予約ゲートウェイ：{gateway}（選んだハローワークのゲートウェイ）" in out
    assert userconfig.load().office == "namerikawa"

    status, out, err = cli("--lang", "en", "config", "set", "gateway", "https://own.example/")
    assert status is ExitStatus.OK, err
    assert "Booking gateway: https://own.example (from the settings file)" in out
    status, out, _ = cli("--lang", "en", "config", "unset", "gateway")
    assert f"Booking gateway: {namerikawa_has_a_gateway} (the chosen office's gateway)" in out
    status, out, _ = cli("--lang", "en", "config", PRECHECK_GATEWAY_URL="http://x.test")
    assert "Booking gateway: http://x.test (from the environment variable" in out


def test_precheck_config_refuses_unknown_offices_and_bad_addresses() -> None:
    status, _out, err = cli("--lang", "en", "config", "set", "office", "osaka")
    assert status is ExitStatus.USAGE
    assert "no office has the id osaka; the offices are: kagoshima," in err
    status, _, err = cli("--lang", "en", "config", "set", "gateway", "gateway.example")
    assert status is ExitStatus.USAGE
    assert "must start with http:// or https://" in err
    status, _, err = cli("config", "set", "colour", "blue")
    assert status is ExitStatus.USAGE
    assert not userconfig.config_path().exists()


def test_precheck_run_measures_against_the_chosen_offices_gateway(
        namerikawa_has_a_gateway: str, tmp_path: Path) -> None:
    """The bundle records the gateway the network checks would measure against."""
    userconfig.save(UserConfig(office="namerikawa"))
    bundle = tmp_path / "bundle.zip"
    status, _, err = cli("collect", "--only", "power.battery", "-o", str(bundle))
    assert status is ExitStatus.OK, err
    with zipfile.ZipFile(bundle) as zipped:
        manifest = json.loads(zipped.read("manifest.json"))
        probe = next(p for p in manifest["probes"] if p["name"] == "config:gateway_url")
        assert zipped.read(probe["value_file"]).decode() == namerikawa_has_a_gateway


def test_an_office_profiles_gateway_url_must_be_a_web_address(tmp_path: Path) -> None:
    text = profiles.DEFAULT_PATH.read_text("utf-8").replace(
        'gateway_url = ""', 'gateway_url = "gateway.example/?x=1"')
    path = tmp_path / "offices.toml"
    path.write_text(text, "utf-8")
    with pytest.raises(OfficeConfigError, match="key 'gateway_url': expected the gateway's"):
        load_offices(path)

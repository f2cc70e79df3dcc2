"""Settings: defaults that need no set-up, the environment, and the command line on top."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from precheck.gateway.settings import RateLimit, SettingsError, from_env


def test_with_nothing_set_the_database_is_a_sqlite_file_in_the_data_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRECHECK_HOME", str(tmp_path))
    settings = from_env({})
    assert settings.database_url == f"sqlite:///{tmp_path / 'gateway.sqlite3'}"
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.base_url == "http://127.0.0.1:8000"


def test_the_environment_sets_and_the_command_line_wins() -> None:
    environ = {"PRECHECK_GATEWAY_DATABASE_URL": "postgresql+psycopg://gw@db/gw",
               "PRECHECK_GATEWAY_PORT": "9000",
               "PRECHECK_GATEWAY_BOOKING_LIMIT": "5/30",
               "PRECHECK_GATEWAY_REPORT_MAX_AGE": "600",
               "PRECHECK_GATEWAY_SMTP_STARTTLS": "yes",
               "PRECHECK_GATEWAY_ACCEPTED_POLICIES": "2026.11.2=sha256:" + "a" * 64,
               "PRECHECK_GATEWAY_REQUIRED_CHECKS": "security.firewall, os.support",
               "PRECHECK_GATEWAY_PUBLIC_URL": "https://hw.example.jp/"}
    settings = from_env(environ, port=8443, host=None)
    assert settings.database_url == "postgresql+psycopg://gw@db/gw"
    assert settings.port == 8443  # the option beats the variable
    assert settings.host == "127.0.0.1"  # an option not given leaves the default
    assert settings.booking_limit == RateLimit(5, timedelta(seconds=30))
    assert settings.report_max_age == timedelta(minutes=10)
    assert settings.smtp_starttls is True
    assert dict(settings.accepted_policies) == {"2026.11.2": "sha256:" + "a" * 64}
    assert settings.required_checks == ("security.firewall", "os.support")
    assert settings.base_url == "https://hw.example.jp"


@pytest.mark.parametrize(("name", "value", "wanted"), [
    ("PORT", "eighty", "a whole number"),
    ("WORKERS", "maybe", "true or false"),
    ("CHALLENGE_LIMIT", "10", "HITS/SECONDS"),
    ("ACCEPTED_POLICIES", "2026.11.2", "VERSION=sha256:DIGEST"),
    ("SWEEP_INTERVAL", "soon", "a number of seconds"),
])
def test_a_malformed_value_names_the_variable_and_what_it_wants(
        name: str, value: str, wanted: str) -> None:
    with pytest.raises(SettingsError) as error:
        from_env({f"PRECHECK_GATEWAY_{name}": value, "PRECHECK_GATEWAY_DATABASE_URL": "x"})
    assert f"PRECHECK_GATEWAY_{name}={value!r}" in str(error.value)
    assert wanted in str(error.value)

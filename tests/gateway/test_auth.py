"""Staff users: argon2id hashes, logins that do not reveal which names exist, sessions kept in
the database, and the operator's commands that make and change them."""

from __future__ import annotations

import io
import sys
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from precheck.cli import run_cli
from precheck.gateway import auth
from precheck.gateway.db import make_engine, session_factory
from precheck.gateway.models import StaffUser
from precheck.status import Environment, ExitStatus
from tests.gateway.conftest import MONDAY

PASSWORD = "correct horse battery staple"


def test_a_staff_user_gets_an_argon2id_hash(session: Any) -> None:
    account = auth.create_staff(session, "sato", PASSWORD, MONDAY)
    stored = session.execute(select(StaffUser.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert account.username == "sato"


def test_names_are_unique_and_passwords_long_enough(session: Any) -> None:
    auth.create_staff(session, "sato", PASSWORD, MONDAY)
    with pytest.raises(auth.StaffError, match="already"):
        auth.create_staff(session, "sato", PASSWORD, MONDAY)
    with pytest.raises(auth.StaffError, match="at least 12"):
        auth.create_staff(session, "suzuki", "short", MONDAY)
    with pytest.raises(auth.StaffError, match="not allowed"):
        auth.create_staff(session, "Suzuki Ichiro", PASSWORD, MONDAY)


def test_login_with_the_right_password_only(session: Any) -> None:
    auth.create_staff(session, "sato", PASSWORD, MONDAY)
    assert auth.authenticate(session, "sato", PASSWORD, MONDAY) is not None
    assert auth.authenticate(session, "sato", PASSWORD + "!", MONDAY) is None
    assert auth.authenticate(session, "nobody", PASSWORD, MONDAY) is None
    row = session.execute(select(StaffUser)).scalar_one()
    assert row.last_login_at == MONDAY


def test_a_disabled_user_cannot_log_in_and_loses_their_sessions(session: Any) -> None:
    account = auth.create_staff(session, "sato", PASSWORD, MONDAY)
    token = auth.start_session(session, account, MONDAY, timedelta(hours=8))
    auth.set_disabled(session, "sato", MONDAY, disabled=True)
    assert auth.authenticate(session, "sato", PASSWORD, MONDAY) is None
    assert auth.session_staff(session, token, MONDAY) is None
    auth.set_disabled(session, "sato", MONDAY, disabled=False)
    assert auth.authenticate(session, "sato", PASSWORD, MONDAY) is not None


def test_sessions_work_until_they_expire_or_end(session: Any) -> None:
    account = auth.create_staff(session, "sato", PASSWORD, MONDAY)
    token = auth.start_session(session, account, MONDAY, timedelta(hours=8))
    assert len(token) >= 43
    assert auth.session_staff(session, token, MONDAY + timedelta(hours=7)) == account
    assert auth.session_staff(session, token, MONDAY + timedelta(hours=8)) is None
    assert auth.session_staff(session, "forged", MONDAY) is None
    assert auth.session_staff(session, None, MONDAY) is None
    auth.end_session(session, token, MONDAY)
    assert auth.session_staff(session, token, MONDAY + timedelta(hours=1)) is None


def test_a_new_password_ends_the_old_sessions(session: Any) -> None:
    account = auth.create_staff(session, "sato", PASSWORD, MONDAY)
    token = auth.start_session(session, account, MONDAY, timedelta(hours=8))
    auth.set_password(session, "sato", "another long password", MONDAY)
    assert auth.session_staff(session, token, MONDAY) is None
    assert auth.authenticate(session, "sato", "another long password", MONDAY) is not None
    assert auth.authenticate(session, "sato", PASSWORD, MONDAY) is None


def gateway_cli(argv: list[str], stdin: str = "", environ: dict[str, str] | None = None
                ) -> tuple[ExitStatus, str, str]:
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        status = run_cli(["gateway", *argv],
                         Environment(stdout=out, stderr=err, environ=environ or {}))
    finally:
        sys.stdin = saved
    return status, out.getvalue(), err.getvalue()


def test_create_staff_from_the_command_line(database_url: str) -> None:
    status, out, _ = gateway_cli(["create-staff", "tanaka", "--password-stdin",
                                  "--database-url", database_url], PASSWORD + "\n")
    assert status == ExitStatus.OK
    assert "tanaka" in out
    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as session:
            assert auth.authenticate(session, "tanaka", PASSWORD, MONDAY) is not None
    finally:
        engine.dispose()
    again, _, err = gateway_cli(["create-staff", "tanaka", "--password-stdin",
                                 "--database-url", database_url], PASSWORD + "\n")
    assert again == ExitStatus.USAGE
    assert "already a staff user" in err
    short, _, err = gateway_cli(["create-staff", "kimura", "--password-stdin",
                                 "--database-url", database_url], "short\n")
    assert short == ExitStatus.USAGE
    assert "too short" in err

"""Migrations: the revisions build exactly the tables the models describe, on SQLite and
PostgreSQL, and several processes starting at once migrate once."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from precheck.gateway import models
from precheck.gateway.db import (
    Base,
    alembic_config,
    current_revision,
    head_revision,
    make_engine,
    migrate,
)


def test_the_migrations_build_what_the_models_describe(engine: Any) -> None:
    assert models.Booking.__table__ is Base.metadata.tables["bookings"]
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_the_live_slot_index_is_unique_and_partial(engine: Any) -> None:
    indexes = {i["name"]: i for i in inspect(engine).get_indexes("bookings")}
    live = indexes["uq_bookings_live_slot"]
    assert live["unique"]
    assert live["column_names"] == ["office_id", "slot_start"]
    where = " ".join(str(getattr(v, "text", v)) for v in live["dialect_options"].values())
    for status in models.LIVE:
        assert f"'{status}'" in where
    assert "'cancelled_by_user'" not in where


def test_migrating_again_changes_nothing_and_downgrade_undoes_it(engine: Any) -> None:
    migrate(engine)
    assert current_revision(engine) == head_revision()
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate(engine)
    assert "bookings" in inspect(engine).get_table_names()


def test_processes_starting_together_migrate_once(database_url: str) -> None:
    code = ("import sys; from precheck.gateway.db import make_engine, migrate; "
            "e = make_engine(sys.argv[1]); migrate(e); e.dispose()")
    processes = [subprocess.Popen([sys.executable, "-c", code, database_url],
                                  stderr=subprocess.PIPE) for _ in range(4)]
    errors = [process.communicate(timeout=120)[1].decode() for process in processes]
    assert [process.returncode for process in processes] == [0] * 4, errors
    engine = make_engine(database_url)
    try:
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()

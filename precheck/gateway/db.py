"""The database: declarative base, engines for SQLite and PostgreSQL, and migrate-on-start.

**SQLite** (the default) runs every transaction as ``BEGIN IMMEDIATE``: a writer takes the write
lock when it starts instead of upgrading a read lock half-way, which is what makes two processes
(or threads) that both read-then-write wait for each other instead of failing with "database is
locked". WAL mode lets readers go on meanwhile. **PostgreSQL** runs at READ COMMITTED; the
guarantees come from the unique index over live bookings and compare-and-swap updates
(:mod:`precheck.gateway.service`), which hold at that level across any number of processes.

Migrations are Alembic revisions in ``migrations/``, applied by :func:`migrate` with a
configuration built in code, so an operator needs no ``alembic.ini``.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Dialect, Engine, MetaData, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
#: PostgreSQL advisory lock key held while migrating, so processes starting together take turns.
_MIGRATION_LOCK = 0x70726563  # "prec"

#: The in-process writer lock of a SQLite engine (see _sqlite_transactions).
_HOLDS_WRITER = "precheck_holds_writer"
_WRITER_WAIT_S = 30.0

#: Constraint names fixed by convention, so migrations and error handling can name them.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """The base of every gateway table (:mod:`precheck.gateway.models`)."""

    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime stored in UTC; naive datetimes are refused, never guessed.

    SQLite has no time zone type, so it stores naive UTC (text that sorts in time order);
    PostgreSQL stores ``timestamptz``. Either way Python gets an aware UTC datetime back.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            msg = f"refusing to store the naive datetime {value!r}: pass an aware one"
            raise ValueError(msg)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def make_engine(url: str, **options: Any) -> Engine:
    """An engine for ``url`` (``sqlite:///PATH`` or ``postgresql+psycopg://...``).

    A SQLite file's folder is created (0700) when missing.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        options.setdefault("connect_args", {}).setdefault("timeout", 30)
        options.setdefault("hide_parameters", True)  # no personal data in logs or errors
        engine = create_engine(parsed, **options)
        _sqlite_transactions(engine)
        return engine
    options.setdefault("pool_pre_ping", True)
    options.setdefault("hide_parameters", True)  # no personal data in logs or errors
    return create_engine(parsed, **options)


def answers(url: str, timeout_s: int = 3) -> bool:
    """Whether the database at ``url`` answers a query within about ``timeout_s`` seconds (the
    tests and benchmarks ask before they use the machine's PostgreSQL)."""
    from sqlalchemy.exc import OperationalError

    engine = create_engine(url, connect_args={"connect_timeout": timeout_s})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError:
        return False
    finally:
        engine.dispose()
    return True


def _sqlite_transactions(engine: Engine) -> None:
    # One writer at a time inside this process, queued on a lock: SQLite's own busy handler
    # waits by sleeping (up to 100 ms a turn), which under a few concurrent requests cost more
    # than the work (benchmarks/gateway.py). Other processes still queue on SQLite's lock.
    writer = threading.Lock()

    def release(info: dict[Any, Any]) -> None:
        if info.pop(_HOLDS_WRITER, False):
            writer.release()

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own implicit BEGIN is turned off, so ours below is the only one.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        # After the wait, go on regardless: SQLite's busy timeout then decides, as it would
        # for another process (a lock held that long is a transaction left open).
        if writer.acquire(timeout=_WRITER_WAIT_S):
            connection.info[_HOLDS_WRITER] = True
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            release(connection.info)
            raise

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _end(connection: Any) -> None:
        release(connection.info)

    @event.listens_for(engine.pool, "checkin")
    @event.listens_for(engine.pool, "invalidate")
    @event.listens_for(engine.pool, "close")
    def _returned(_dbapi_connection: Any, record: Any, *_: Any) -> None:
        if record is not None:  # a connection returned without commit or rollback
            release(record.info)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose objects stay readable after commit (service results outlive them)."""
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(connection: Any = None) -> Any:
    """Alembic's configuration, built in code (no alembic.ini)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def migrate(engine: Engine) -> None:
    """Bring the database's tables to the newest revision (a no-op when they are there).

    Several processes may start at once: on PostgreSQL they queue on an advisory lock, on SQLite
    on the write lock of the migration's transaction; each later one finds nothing to do.
    """
    from alembic import command

    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                               {"key": _MIGRATION_LOCK})
        command.upgrade(alembic_config(connection), "head")
    log.info("database schema is up to date")


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None before the first migration."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """The newest revision of the migrations shipped with this version."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()

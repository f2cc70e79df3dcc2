"""Alembic's environment for the gateway: always run on a connection the caller opened.

:func:`precheck.gateway.db.migrate` passes its connection in ``config.attributes``; there is no
alembic.ini and no URL here, and logging stays as the application configured it.
"""

from __future__ import annotations

from alembic import context

from precheck.gateway import models  # noqa: F401 - registers every table on Base.metadata
from precheck.gateway.db import Base

connection = context.config.attributes.get("connection")
if connection is None:
    msg = "run migrations through precheck.gateway.db.migrate (it passes the connection)"
    raise RuntimeError(msg)
context.configure(connection=connection, target_metadata=Base.metadata,
                  render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
with context.begin_transaction():
    context.run_migrations()

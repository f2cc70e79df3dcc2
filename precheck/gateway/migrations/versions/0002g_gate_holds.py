"""The gate holds: measurements the gateway saw, the address of each challenge and booking,
and staff login lockout.

Revision ID: 0002g
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from precheck.gateway.db import UTCDateTime

revision = "0002g"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "measurements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ident", sa.String(64), nullable=False),
        sa.Column("direction", sa.String(4), nullable=False),
        sa.Column("client", sa.String(32), nullable=True),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("bytes", sa.Integer(), nullable=False),
        sa.Column("buckets", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measurements")),
    )
    op.create_index(op.f("ix_measurements_ident"), "measurements", ["ident"])
    op.create_index(op.f("ix_measurements_started_at"), "measurements", ["started_at"])
    op.create_table(
        "measurement_uses",
        sa.Column("ident", sa.String(64), nullable=False),
        sa.Column("challenge_id", sa.Integer(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("ident", name=op.f("pk_measurement_uses")),
    )
    # Plain ADD/DROP COLUMN (SQLite has both): a batch copy of bookings could lose the
    # partial unique index that stops double booking.
    op.add_column("challenges", sa.Column("client", sa.String(32), nullable=True))
    op.add_column("bookings", sa.Column("client", sa.String(32), nullable=True))
    op.add_column("staff_users", sa.Column("failed_logins", sa.Integer(), nullable=False,
                                           server_default=sa.text("0")))
    op.add_column("staff_users", sa.Column("locked_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    op.drop_column("staff_users", "locked_at")
    op.drop_column("staff_users", "failed_logins")
    op.drop_column("bookings", "client")
    op.drop_column("challenges", "client")
    op.drop_table("measurement_uses")
    op.drop_index(op.f("ix_measurements_started_at"), table_name="measurements")
    op.drop_index(op.f("ix_measurements_ident"), table_name="measurements")
    op.drop_table("measurements")

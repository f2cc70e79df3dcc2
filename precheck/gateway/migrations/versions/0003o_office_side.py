"""The office's side: bookings staff make for a caller, meeting addresses, closures, reminders,
and outbox mails whose link tokens are sealed instead of written in their bodies.

Revision ID: 0003o
Revises: 0002g
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from precheck.gateway.db import UTCDateTime

revision = "0003o"
down_revision = "0002g"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Columns are only added (SQLite adds them in place; rebuilding ``bookings`` would trip
    # the foreign keys of its events, tokens and mails).
    op.add_column("bookings", sa.Column("booked_by", sa.String(40), nullable=True))
    op.add_column("bookings", sa.Column("meeting_url", sa.String(500), nullable=True))
    op.add_column("bookings", sa.Column("reminder_sent_at", UTCDateTime(), nullable=True))
    op.add_column("booking_events", sa.Column("detail", sa.String(200), nullable=True))
    op.add_column("outbox", sa.Column("sealed_token", sa.LargeBinary(), nullable=True))
    op.add_column("outbox", sa.Column("attachment", sa.Text(), nullable=True))
    op.create_table(
        "closures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.String(40), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("created_by", sa.String(40), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("lifted_at", UTCDateTime(), nullable=True),
        sa.Column("lifted_by", sa.String(40), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_closures")))
    op.create_index("ix_closures_office_id_starts_at", "closures", ["office_id", "starts_at"])
    op.create_table(
        "office_settings",
        sa.Column("office_id", sa.String(40), nullable=False),
        sa.Column("meeting_url", sa.String(500), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("office_id", name=op.f("pk_office_settings")))


def downgrade() -> None:
    op.drop_table("office_settings")
    op.drop_index("ix_closures_office_id_starts_at", table_name="closures")
    op.drop_table("closures")
    for table, column in (("outbox", "attachment"), ("outbox", "sealed_token"),
                          ("booking_events", "detail"), ("bookings", "reminder_sent_at"),
                          ("bookings", "meeting_url"), ("bookings", "booked_by")):
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)

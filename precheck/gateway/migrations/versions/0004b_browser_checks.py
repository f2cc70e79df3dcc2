"""The browser check's runs and the reports the gateway made from them.

Revision ID: 0004b
Revises: 0003o
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from precheck.gateway.db import UTCDateTime

revision = "0004b"
down_revision = "0003o"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "browser_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("office_id", sa.String(40), nullable=False),
        sa.Column("nonce", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=True),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_browser_checks")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_browser_checks_token_hash")))
    op.create_index(op.f("ix_browser_checks_expires_at"), "browser_checks", ["expires_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_browser_checks_expires_at"), table_name="browser_checks")
    op.drop_table("browser_checks")

"""The first tables of the booking gateway.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from precheck.gateway.db import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

#: The statuses that occupy a slot (models.LIVE), frozen here as this revision made the index.
LIVE = sa.text("status IN ('pending_confirmation', 'confirmed', 'attended', 'no_show')")


def _ts(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, UTCDateTime(), nullable=nullable)


def _id() -> sa.Column[object]:
    return sa.Column("id", sa.Integer(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "access_log", _id(), _ts("at"),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("outcome", sa.String(40), nullable=False),
        sa.Column("office_id", sa.String(40), nullable=True),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.Column("client", sa.String(32), nullable=True),
        sa.Column("device", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_log")))
    op.create_index(op.f("ix_access_log_at"), "access_log", ["at"])
    op.create_table(
        "challenges", _id(),
        sa.Column("nonce_hash", sa.String(64), nullable=False),
        sa.Column("office_id", sa.String(40), nullable=False),
        _ts("created_at"), _ts("expires_at"), _ts("used_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_challenges")),
        sa.UniqueConstraint("nonce_hash", name=op.f("uq_challenges_nonce_hash")))
    op.create_index(op.f("ix_challenges_expires_at"), "challenges", ["expires_at"])
    op.create_table(
        "gateway_keys",
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_gateway_keys")))
    op.create_table(
        "no_show_standings", _id(),
        sa.Column("office_id", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("no_shows", sa.Integer(), nullable=False),
        _ts("blocked_at", nullable=True), _ts("lifted_at", nullable=True),
        sa.Column("lifted_by", sa.String(40), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_no_show_standings")),
        sa.UniqueConstraint("office_id", "subject",
                            name=op.f("uq_no_show_standings_office_id_subject")))
    op.create_table(
        "rate_buckets",
        sa.Column("scope", sa.String(20), nullable=False),
        sa.Column("client", sa.String(32), nullable=False),
        _ts("window_start"),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "client", "window_start", name=op.f("pk_rate_buckets")))
    op.create_table(
        "staff_users", _id(),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        _ts("created_at"), _ts("disabled_at", nullable=True), _ts("last_login_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_users")),
        sa.UniqueConstraint("username", name=op.f("uq_staff_users_username")))
    op.create_table(
        "bookings", _id(),
        sa.Column("reference", sa.String(16), nullable=False),
        sa.Column("office_id", sa.String(40), nullable=False),
        _ts("slot_start"), _ts("slot_end"),
        sa.Column("status", sa.String(24), nullable=False),
        _ts("hold_expires_at", nullable=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("phone", sa.String(40), nullable=True),
        sa.Column("jobseeker_number", sa.String(20), nullable=True),
        sa.Column("note", sa.String(2000), nullable=True),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("report_digest", sa.String(71), nullable=False),
        sa.Column("key_id", sa.String(40), nullable=False),
        sa.Column("challenge_id", sa.Integer(), nullable=False),
        _ts("created_at"), _ts("confirmed_at", nullable=True), _ts("status_changed_at"),
        _ts("checked_in_at", nullable=True),
        sa.Column("checkin_report", sa.JSON(), nullable=True),
        sa.Column("checkin_report_digest", sa.String(71), nullable=True),
        sa.Column("checkin_key_id", sa.String(40), nullable=True),
        sa.ForeignKeyConstraint(["challenge_id"], ["challenges.id"],
                                name=op.f("fk_bookings_challenge_id_challenges")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bookings")),
        sa.UniqueConstraint("challenge_id", name=op.f("uq_bookings_challenge_id")),
        sa.UniqueConstraint("reference", name=op.f("uq_bookings_reference")))
    op.create_index("ix_bookings_office_id_slot_start", "bookings", ["office_id", "slot_start"])
    op.create_index("ix_bookings_status_slot_start", "bookings", ["status", "slot_start"])
    # The guarantee against double booking: one live booking per office and slot start.
    op.create_index("uq_bookings_live_slot", "bookings", ["office_id", "slot_start"],
                    unique=True, sqlite_where=LIVE, postgresql_where=LIVE)
    op.create_table(
        "staff_sessions", _id(),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        _ts("created_at"), _ts("expires_at"), _ts("ended_at", nullable=True),
        sa.ForeignKeyConstraint(["staff_id"], ["staff_users.id"],
                                name=op.f("fk_staff_sessions_staff_id_staff_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_staff_sessions_token_hash")))
    op.create_index(op.f("ix_staff_sessions_staff_id"), "staff_sessions", ["staff_id"])
    op.create_table(
        "booking_events", _id(),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        _ts("at"),
        sa.Column("from_status", sa.String(24), nullable=True),
        sa.Column("to_status", sa.String(24), nullable=False),
        sa.Column("actor", sa.String(40), nullable=False),
        sa.ForeignKeyConstraint(["booking_id"], ["bookings.id"],
                                name=op.f("fk_booking_events_booking_id_bookings")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_events")))
    op.create_index(op.f("ix_booking_events_booking_id"), "booking_events", ["booking_id"])
    op.create_table(
        "booking_tokens", _id(),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(10), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        _ts("created_at"), _ts("expires_at"), _ts("used_at", nullable=True),
        sa.ForeignKeyConstraint(["booking_id"], ["bookings.id"],
                                name=op.f("fk_booking_tokens_booking_id_bookings")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_booking_tokens_token_hash")))
    op.create_index(op.f("ix_booking_tokens_booking_id"), "booking_tokens", ["booking_id"])
    op.create_table(
        "outbox", _id(),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("recipient", sa.String(254), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("message_id", sa.String(120), nullable=False),
        _ts("created_at"),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _ts("next_attempt_at"), _ts("locked_until", nullable=True),
        _ts("sent_at", nullable=True), _ts("failed_at", nullable=True),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.ForeignKeyConstraint(["booking_id"], ["bookings.id"],
                                name=op.f("fk_outbox_booking_id_bookings")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("message_id", name=op.f("uq_outbox_message_id")))
    op.create_index(op.f("ix_outbox_booking_id"), "outbox", ["booking_id"])
    op.create_index(op.f("ix_outbox_next_attempt_at"), "outbox", ["next_attempt_at"])


def downgrade() -> None:
    for table in ("outbox", "booking_tokens", "booking_events", "staff_sessions", "bookings",
                  "staff_users", "rate_buckets", "no_show_standings", "gateway_keys",
                  "challenges", "access_log"):
        op.drop_table(table)

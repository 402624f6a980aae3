"""District scale, second cut (issue 19): hourly rollups of passages, alarms and device messages, and their state;
a compound-and-time index on the access log and the alarms (the raw tail the 大屏 still reads); audit chain-head
anchors (a Merkle root of every chain's head, chained anchor to anchor).

Revision ID: yg20261206_district_more
Revises: yf20261206_services_more
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from anju.core.db import UTCDateTime

revision = "yg20261206_district_more"
down_revision = "yf20261206_services_more"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rollup_state",
        sa.Column("name", sa.String(48), primary_key=True),
        sa.Column("rolled_until", UTCDateTime(), nullable=True),
        sa.Column("last_id", sa.BigInteger(), nullable=False),
        sa.Column("seen_id", sa.BigInteger(), nullable=False),
        sa.Column("last_aux_id", sa.BigInteger(), nullable=False),
        sa.Column("seen_aux_id", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_rollup_state")),
    )
    op.create_table(
        "access_hourly",
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("hour", UTCDateTime(), nullable=False),
        sa.Column("access_point_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(4), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("visitor", sa.Boolean(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "compound_id",
            "hour",
            "access_point_id",
            "direction",
            "decision",
            "method",
            "visitor",
            name=op.f("pk_access_hourly"),
        ),
    )
    op.create_table(
        "alarm_hourly",
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("hour", UTCDateTime(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("place", sa.String(72), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "compound_id", "hour", "kind", "severity", "outcome", "place", name=op.f("pk_alarm_hourly")
        ),
    )
    op.create_table(
        "device_hourly",
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("hour", UTCDateTime(), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("devices", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("compound_id", "hour", "kind", name=op.f("pk_device_hourly")),
    )
    op.create_table(
        "audit_anchor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("heads", sa.JSON(), nullable=False),
        sa.Column("root", sa.String(64), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("anchor_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_anchor")),
        sa.UniqueConstraint("prev_hash", name=op.f("uq_audit_anchor_prev_hash")),
    )
    op.create_index("ix_access_log_compound_server_at", "access_log", ["compound_id", "server_at"])
    op.create_index("ix_alarm_compound_occurred_at", "alarm", ["compound_id", "occurred_at"])


def downgrade() -> None:
    op.drop_index("ix_alarm_compound_occurred_at", table_name="alarm")
    op.drop_index("ix_access_log_compound_server_at", table_name="access_log")
    op.drop_table("audit_anchor")
    op.drop_table("device_hourly")
    op.drop_table("alarm_hourly")
    op.drop_table("access_hourly")
    op.drop_table("rollup_state")

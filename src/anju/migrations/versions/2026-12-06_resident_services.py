"""Resident services and community life (issue 18).

- visitor_pass gains arrived_at and arrival_log_id (the host is told of each gate entry once, even when the
  outbox delivers the event twice) and sms_sent (the share link is texted a bounded number of times);
  company (courier or delivery company); host_house_id becomes nullable (a courier's per-shift pass issued by
  the desk has no host house and reaches gates and lockers only). Pass kind "rider" needs no change (the kind
  is a non-native enum string).
- access_delivery_rule: a compound's rule for couriers and riders (how far they go, how long a pass lasts).

Revision ID: w20261206_resident_services
Revises: v20261206_video
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import anju.core.db

revision = "w20261206_resident_services"
down_revision = "v20261206_video"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("visitor_pass") as batch_op:
        batch_op.add_column(sa.Column("arrived_at", anju.core.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("arrival_log_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("sms_sent", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("company", sa.String(length=32), nullable=True))
        batch_op.alter_column("host_house_id", existing_type=sa.Integer(), nullable=True)
    reach = sa.Enum("lockers", "lobby", "door", name="deliveryreach", native_enum=False, length=32)
    op.create_table(
        "access_delivery_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("courier_reach", reach, nullable=False),
        sa.Column("rider_reach", reach, nullable=False),
        sa.Column("courier_minutes", sa.Integer(), nullable=False),
        sa.Column("rider_minutes", sa.Integer(), nullable=False),
        sa.Column("shift_hours", sa.Integer(), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["compound.id"],
            name=op.f("fk_access_delivery_rule_compound_id_compound"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_delivery_rule")),
        sa.UniqueConstraint("compound_id", name=op.f("uq_access_delivery_rule_compound_id")),
    )
    with op.batch_alter_table("access_delivery_rule") as batch_op:
        batch_op.create_index(batch_op.f("ix_access_delivery_rule_compound_id"), ["compound_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("access_delivery_rule") as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_delivery_rule_compound_id"))
    op.drop_table("access_delivery_rule")
    # Shift passes have no host house; they cannot survive the old NOT NULL column.
    op.execute("DELETE FROM visitor_pass WHERE host_house_id IS NULL")
    with op.batch_alter_table("visitor_pass") as batch_op:
        batch_op.alter_column("host_house_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("company")
        batch_op.drop_column("sms_sent")
        batch_op.drop_column("arrival_log_id")
        batch_op.drop_column("arrived_at")

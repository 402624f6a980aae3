"""Resident services and community life (issue 18).

- visitor_pass gains arrived_at and arrival_log_id (the host is told of each gate entry once, even when the
  outbox delivers the event twice) and sms_sent (the share link is texted a bounded number of times).

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


def downgrade() -> None:
    with op.batch_alter_table("visitor_pass") as batch_op:
        batch_op.drop_column("sms_sent")
        batch_op.drop_column("arrival_log_id")
        batch_op.drop_column("arrived_at")

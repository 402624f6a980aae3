"""Video analytics, second cut (issue 14).

Revision ID: yb20261206_video_more
Revises: ya20261206_parking_more
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "yb20261206_video_more"
down_revision = "ya20261206_parking_more"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Live streams: the reconnect state of a camera (failures in a row, the next attempt).
    with op.batch_alter_table("video_camera") as b:
        b.add_column(sa.Column("retries", sa.Integer(), nullable=False, server_default="0"))
        b.add_column(sa.Column("retry_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("video_camera") as b:
        b.drop_column("retry_at")
        b.drop_column("retries")

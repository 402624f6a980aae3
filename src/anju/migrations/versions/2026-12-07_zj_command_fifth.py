"""Issue 15 command picture, fifth cut: cameras' field of view on the site plan.

video_camera.range_m: how far a camera sees, in metres (nullable: not placed). Its direction (heading_deg) and
horizontal angle of view (fov_deg) were already there; its point on the plan is its device row's plan_x/plan_y.

Revision ID: zj20261207_command_fifth
Revises: zi20261207_district_fourth
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "zj20261207_command_fifth"
down_revision = "zi20261207_district_fourth"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("video_camera") as batch:
        batch.add_column(sa.Column("range_m", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("video_camera") as batch:
        batch.drop_column("range_m")

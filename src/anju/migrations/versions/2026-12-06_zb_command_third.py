"""Issue 15 command picture, third cut: device-hours online rollup, key positions and their cameras.

Revision ID: zb20261206_command_third
Revises: za20261206_video_third
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import anju.core.db

revision = "zb20261206_command_third"
down_revision = "za20261206_video_third"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "device_online_hourly",
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("hour", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("devices", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("compound_id", "hour", name=op.f("pk_device_online_hourly")),
    )
    op.create_table(
        "key_position",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=True),
        sa.Column("plan_x", sa.Integer(), nullable=True),
        sa.Column("plan_y", sa.Integer(), nullable=True),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["building_id"], ["building.id"], name=op.f("fk_key_position_building_id_building")),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["compound.id"],
            name=op.f("fk_key_position_compound_id_compound"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_key_position")),
        sa.UniqueConstraint("compound_id", "name", name=op.f("uq_key_position_compound_id_name")),
    )
    with op.batch_alter_table("key_position", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_key_position_compound_id"), ["compound_id"], unique=False)
    op.create_table(
        "key_position_camera",
        sa.Column("key_position_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["key_position_id"],
            ["key_position.id"],
            name=op.f("fk_key_position_camera_key_position_id_key_position"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["device_id"], ["device.id"], name=op.f("fk_key_position_camera_device_id_device"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("key_position_id", "device_id", name=op.f("pk_key_position_camera")),
    )
    with op.batch_alter_table("key_position_camera", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_key_position_camera_device_id"), ["device_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("key_position_camera", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_key_position_camera_device_id"))
    op.drop_table("key_position_camera")
    with op.batch_alter_table("key_position", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_key_position_compound_id"))
    op.drop_table("key_position")
    op.drop_table("device_online_hourly")

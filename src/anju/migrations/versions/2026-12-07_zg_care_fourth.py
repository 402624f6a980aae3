"""Issue 16 care and emergency, fourth cut: the sources that can report an evacuation exit obstructed
(a video analytics zone or a device bound to a building's exit or an assembly point).

Revision ID: zg20261207_care_fourth
Revises: zf20261207_command_fourth
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import anju.core.db

revision = "zg20261207_care_fourth"
down_revision = "zf20261207_command_fourth"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "emergency_exit_source",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target_key", sa.String(length=64), nullable=False),
        sa.Column("source_key", sa.String(length=96), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=True),
        sa.Column("exit_key", sa.String(length=24), nullable=True),
        sa.Column("assembly_point_id", sa.Integer(), nullable=True),
        sa.Column("camera_id", sa.Integer(), nullable=True),
        sa.Column("zone", sa.String(length=64), nullable=True),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assembly_point_id"],
            ["emergency_assembly_point.id"],
            name=op.f("fk_emergency_exit_source_assembly_point_id_emergency_assembly_point"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["building.id"],
            name=op.f("fk_emergency_exit_source_building_id_building"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["camera_id"],
            ["video_camera.id"],
            name=op.f("fk_emergency_exit_source_camera_id_video_camera"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["compound.id"],
            name=op.f("fk_emergency_exit_source_compound_id_compound"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["app_user.id"], name=op.f("fk_emergency_exit_source_created_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["device_id"], ["device.id"], name=op.f("fk_emergency_exit_source_device_id_device"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emergency_exit_source")),
        sa.UniqueConstraint(
            "compound_id",
            "target_key",
            "source_key",
            name=op.f("uq_emergency_exit_source_compound_id_target_key_source_key"),
        ),
    )
    with op.batch_alter_table("emergency_exit_source", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_emergency_exit_source_building_id"), ["building_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_emergency_exit_source_compound_id"), ["compound_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("emergency_exit_source", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_emergency_exit_source_compound_id"))
        batch_op.drop_index(batch_op.f("ix_emergency_exit_source_building_id"))
    op.drop_table("emergency_exit_source")

"""Issue 16 care and emergency, third cut (session 6): the silence escalation ladder (durable rung timers, the
episode's outcome label, the visit's work order), the learned rule's cached limits, evacuation assembly points.

Revision ID: zc20261206_care_third
Revises: zb20261206_command_third
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import anju.core.db

revision = "zc20261206_care_third"
down_revision = "zb20261206_command_third"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "care_ladder_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=False),
        sa.Column("rung", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("due_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("fired_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("fired_by", sa.String(length=64), nullable=True),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_care_ladder_step_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["emergency_contact.id"],
            name=op.f("fk_care_ladder_step_contact_id_emergency_contact"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["care_silence_episode.id"],
            name=op.f("fk_care_ladder_step_episode_id_care_silence_episode"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_ladder_step")),
        sa.UniqueConstraint("episode_id", "rung", name=op.f("uq_care_ladder_step_episode_id_rung")),
    )
    with op.batch_alter_table("care_ladder_step", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_care_ladder_step_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_care_ladder_step_due_at"), ["due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_care_ladder_step_episode_id"), ["episode_id"], unique=False)

    with op.batch_alter_table("care_silence_episode", schema=None) as batch_op:
        batch_op.add_column(sa.Column("answered_by", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("outcome", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("closed_at", anju.core.db.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table("care_visit", schema=None) as batch_op:
        batch_op.add_column(sa.Column("order_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_care_visit_order_id_work_order"), "work_order", ["order_id"], ["id"], ondelete="SET NULL"
        )
    with op.batch_alter_table("care_profile", schema=None) as batch_op:
        batch_op.add_column(sa.Column("learned_limits", sa.String(length=240), nullable=True))
        batch_op.add_column(sa.Column("learned_on", sa.Date(), nullable=True))

    op.create_table(
        "emergency_assembly_point",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("plan_x", sa.Float(), nullable=False),
        sa.Column("plan_y", sa.Float(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["compound.id"],
            name=op.f("fk_emergency_assembly_point_compound_id_compound"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emergency_assembly_point")),
        sa.UniqueConstraint("compound_id", "name", name=op.f("uq_emergency_assembly_point_compound_id_name")),
    )
    with op.batch_alter_table("emergency_assembly_point", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_emergency_assembly_point_compound_id"), ["compound_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("emergency_assembly_point", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_emergency_assembly_point_compound_id"))
    op.drop_table("emergency_assembly_point")
    with op.batch_alter_table("care_profile", schema=None) as batch_op:
        batch_op.drop_column("learned_on")
        batch_op.drop_column("learned_limits")
    with op.batch_alter_table("care_visit", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_care_visit_order_id_work_order"), type_="foreignkey")
        batch_op.drop_column("order_id")
    with op.batch_alter_table("care_silence_episode", schema=None) as batch_op:
        batch_op.drop_column("closed_at")
        batch_op.drop_column("outcome")
        batch_op.drop_column("answered_by")
    with op.batch_alter_table("care_ladder_step", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_care_ladder_step_episode_id"))
        batch_op.drop_index(batch_op.f("ix_care_ladder_step_due_at"))
        batch_op.drop_index(batch_op.f("ix_care_ladder_step_compound_id"))
    op.drop_table("care_ladder_step")

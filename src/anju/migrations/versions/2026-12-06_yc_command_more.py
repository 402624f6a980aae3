"""The command picture, second cut (issue 15): the security staff record (trainings and exams with attendance and
scores, shifts with attendance) that the security report's staff section reads.

Revision ID: yc20261206_command_more
Revises: yb20261206_video_more
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import anju.core.db

revision = "yc20261206_command_more"
down_revision = "yb20261206_video_more"
branch_labels = None
depends_on = None


def _compound_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["compound_id"], ["compound.id"], name=op.f(f"fk_{table}_compound_id_compound"), ondelete="RESTRICT"
    )


def upgrade() -> None:
    op.create_table(
        "staff_training",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("title", sa.String(length=128), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("hours", sa.Float(), nullable=True),
        sa.Column("pass_score", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        _compound_fk("staff_training"),
        sa.ForeignKeyConstraint(["created_by"], ["app_user.id"], name=op.f("fk_staff_training_created_by_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_training")),
    )
    with op.batch_alter_table("staff_training", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_training_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index("ix_staff_training_held", ["compound_id", "held_on"], unique=False)

    op.create_table(
        "staff_training_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("training_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("attended", sa.Boolean(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        _compound_fk("staff_training_record"),
        sa.ForeignKeyConstraint(
            ["training_id"],
            ["staff_training.id"],
            name=op.f("fk_staff_training_record_training_id_staff_training"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_staff_training_record_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_training_record")),
        sa.UniqueConstraint("training_id", "user_id", name=op.f("uq_staff_training_record_training_id_user_id")),
    )
    with op.batch_alter_table("staff_training_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_training_record_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_staff_training_record_training_id"), ["training_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_staff_training_record_user_id"), ["user_id"], unique=False)

    op.create_table(
        "staff_shift",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        _compound_fk("staff_shift"),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_staff_shift_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_shift")),
        sa.UniqueConstraint("user_id", "starts_at", name=op.f("uq_staff_shift_user_id_starts_at")),
    )
    with op.batch_alter_table("staff_shift", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_shift_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_staff_shift_user_id"), ["user_id"], unique=False)
        batch_op.create_index("ix_staff_shift_span", ["compound_id", "starts_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("staff_shift", schema=None) as batch_op:
        batch_op.drop_index("ix_staff_shift_span")
        batch_op.drop_index(batch_op.f("ix_staff_shift_user_id"))
        batch_op.drop_index(batch_op.f("ix_staff_shift_compound_id"))
    op.drop_table("staff_shift")
    with op.batch_alter_table("staff_training_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_training_record_user_id"))
        batch_op.drop_index(batch_op.f("ix_staff_training_record_training_id"))
        batch_op.drop_index(batch_op.f("ix_staff_training_record_compound_id"))
    op.drop_table("staff_training_record")
    with op.batch_alter_table("staff_training", schema=None) as batch_op:
        batch_op.drop_index("ix_staff_training_held")
        batch_op.drop_index(batch_op.f("ix_staff_training_compound_id"))
    op.drop_table("staff_training")

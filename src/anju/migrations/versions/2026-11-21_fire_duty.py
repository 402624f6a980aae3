"""fire control-room roster and its gaps (R-S7), inspection signatures and daily key-unit patrols (R-S4)

Revision ID: h20261121_fire_duty
Revises: g20261121_minor_access
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import anju.core.db

revision = "h20261121_fire_duty"
down_revision = "g20261121_minor_access"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("patrol_schedule", schema=None) as batch_op:
        batch_op.add_column(sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("auto", sa.Boolean(), nullable=False, server_default=sa.false()))

    op.create_table(
        "facility_inspection_signature",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=12), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("signed_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["facility_inspection.id"],
            name=op.f("fk_facility_inspection_signature_inspection_id_facility_inspection"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_facility_inspection_signature_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_facility_inspection_signature")),
        sa.UniqueConstraint("inspection_id", "role", name=op.f("uq_facility_inspection_signature_inspection_id_role")),
    )
    with op.batch_alter_table("facility_inspection_signature", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_facility_inspection_signature_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_facility_inspection_signature_inspection_id"), ["inspection_id"], unique=False
        )

    op.create_table(
        "fire_duty_shift",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("starts_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("staff", sa.JSON(), nullable=False),
        sa.Column("set_by_user_id", sa.Integer(), nullable=True),
        sa.Column("set_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_fire_duty_shift_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["set_by_user_id"], ["app_user.id"], name=op.f("fk_fire_duty_shift_set_by_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fire_duty_shift")),
    )
    with op.batch_alter_table("fire_duty_shift", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fire_duty_shift_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index("ix_fire_duty_shift_span", ["compound_id", "starts_at"], unique=False)

    op.create_table(
        "fire_duty_gap",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("starts_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("on_duty", sa.Integer(), nullable=False),
        sa.Column("detected_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("alarm_key", sa.String(length=128), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_fire_duty_gap_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fire_duty_gap")),
        sa.UniqueConstraint(
            "compound_id", "kind", "starts_at", name=op.f("uq_fire_duty_gap_compound_id_kind_starts_at")
        ),
    )
    with op.batch_alter_table("fire_duty_gap", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fire_duty_gap_compound_id"), ["compound_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("fire_duty_gap", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fire_duty_gap_compound_id"))
    op.drop_table("fire_duty_gap")
    with op.batch_alter_table("fire_duty_shift", schema=None) as batch_op:
        batch_op.drop_index("ix_fire_duty_shift_span")
        batch_op.drop_index(batch_op.f("ix_fire_duty_shift_compound_id"))
    op.drop_table("fire_duty_shift")
    with op.batch_alter_table("facility_inspection_signature", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_facility_inspection_signature_inspection_id"))
        batch_op.drop_index(batch_op.f("ix_facility_inspection_signature_compound_id"))
    op.drop_table("facility_inspection_signature")
    with op.batch_alter_table("patrol_schedule", schema=None) as batch_op:
        batch_op.drop_column("auto")
        batch_op.drop_column("created_at")

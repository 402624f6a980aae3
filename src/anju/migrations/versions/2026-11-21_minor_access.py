"""minors' data: approvals to unmask (R-P6)

Revision ID: g20261121_minor_access
Revises: f20261121_workorders
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import anju.core.db

revision = "g20261121_minor_access"
down_revision = "f20261121_workorders"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "minor_access_approval",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("requested_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.String(length=200), nullable=True),
        sa.Column("expires_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["compound.id"],
            name=op.f("fk_minor_access_approval_compound_id_compound"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["app_user.id"], name=op.f("fk_minor_access_approval_decided_by_app_user")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_minor_access_approval_person_id_person")),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["app_user.id"], name=op.f("fk_minor_access_approval_requested_by_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_minor_access_approval")),
    )
    with op.batch_alter_table("minor_access_approval", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_minor_access_approval_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_minor_access_approval_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_minor_access_approval_requested_by"), ["requested_by"], unique=False)
        batch_op.create_index(batch_op.f("ix_minor_access_approval_status"), ["status"], unique=False)


def downgrade() -> None:
    op.drop_table("minor_access_approval")

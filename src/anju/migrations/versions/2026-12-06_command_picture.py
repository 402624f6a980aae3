"""The command picture and security reports (issue 15): one stored report per compound and period.

Revision ID: u20261206_command_picture
Revises: t20261206_care_emergency
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import anju.core.db

revision = "u20261206_command_picture"
down_revision = "t20261206_care_emergency"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "security_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_kind", sa.String(length=8), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("generated_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("generated_by", sa.String(length=8), nullable=False),
        sa.Column("rectification", sa.Text(), nullable=True),
        sa.Column("rectification_by", sa.Integer(), nullable=True),
        sa.Column("rectification_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["compound.id"],
            name=op.f("fk_security_report_compound_id_compound"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["rectification_by"], ["app_user.id"], name=op.f("fk_security_report_rectification_by_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_report")),
        sa.UniqueConstraint(
            "compound_id",
            "period_kind",
            "period_start",
            name=op.f("uq_security_report_compound_id_period_kind_period_start"),
        ),
    )
    with op.batch_alter_table("security_report", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_security_report_compound_id"), ["compound_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("security_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_security_report_compound_id"))
    op.drop_table("security_report")

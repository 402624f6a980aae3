"""common income: repair-fund policy and quarterly transfers (R-M3, Shanghai)

Revision ID: i20261121_repair_fund
Revises: h20261121_fire_duty
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import anju.core.db

revision = "i20261121_repair_fund"
down_revision = "h20261121_fire_duty"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fee_income_policy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("repair_share_permille", sa.Integer(), nullable=False),
        sa.Column("rule_ref", sa.String(length=128), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["compound.id"],
            name=op.f("fk_fee_income_policy_compound_id_compound"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_fee_income_policy_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fee_income_policy")),
        sa.UniqueConstraint("compound_id", name=op.f("uq_fee_income_policy_compound_id")),
    )
    with op.batch_alter_table("fee_income_policy", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fee_income_policy_compound_id"), ["compound_id"], unique=False)
    op.create_table(
        "fee_repair_fund_transfer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.String(length=7), nullable=False),
        sa.Column("net_fen", sa.Integer(), nullable=False),
        sa.Column("share_permille", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["compound.id"],
            name=op.f("fk_fee_repair_fund_transfer_compound_id_compound"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_fee_repair_fund_transfer_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fee_repair_fund_transfer")),
        sa.UniqueConstraint("compound_id", "quarter", name=op.f("uq_fee_repair_fund_transfer_compound_id_quarter")),
    )
    with op.batch_alter_table("fee_repair_fund_transfer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fee_repair_fund_transfer_compound_id"), ["compound_id"], unique=False)


def downgrade() -> None:
    op.drop_table("fee_repair_fund_transfer")
    op.drop_table("fee_income_policy")

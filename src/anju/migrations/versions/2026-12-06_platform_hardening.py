"""Fees, notices, settings hardening (issue 20).

Revision ID: k20261206_platform_hardening
Revises: j20261206_access_hardening
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import anju.core.db

revision = "k20261206_platform_hardening"
down_revision = "j20261206_access_hardening"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # fees: its own record of each publication (R-M6), so it no longer reads the notices table.
    op.create_table(
        "fee_disclosure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=128), nullable=False),
        sa.Column("published_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_fee_disclosure_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fee_disclosure")),
    )
    with op.batch_alter_table("fee_disclosure", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fee_disclosure_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_fee_disclosure_published_at"), ["published_at"], unique=False)
    # The publications made so far were notices with these titles (vote results are disclosures too, not these).
    op.execute(
        "INSERT INTO fee_disclosure (kind, title, published_at, notice_id, user_id, compound_id) "
        "SELECT CASE WHEN title LIKE '公共收益公示%' THEN 'income' ELSE 'arrears' END, title, published_at, id, "
        "user_id, compound_id FROM notice WHERE kind = 'disclosure' "
        "AND (title LIKE '物业费收缴情况公示%' OR title LIKE '公共收益公示%')"
    )


def downgrade() -> None:
    with op.batch_alter_table("fee_disclosure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fee_disclosure_published_at"))
        batch_op.drop_index(batch_op.f("ix_fee_disclosure_compound_id"))
    op.drop_table("fee_disclosure")

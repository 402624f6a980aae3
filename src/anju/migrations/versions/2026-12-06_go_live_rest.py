"""Go live, the rest (issue 11): an access point's place in words and its point on the site plan.

Revision ID: q20261206_go_live_rest
Revises: p20261206_go_live_accounts
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "q20261206_go_live_rest"
down_revision = "p20261206_go_live_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("access_point", schema=None) as batch_op:
        batch_op.add_column(sa.Column("location", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("plan_x", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("plan_y", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("access_point", schema=None) as batch_op:
        batch_op.drop_column("plan_y")
        batch_op.drop_column("plan_x")
        batch_op.drop_column("location")

"""notices, surveys, fee items, bills, payments, common-income ledger

Revision ID: e20261121_notices_fees
Revises: d20261121_governance
"""
from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import anju.core.db  # noqa: F401

revision = "e20261121_notices_fees"
down_revision = "d20261121_governance"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

"""owner votes, electorate snapshots, hash-chained ballots

Revision ID: d20261121_governance
Revises: c20261121_access
"""
from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import anju.core.db  # noqa: F401

revision = "d20261121_governance"
down_revision = "c20261121_access"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

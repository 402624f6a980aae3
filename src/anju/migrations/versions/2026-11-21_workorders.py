"""work orders, SLA, grids workload, patrols, facilities

Revision ID: f20261121_workorders
Revises: e20261121_notices_fees
"""
from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import anju.core.db  # noqa: F401

revision = "f20261121_workorders"
down_revision = "e20261121_notices_fees"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

"""Vehicles and parking, second cut (issue 13).

Revision ID: ya20261206_parking_more
Revises: x20261206_district
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "ya20261206_parking_more"
down_revision = "x20261206_district"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

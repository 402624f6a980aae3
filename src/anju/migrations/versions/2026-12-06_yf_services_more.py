"""Resident services, second cut (issue 18).

Revision ID: yf20261206_services_more
Revises: ye20261206_field_more
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "yf20261206_services_more"
down_revision = "ye20261206_field_more"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

"""District scale, second cut (issue 19).

Revision ID: yg20261206_district_more
Revises: yf20261206_services_more
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "yg20261206_district_more"
down_revision = "yf20261206_services_more"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

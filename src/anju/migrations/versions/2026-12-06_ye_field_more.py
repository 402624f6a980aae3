"""Field staff and control room, second cut (issue 17).

Revision ID: ye20261206_field_more
Revises: yd20261206_care_more
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "ye20261206_field_more"
down_revision = "yd20261206_care_more"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

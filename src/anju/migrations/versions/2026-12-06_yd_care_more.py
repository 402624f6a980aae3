"""Care and emergency, second cut (issue 16).

Revision ID: yd20261206_care_more
Revises: yc20261206_command_more
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "yd20261206_care_more"
down_revision = "yc20261206_command_more"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

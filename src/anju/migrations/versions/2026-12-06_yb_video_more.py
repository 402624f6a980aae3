"""Video analytics, second cut (issue 14).

Revision ID: yb20261206_video_more
Revises: ya20261206_parking_more
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "yb20261206_video_more"
down_revision = "ya20261206_parking_more"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

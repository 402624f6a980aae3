"""The command picture, second cut (issue 15).

Revision ID: yc20261206_command_more
Revises: yb20261206_video_more
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "yc20261206_command_more"
down_revision = "yb20261206_video_more"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

"""Video analytics (issue 14).

Revision ID: v20261206_video
Revises: u20261206_command_picture
"""

from __future__ import annotations

revision = "v20261206_video"
down_revision = "u20261206_command_picture"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

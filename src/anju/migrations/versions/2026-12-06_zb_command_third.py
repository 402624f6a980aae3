"""Issue 15 command picture, third cut (session 6): pre-made revision so parallel work keeps one linear chain.

Revision ID: zb20261206_command_third
Revises: za20261206_video_third
"""

from __future__ import annotations

revision = "zb20261206_command_third"
down_revision = "za20261206_video_third"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

"""Issue 14 video analytics, third cut (session 6): pre-made revision so parallel work keeps one linear chain.

Revision ID: za20261206_video_third
Revises: yg20261206_district_more
"""

from __future__ import annotations

revision = "za20261206_video_third"
down_revision = "yg20261206_district_more"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

"""Issue 15 command picture, fourth cut.

Revision ID: zf20261207_command_fourth
Revises: ze20261206_district_third
"""

from __future__ import annotations

revision = "zf20261207_command_fourth"
down_revision = "ze20261206_district_third"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

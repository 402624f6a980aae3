"""Issue 16 care and emergency, fourth cut.

Revision ID: zg20261207_care_fourth
Revises: zf20261207_command_fourth
"""

from __future__ import annotations

revision = "zg20261207_care_fourth"
down_revision = "zf20261207_command_fourth"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

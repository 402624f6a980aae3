"""Issue 15 command picture, fifth cut: cameras' field of view on the site plan.

Revision ID: zj20261207_command_fifth
Revises: zi20261207_district_fourth
"""

from __future__ import annotations

revision = "zj20261207_command_fifth"
down_revision = "zi20261207_district_fourth"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

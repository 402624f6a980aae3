"""Issue 18 resident services, fourth cut.

Revision ID: zh20261207_services_fourth
Revises: zg20261207_care_fourth
"""

from __future__ import annotations

revision = "zh20261207_services_fourth"
down_revision = "zg20261207_care_fourth"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

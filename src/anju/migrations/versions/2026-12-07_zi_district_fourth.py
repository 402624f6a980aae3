"""Issue 19 district scale, fourth cut.

Revision ID: zi20261207_district_fourth
Revises: zh20261207_services_fourth
"""

from __future__ import annotations

revision = "zi20261207_district_fourth"
down_revision = "zh20261207_services_fourth"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

"""Issue 19, telemetry intake speed (reserved for one engineer; fill in or leave as a no-op).

Revision ID: zm20261208_intake_speed
Revises: zl20261208_district_day
"""

from __future__ import annotations

revision = "zm20261208_intake_speed"
down_revision = "zl20261208_district_day"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

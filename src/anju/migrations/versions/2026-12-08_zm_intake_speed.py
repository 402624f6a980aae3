"""Issue 19, telemetry intake speed: no schema change was needed (the faster intake batches its statements; dropping an index measured no gain).

Kept as an empty revision so the chain stays as it was made.

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

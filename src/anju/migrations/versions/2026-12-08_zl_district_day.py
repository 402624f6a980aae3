"""Issue 19, district day: no schema change was needed (the simulated district uses the existing tables).

Kept as an empty revision so the chain stays as it was made.

Revision ID: zl20261208_district_day
Revises: zk20261208_outbox_partitions
"""

from __future__ import annotations

revision = "zl20261208_district_day"
down_revision = "zk20261208_outbox_partitions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

"""Issue 19, audit reads partitioned (reserved for one engineer; fill in or leave as a no-op).

Revision ID: zo20261208_audit_partitions
Revises: zn20261208_global_ids
"""

from __future__ import annotations

revision = "zo20261208_audit_partitions"
down_revision = "zn20261208_global_ids"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

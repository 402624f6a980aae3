"""Issue 19, outbox partitions (reserved for one engineer; fill in or leave as a no-op).

Revision ID: zk20261208_outbox_partitions
Revises: zj20261207_command_fifth
"""

from __future__ import annotations

revision = "zk20261208_outbox_partitions"
down_revision = "zj20261207_command_fifth"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

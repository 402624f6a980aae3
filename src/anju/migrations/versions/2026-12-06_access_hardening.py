"""Access and accounts hardening (issue 20).

Revision ID: j20261206_access_hardening
Revises: i20261121_repair_fund
"""

from __future__ import annotations

revision = "j20261206_access_hardening"
down_revision = "i20261121_repair_fund"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

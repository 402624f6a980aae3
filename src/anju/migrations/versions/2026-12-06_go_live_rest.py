"""Go live, the rest (issue 11).

Revision ID: q20261206_go_live_rest
Revises: p20261206_go_live_accounts
"""

from __future__ import annotations

revision = "q20261206_go_live_rest"
down_revision = "p20261206_go_live_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

"""Go live: accounts, organisations and resident self-registration (issue 11 items 2, 5).

Revision ID: p20261206_go_live_accounts
Revises: o20261206_foundations
"""

from __future__ import annotations

revision = "p20261206_go_live_accounts"
down_revision = "o20261206_foundations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

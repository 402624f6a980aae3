"""Fees, notices, settings hardening (issue 20).

Revision ID: k20261206_platform_hardening
Revises: j20261206_access_hardening
"""

from __future__ import annotations

revision = "k20261206_platform_hardening"
down_revision = "j20261206_access_hardening"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

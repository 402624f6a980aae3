"""Resident services and community life (issue 18).

Revision ID: w20261206_resident_services
Revises: v20261206_video
"""

from __future__ import annotations

revision = "w20261206_resident_services"
down_revision = "v20261206_video"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

"""A district on one machine: per-compound audit chains, the event bus (issue 19).

Revision ID: x20261206_district
Revises: w20261206_resident_services
"""

from __future__ import annotations

revision = "x20261206_district"
down_revision = "w20261206_resident_services"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

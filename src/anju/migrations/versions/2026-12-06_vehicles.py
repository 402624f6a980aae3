"""Vehicles and parking (issue 13).

Revision ID: r20261206_vehicles
Revises: q20261206_go_live_rest
"""

from __future__ import annotations

revision = "r20261206_vehicles"
down_revision = "q20261206_go_live_rest"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

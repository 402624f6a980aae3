"""Field staff and the control room (issue 17).

Revision ID: s20261206_field_control_room
Revises: r20261206_vehicles
"""

from __future__ import annotations

revision = "s20261206_field_control_room"
down_revision = "r20261206_vehicles"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

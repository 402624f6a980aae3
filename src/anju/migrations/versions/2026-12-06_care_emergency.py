"""Care and emergency management (issue 16).

Revision ID: t20261206_care_emergency
Revises: s20261206_field_control_room
"""

from __future__ import annotations

revision = "t20261206_care_emergency"
down_revision = "s20261206_field_control_room"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

"""The command picture and security reports (issue 15).

Revision ID: u20261206_command_picture
Revises: t20261206_care_emergency
"""

from __future__ import annotations

revision = "u20261206_command_picture"
down_revision = "t20261206_care_emergency"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

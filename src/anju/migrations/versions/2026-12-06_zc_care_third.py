"""Issue 16 care and emergency, third cut (session 6): pre-made revision so parallel work keeps one linear chain.

Revision ID: zc20261206_care_third
Revises: zb20261206_command_third
"""

from __future__ import annotations

revision = "zc20261206_care_third"
down_revision = "zb20261206_command_third"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

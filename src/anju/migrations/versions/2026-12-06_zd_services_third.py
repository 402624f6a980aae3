"""Issue 18 resident services, third cut (session 6): pre-made revision so parallel work keeps one linear chain.

Revision ID: zd20261206_services_third
Revises: zc20261206_care_third
"""

from __future__ import annotations

revision = "zd20261206_services_third"
down_revision = "zc20261206_care_third"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

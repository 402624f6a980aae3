"""Issue 19 district scale, third cut (session 6): pre-made revision so parallel work keeps one linear chain.

Revision ID: ze20261206_district_third
Revises: zd20261206_services_third
"""

from __future__ import annotations

revision = "ze20261206_district_third"
down_revision = "zd20261206_services_third"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

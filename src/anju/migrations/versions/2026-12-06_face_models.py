"""Face templates know their model (issue 12).

Revision ID: n20261206_face_models
Revises: m20261206_law_compliance
"""

from __future__ import annotations

revision = "n20261206_face_models"
down_revision = "m20261206_law_compliance"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

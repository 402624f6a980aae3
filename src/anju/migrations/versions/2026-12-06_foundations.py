"""Foundations (issue 10).

Revision ID: o20261206_foundations
Revises: n20261206_face_models
"""

from __future__ import annotations

revision = "o20261206_foundations"
down_revision = "n20261206_face_models"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

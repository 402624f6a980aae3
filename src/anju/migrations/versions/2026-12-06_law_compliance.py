"""Co-owners, breach workflow, consents, face-data rules (issue 20).

Revision ID: m20261206_law_compliance
Revises: l20261206_devices_hardening
"""

from __future__ import annotations

revision = "m20261206_law_compliance"
down_revision = "l20261206_devices_hardening"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

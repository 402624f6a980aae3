"""Devices, jobs, outbox hardening (issue 20).

Revision ID: l20261206_devices_hardening
Revises: k20261206_platform_hardening
"""

from __future__ import annotations

revision = "l20261206_devices_hardening"
down_revision = "k20261206_platform_hardening"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

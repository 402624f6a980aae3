"""Devices, jobs, outbox hardening (issue 20).

Revision ID: l20261206_devices_hardening
Revises: k20261206_platform_hardening
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import anju.core.db

revision = "l20261206_devices_hardening"
down_revision = "k20261206_platform_hardening"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Item 12: what each gateway client id knows of its persistent broker session.
    op.create_table(
        "gateway_session",
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("broker", sa.String(length=255), nullable=False),
        sa.Column("first_connected_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("seen_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("losses", sa.Integer(), nullable=False),
        sa.Column("last_loss_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_gateway_session")),
    )


def downgrade() -> None:
    op.drop_table("gateway_session")

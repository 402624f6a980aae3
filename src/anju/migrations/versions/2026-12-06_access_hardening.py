"""Access and accounts hardening (issue 20).

- attempt_counter: one row per throttled key (PIN door/house/unit, PIN changes, login user/address),
  updated by an upsert inside the attempt's transaction, so limits hold under concurrency.
- login_attempt (ip, at): the per-client-address login throttle counts by address.
- access_log (person_id, compound_id, server_at): anti-passback's "last passage" walks this index
  over a bounded window instead of the whole log backwards.

Revision ID: j20261206_access_hardening
Revises: i20261121_repair_fund
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import anju.core.db

revision = "j20261206_access_hardening"
down_revision = "i20261121_repair_fund"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attempt_counter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("window_start", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("alarmed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attempt_counter")),
        sa.UniqueConstraint("key", name=op.f("uq_attempt_counter_key")),
    )
    with op.batch_alter_table("login_attempt", schema=None) as batch_op:
        batch_op.create_index("ix_login_attempt_ip_at", ["ip", "at"], unique=False)
    with op.batch_alter_table("access_log", schema=None) as batch_op:
        batch_op.create_index(
            "ix_access_log_person_compound_at", ["person_id", "compound_id", "server_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("access_log", schema=None) as batch_op:
        batch_op.drop_index("ix_access_log_person_compound_at")
    with op.batch_alter_table("login_attempt", schema=None) as batch_op:
        batch_op.drop_index("ix_login_attempt_ip_at")
    op.drop_table("attempt_counter")

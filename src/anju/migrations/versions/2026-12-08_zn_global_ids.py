"""Issue 19 item 4, global ids: history tables' ids become 64-bit on PostgreSQL, ready for a cell prefix.

The rule is written in `anju.core.ids`. alarm_transition, notification, pii_access and object_change had 32-bit ids
(access_log, device_message and device_dead_letter were already 64-bit): each id column and its sequence become
bigint. SQLite's INTEGER is already 64-bit: nothing to do there. `anju db upgrade` then binds each sequence to the
cell's range (`core.ids.apply_cell`, run after every upgrade).

Downgrade refuses when an id no longer fits 32 bits (a cell other than 0, or 2**31 rows), and unbinds every
global-id sequence from its cell's range (what the revisions before this one expect of their sequences).

Revision ID: zn20261208_global_ids
Revises: zm20261208_intake_speed
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

revision = "zn20261208_global_ids"
down_revision = "zm20261208_intake_speed"
branch_labels = None
depends_on = None

TABLES = ("alarm_transition", "notification", "pii_access", "object_change")
# Every table with a global id at this revision: `apply_cell` bound their sequences after the upgrade.
BOUND = (*TABLES, "access_log", "device_dead_letter", "device_message", "outbox_event")
INT_MAX = 2**31 - 1


def _sequence(table: str) -> str:
    seq = op.get_bind().execute(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table}).scalar_one()
    if seq is None:
        raise RuntimeError(f"{table}.id has no sequence")
    return str(seq)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ALTER COLUMN id TYPE bigint")
        op.execute(f"ALTER SEQUENCE {_sequence(table)} AS bigint")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for table in TABLES:
        top = bind.execute(text(f"SELECT max(id) FROM {table}")).scalar_one()
        if top is not None and top > INT_MAX:
            raise RuntimeError(f"{table} has ids past 32 bits (up to {top}): it cannot go back to integer ids")
    for table in BOUND:
        op.execute(f"ALTER SEQUENCE {_sequence(table)} NO MINVALUE NO MAXVALUE")
    for table in TABLES:
        op.execute(f"ALTER SEQUENCE {_sequence(table)} AS integer")
        op.execute(f"ALTER TABLE {table} ALTER COLUMN id TYPE integer")

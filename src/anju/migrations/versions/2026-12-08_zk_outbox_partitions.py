"""Issue 19 district scale: the outbox and its handler records partitioned by day on PostgreSQL.

`event_handled` (both databases) loses its surrogate id and its foreign key into the outbox and carries its event's
creation time: primary key (event_id, event_created_at, handler), the (event, handler) uniqueness with the
partition key in it (an event's creation time never changes). Filled from the outbox by a join; the separate
event_id index goes (the primary key leads with event_id).

PostgreSQL only (SQLite keeps single tables):

- `outbox_event` becomes RANGE-partitioned by `created_at`, one partition per UTC day (`outbox_event_pYYYYMMDD`)
  from the day ANJU_OUTBOX_RETENTION_DAYS (+1) ago to three days ahead, plus a default partition that takes older
  rows (dead ones kept for a person; delivered ones the batched purge still deletes); rows copied in place, ids
  and their sequence kept (now BIGINT), indexes re-created from the catalogue under their names; primary key
  (id, created_at).
- `event_handled` is RANGE-partitioned by `event_created_at` with the same days, so the job core.partitions drops a
  day of events and of their records together.

Downgrade restores the single tables (outbox primary key on id, INTEGER ids; event_handled with its id, foreign
key, unique (event_id, handler) and index) on both databases.

Revision ID: zk20261208_outbox_partitions
Revises: zj20261207_command_fifth
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from alembic import op

import anju.core.db
from anju.core.partitions import create_default, create_period, period_floor

revision = "zk20261208_outbox_partitions"
down_revision = "zj20261207_command_fifth"
branch_labels = None
depends_on = None

AHEAD = 3
INT_MAX = 2**31 - 1


def _days() -> list[datetime]:
    """The days a fresh partitioned outbox starts with: the retention window (and one day more) to AHEAD ahead."""
    from anju.core.config import get_settings

    now = anju.core.db.utcnow()
    first = period_floor(now - timedelta(days=get_settings().outbox_retention_days + 1), "day")
    last = period_floor(now, "day") + timedelta(days=AHEAD)
    out: list[datetime] = []
    while first <= last:
        out.append(first)
        first += timedelta(days=1)
    return out


def _partition(table: str, column: str) -> None:
    bind = op.get_bind()
    for day in _days():
        create_period(bind, table, column, day, "day")
    create_default(bind, table)


def _indexes(table: str) -> list[tuple[str, str]]:
    """Plain (non-constraint) indexes of `table`: (name, CREATE statement)."""
    return [
        (str(n), str(d).replace(" ON ONLY ", " ON "))  # a partitioned index prints as ON ONLY
        for n, d in op.get_bind().execute(
            sa.text(
                "SELECT ic.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "JOIN pg_class ic ON ic.oid = i.indexrelid WHERE i.indrelid = CAST(:t AS regclass) "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid "
                "AND c.conrelid = i.indrelid) ORDER BY ic.relname"
            ),
            {"t": table},
        )
    ]


def _rebuild_outbox(*, partitioned: bool) -> None:
    """Re-create outbox_event partitioned by day (or single again) under its name, keeping rows, ids, sequence."""
    table, seq = "outbox_event", "outbox_event_id_seq"
    indexes = _indexes(table)
    old = f"{table}_{'single' if partitioned else 'parted'}"
    op.execute(f"ALTER TABLE {table} RENAME TO {old}")
    op.execute(f"ALTER TABLE {old} RENAME CONSTRAINT pk_{table} TO pk_{old}")
    for name, _ in indexes:
        op.execute(f"DROP INDEX {name}")
    op.execute(f"ALTER SEQUENCE {seq} OWNED BY NONE")
    tail = " PARTITION BY RANGE (created_at)" if partitioned else ""
    op.execute(f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS INCLUDING CONSTRAINTS){tail}")
    op.execute(
        f"ALTER TABLE {table} ADD CONSTRAINT pk_{table} PRIMARY KEY ({'id, created_at' if partitioned else 'id'})"
    )
    if partitioned:
        op.execute(f"ALTER TABLE {table} ALTER COLUMN id TYPE BIGINT")
        op.execute(f"ALTER SEQUENCE {seq} AS BIGINT")
    else:  # a sequence bound to a cell's range (anju.core.ids) comes back to the 32-bit range
        top = op.get_bind().execute(sa.text(f"SELECT max(id) FROM {old}")).scalar()
        if top is not None and top > INT_MAX:
            raise RuntimeError(f"{table} has ids past 32 bits (up to {top}): it cannot go back to integer ids")
        op.execute(f"ALTER TABLE {table} ALTER COLUMN id TYPE INTEGER")
        op.execute(f"ALTER SEQUENCE {seq} AS INTEGER MINVALUE 1 MAXVALUE {INT_MAX}")
    op.execute(f"ALTER SEQUENCE {seq} OWNED BY {table}.id")
    if partitioned:
        _partition(table, "created_at")
    op.execute(f"INSERT INTO {table} SELECT * FROM {old}")  # LIKE keeps the column order
    for _, statement in indexes:
        op.execute(statement)
    op.execute(f"DROP TABLE {old}")  # on downgrade its partitions go with it


def _handled_new() -> None:
    op.create_table(
        "event_handled",
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("event_created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("handler", sa.String(length=128), nullable=False),
        sa.Column("handled_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", "event_created_at", "handler", name=op.f("pk_event_handled")),
        postgresql_partition_by="RANGE (event_created_at)",
    )


def _handled_old() -> None:
    op.create_table(
        "event_handled",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("handler", sa.String(length=128), nullable=False),
        sa.Column("handled_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["outbox_event.id"], name=op.f("fk_event_handled_event_id_outbox_event"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_handled")),
        sa.UniqueConstraint("event_id", "handler", name=op.f("uq_event_handled_event_id_handler")),
    )
    op.create_index(op.f("ix_event_handled_event_id"), "event_handled", ["event_id"], unique=False)


def upgrade() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    op.drop_index(op.f("ix_event_handled_event_id"), table_name="event_handled")
    op.rename_table("event_handled", "event_handled_single")
    if pg:
        op.execute("ALTER TABLE event_handled_single DROP CONSTRAINT fk_event_handled_event_id_outbox_event")
        op.execute("ALTER TABLE event_handled_single RENAME CONSTRAINT pk_event_handled TO pk_event_handled_single")
        op.execute(
            "ALTER TABLE event_handled_single RENAME CONSTRAINT uq_event_handled_event_id_handler "
            "TO uq_event_handled_single"
        )
        _rebuild_outbox(partitioned=True)
    _handled_new()
    if pg:
        _partition("event_handled", "event_created_at")
    op.execute(
        "INSERT INTO event_handled (event_id, event_created_at, handler, handled_at) "
        "SELECT h.event_id, e.created_at, h.handler, h.handled_at FROM event_handled_single h "
        "JOIN outbox_event e ON e.id = h.event_id"
    )
    op.drop_table("event_handled_single")


def downgrade() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    op.rename_table("event_handled", "event_handled_parted")
    if pg:
        op.execute("ALTER TABLE event_handled_parted RENAME CONSTRAINT pk_event_handled TO pk_event_handled_parted")
        _rebuild_outbox(partitioned=False)
    _handled_old()
    op.execute(
        "INSERT INTO event_handled (event_id, handler, handled_at) SELECT h.event_id, h.handler, h.handled_at "
        "FROM event_handled_parted h WHERE EXISTS (SELECT 1 FROM outbox_event e WHERE e.id = h.event_id) "
        "ORDER BY h.handled_at"
    )
    op.drop_table("event_handled_parted")  # on PostgreSQL its partitions go with it

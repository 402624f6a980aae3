"""Issue 19 district scale, fourth cut: access decisions, alarm transitions and notifications partitioned by month.

PostgreSQL (native RANGE partitions, one per UTC month from the oldest row's month to two months ahead, plus a
default partition; rows copied in place, ids and their sequences kept, foreign keys, indexes and triggers re-created
from the catalogue under their names):

- `access_log` by `server_at`; primary key (id, server_at); `id` becomes BIGINT (a district writes millions of
  decisions a day: a 32-bit id would run out within about two years).
- `alarm_transition` by `at`; primary key (id, at); its append-only triggers (R-A8) are re-created on the parent,
  so every partition carries them (a whole month past retention is dropped by DDL, which they do not cover).
- `notification` by `created_at`; primary key (id, created_at).

Keys pointing into these tables, decided:

- PostgreSQL requires the partition key in every unique key. The only other unique key, `access_log`'s
  (terminal_id, record_id) that made a terminal's offline replays and retries idempotent, moves to the new
  unpartitioned `access_log_key` (terminal_id, record_id) primary key, written in the same transaction as the log
  row (a concurrent duplicate waits on the key and then conflicts), pointing at its row by (log_id, server_at), the
  full key, so a lookup prunes to one partition. Filled from the existing rows on both databases; on SQLite the
  unique constraint goes too, so both databases run the same code.
- No foreign key points into any of the three tables (checked against the catalogue; the event payloads and the
  rollup watermarks carry ids as plain numbers). `access_log_key` deliberately has no foreign key to the log
  either: a foreign key into a partitioned table must name the full key and would forbid dropping a month while a
  key refers to it; the key is purged with the rows it guards instead (`access.purge_access_logs`). Its terminal
  foreign key cascades: a deleted terminal replays nothing.

SQLite keeps single tables; only the access log's unique constraint is replaced by the key table.

Downgrade restores the single tables (primary key on id, INTEGER ids, the unique constraint from the key table,
which guaranteed there is no duplicate) and drops `access_log_key`.

Revision ID: zi20261207_district_fourth
Revises: zh20261207_services_fourth
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import anju.core.db
from anju.core.partitions import add_months, create_default, create_month, month_floor

revision = "zi20261207_district_fourth"
down_revision = "zh20261207_services_fourth"
branch_labels = None
depends_on = None

# table, partition column, id becomes BIGINT, the unique constraint it drops (re-added on downgrade)
_TABLES: tuple[tuple[str, str, bool, tuple[str, str] | None], ...] = (
    ("access_log", "server_at", True, ("uq_access_log_terminal_id_record_id", "(terminal_id, record_id)")),
    ("alarm_transition", "at", False, None),
    ("notification", "created_at", False, None),
)


def _catalogue(table: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]], list[str]]:
    """Foreign keys (name, definition), plain indexes (name, CREATE statement) and triggers of `table`."""
    bind = op.get_bind()
    t = {"t": table}
    fks = [
        (str(n), str(d))
        for n, d in bind.execute(
            sa.text(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = CAST(:t AS regclass) AND contype = 'f' ORDER BY conname"
            ),
            t,
        )
    ]
    indexes = [
        (str(n), str(d).replace(" ON ONLY ", " ON "))  # a partitioned index prints as ON ONLY
        for n, d in bind.execute(
            sa.text(
                "SELECT ic.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "JOIN pg_class ic ON ic.oid = i.indexrelid WHERE i.indrelid = CAST(:t AS regclass) "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid "
                "AND c.conrelid = i.indrelid) ORDER BY ic.relname"
            ),
            t,
        )
    ]
    triggers = [
        str(d)
        for (d,) in bind.execute(
            sa.text(
                "SELECT pg_get_triggerdef(oid) FROM pg_trigger "
                "WHERE tgrelid = CAST(:t AS regclass) AND NOT tgisinternal ORDER BY tgname"
            ),
            t,
        )
    ]
    return fks, indexes, triggers


def _rebuild(table: str, column: str, *, partitioned: bool, bigint: bool, unique: tuple[str, str] | None) -> None:
    """Re-create `table` partitioned (or single again) under the same name, keeping every row, id and sequence."""
    bind = op.get_bind()
    fks, indexes, triggers = _catalogue(table)
    old = f"{table}_{'single' if partitioned else 'parted'}"
    seq = f"{table}_id_seq"
    op.execute(f"ALTER TABLE {table} RENAME TO {old}")
    op.execute(f"ALTER TABLE {old} RENAME CONSTRAINT pk_{table} TO pk_{old}")
    for name, _ in indexes:
        op.execute(f"DROP INDEX {name}")
    if partitioned and unique:
        op.execute(f"ALTER TABLE {old} DROP CONSTRAINT {unique[0]}")
    op.execute(f"ALTER SEQUENCE {seq} OWNED BY NONE")
    tail = f" PARTITION BY RANGE ({column})" if partitioned else ""
    op.execute(f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS INCLUDING CONSTRAINTS){tail}")
    pk = f"id, {column}" if partitioned else "id"
    op.execute(f"ALTER TABLE {table} ADD CONSTRAINT pk_{table} PRIMARY KEY ({pk})")
    if bigint:
        kind = "BIGINT" if partitioned else "INTEGER"
        op.execute(f"ALTER TABLE {table} ALTER COLUMN id TYPE {kind}")
        op.execute(f"ALTER SEQUENCE {seq} AS {kind}")
    op.execute(f"ALTER SEQUENCE {seq} OWNED BY {table}.id")
    if partitioned:
        now = anju.core.db.utcnow()
        oldest = bind.execute(sa.text(f"SELECT min({column}) FROM {old}")).scalar()
        month = month_floor(min(oldest, now) if oldest else now)
        month = min(month, add_months(month_floor(now), -1))
        while month <= add_months(month_floor(now), 2):
            create_month(bind, table, column, month)
            month = add_months(month, 1)
        create_default(bind, table)
    elif unique:
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {unique[0]} UNIQUE {unique[1]}")
    op.execute(f"INSERT INTO {table} SELECT * FROM {old}")  # LIKE keeps the column order
    for name, definition in fks:
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
    for _, statement in indexes:
        op.execute(statement)
    for statement in triggers:  # read before the rename: they name this table
        op.execute(statement)
    op.execute(f"DROP TABLE {old}")  # on downgrade its partitions go with it


def upgrade() -> None:
    op.create_table(
        "access_log_key",
        sa.Column("terminal_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("log_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("server_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["terminal_id"],
            ["access_terminal.id"],
            name=op.f("fk_access_log_key_terminal_id_access_terminal"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("terminal_id", "record_id", name=op.f("pk_access_log_key")),
    )
    op.create_index(op.f("ix_access_log_key_server_at"), "access_log_key", ["server_at"])
    op.execute(
        "INSERT INTO access_log_key (terminal_id, record_id, log_id, server_at) SELECT terminal_id, record_id, id, "
        "server_at FROM access_log WHERE terminal_id IS NOT NULL AND record_id IS NOT NULL"
    )
    if op.get_bind().dialect.name != "postgresql":
        with op.batch_alter_table("access_log") as b:
            b.drop_constraint("uq_access_log_terminal_id_record_id", type_="unique")
        return
    for table, column, bigint, unique in _TABLES:
        _rebuild(table, column, partitioned=True, bigint=bigint, unique=unique)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, column, bigint, unique in _TABLES:
            _rebuild(table, column, partitioned=False, bigint=bigint, unique=unique)
    else:
        with op.batch_alter_table("access_log") as b:
            b.create_unique_constraint("uq_access_log_terminal_id_record_id", ["terminal_id", "record_id"])
    op.drop_index(op.f("ix_access_log_key_server_at"), table_name="access_log_key")
    op.drop_table("access_log_key")

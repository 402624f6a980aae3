"""Issue 19, audit reads partitioned: `pii_access` by month of `at` on PostgreSQL, and the chain cuts of retention.

PostgreSQL: `pii_access` becomes RANGE-partitioned by `at` (one partition per UTC month from the oldest row's month
to two months ahead, plus a default partition), rebuilt in place under its name: every row copied as it is (ids,
hashes and so every chain unchanged), the 64-bit id sequence kept with its cell range, primary key (id, at), the
foreign key to app_user, the indexes and the append-only trigger re-created from the catalogue under their names.
The trigger is re-created on the parent, so every partition carries it: dropping a whole month (DDL, which row
triggers do not cover) is the only way a row leaves. Nothing refers to a PII read's id.

Both databases: `audit_chain_cut` (append-only like `audit_chain_origin`): where retention cut each chain, written
before a month is dropped, so a chain whose oldest rows are gone still verifies from its cut
(`anju.core.audit.verify_chains`). SQLite keeps the single table and every row (no purge there): only the empty cut
table is added.

Downgrade restores the single table (primary key on id) and drops the cut table; it is refused once a month has been
dropped (the cuts are then the only record of where the kept chains begin: the schema before could not verify them).

Revision ID: zo20261208_audit_partitions
Revises: zn20261208_global_ids
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import anju.core.db
from anju.core.partitions import add_months, create_default, create_month, month_floor

revision = "zo20261208_audit_partitions"
down_revision = "zn20261208_global_ids"
branch_labels = None
depends_on = None

TABLE, COLUMN = "pii_access", "at"
CUT = "audit_chain_cut"


def _guard(table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
                       FOR EACH ROW EXECUTE FUNCTION anju_append_only()""")
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"""CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table}
                           BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END""")


def _unguard(table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    else:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")


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
                "WHERE tgrelid = CAST(:t AS regclass) AND NOT tgisinternal AND tgparentid = 0 ORDER BY tgname"
            ),
            t,
        )
    ]
    return fks, indexes, triggers


def _rebuild(*, partitioned: bool) -> None:
    """Re-create pii_access partitioned (or single again) under the same name, keeping every row, id and sequence."""
    bind = op.get_bind()
    fks, indexes, triggers = _catalogue(TABLE)
    old = f"{TABLE}_{'single' if partitioned else 'parted'}"
    seq = bind.execute(sa.text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": TABLE}).scalar_one()
    op.execute(f"ALTER TABLE {TABLE} RENAME TO {old}")
    op.execute(f"ALTER TABLE {old} RENAME CONSTRAINT pk_{TABLE} TO pk_{old}")
    for name, _ in fks:
        op.execute(f"ALTER TABLE {old} DROP CONSTRAINT {name}")
    for name, _ in indexes:
        op.execute(f"DROP INDEX {name}")
    op.execute(f"ALTER SEQUENCE {seq} OWNED BY NONE")  # keeps its type and its cell's range (core.ids)
    tail = f" PARTITION BY RANGE ({COLUMN})" if partitioned else ""
    op.execute(f"CREATE TABLE {TABLE} (LIKE {old} INCLUDING DEFAULTS INCLUDING CONSTRAINTS){tail}")
    pk = f"id, {COLUMN}" if partitioned else "id"
    op.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT pk_{TABLE} PRIMARY KEY ({pk})")
    op.execute(f"ALTER SEQUENCE {seq} OWNED BY {TABLE}.id")
    if partitioned:
        now = anju.core.db.utcnow()
        oldest = bind.execute(sa.text(f"SELECT min({COLUMN}) FROM {old}")).scalar()
        month = month_floor(min(oldest, now) if oldest else now)
        month = min(month, add_months(month_floor(now), -1))
        while month <= add_months(month_floor(now), 2):
            create_month(bind, TABLE, COLUMN, month)
            month = add_months(month, 1)
        create_default(bind, TABLE)
    op.execute(f"INSERT INTO {TABLE} SELECT * FROM {old}")  # LIKE keeps the column order; INSERT is allowed
    for name, definition in fks:
        op.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {name} {definition}")
    for _, statement in indexes:
        op.execute(statement)
    for statement in triggers:  # on the parent: cloned onto every partition, present and future
        op.execute(statement)
    op.execute(f"DROP TABLE {old}")  # DDL: the append-only trigger does not stop it; on downgrade the partitions go


def upgrade() -> None:
    op.create_table(
        CUT,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("table_name", sa.String(length=32), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=True),
        sa.Column("legacy", sa.Boolean(), nullable=False),
        sa.Column("last_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("row_hash", sa.String(length=64), nullable=False),
        sa.Column("upto", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain_cut")),
    )
    op.create_index("ix_audit_chain_cut_chain", CUT, ["table_name", "compound_id", "last_id"], unique=False)
    _guard(CUT)
    if op.get_bind().dialect.name == "postgresql":
        _rebuild(partitioned=True)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.execute(sa.text(f"SELECT 1 FROM {CUT} LIMIT 1")).first():
        raise RuntimeError(
            "months of pii_access were dropped by retention (audit_chain_cut is not empty): the revisions before "
            "zo20261208_audit_partitions cannot verify the chains that were cut, so this downgrade is refused"
        )
    if bind.dialect.name == "postgresql":
        _rebuild(partitioned=False)
    _unguard(CUT)
    op.drop_index("ix_audit_chain_cut_chain", table_name=CUT)
    op.drop_table(CUT)

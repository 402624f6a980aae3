"""A district on one machine: per-compound audit chains (issue 19).

pii_access and object_change were one hash chain each for the whole platform; from this revision each
compound has its own chain per table (plus a platform chain for rows with no compound), found through the
new (compound_id, id) index that replaces the compound_id index.

Existing rows are re-linked, not recomputed: they stay exactly as written (their hashes still prove they were
not edited, and rewriting them would need the append-only triggers lifted and would launder any earlier
tampering). audit_chain_origin records, per table, the last id and head hash of that legacy global chain;
`verify_chains` checks rows up to it as the old single chain, and the first per-compound row after it links
to its compound's last legacy row. audit_chain_origin is append-only like the audit tables.

outbox_event gains relayed_at (when `anju relay` published the delivered event to NATS JetStream). Events
delivered before this revision are marked relayed (they happened before the bus existed); pending ones will be
relayed once delivered.

Revision ID: x20261206_district
Revises: w20261206_resident_services
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import anju.core.db

revision = "x20261206_district"
down_revision = "w20261206_resident_services"
branch_labels = None
depends_on = None

CHAINED = ("pii_access", "object_change")


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


def upgrade() -> None:
    origin = op.create_table(
        "audit_chain_origin",
        sa.Column("table_name", sa.String(length=32), nullable=False),
        sa.Column("last_legacy_id", sa.Integer(), nullable=False),
        sa.Column("legacy_head", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("table_name", name=op.f("pk_audit_chain_origin")),
    )
    bind = op.get_bind()
    rows = []
    for table in CHAINED:
        last = bind.execute(sa.text(f"SELECT id, row_hash FROM {table} ORDER BY id DESC LIMIT 1")).first()
        rows.append(
            {"table_name": table, "last_legacy_id": last[0] if last else 0, "legacy_head": last[1] if last else ""}
        )
    op.bulk_insert(origin, rows)
    _guard("audit_chain_origin")
    for table in CHAINED:
        # Plain (not batch) index operations: SQLite would otherwise copy the table and lose its triggers.
        op.drop_index(f"ix_{table}_compound_id", table_name=table)
        op.create_index(f"ix_{table}_chain", table, ["compound_id", "id"], unique=False)
    with op.batch_alter_table("outbox_event") as batch_op:
        batch_op.add_column(sa.Column("relayed_at", anju.core.db.UTCDateTime(), nullable=True))
    op.create_index(op.f("ix_outbox_event_relayed_at"), "outbox_event", ["relayed_at"], unique=False)
    op.execute("UPDATE outbox_event SET relayed_at = delivered_at WHERE status = 'done'")


def downgrade() -> None:
    op.drop_index(op.f("ix_outbox_event_relayed_at"), table_name="outbox_event")
    with op.batch_alter_table("outbox_event") as batch_op:
        batch_op.drop_column("relayed_at")
    # The per-compound rows stay as they are: after a downgrade, new rows extend the global chain again and
    # rows written in between verify only per compound.
    for table in CHAINED:
        op.drop_index(f"ix_{table}_chain", table_name=table)
        op.create_index(f"ix_{table}_compound_id", table, ["compound_id"], unique=False)
    _unguard("audit_chain_origin")
    op.drop_table("audit_chain_origin")

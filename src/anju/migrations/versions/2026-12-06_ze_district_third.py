"""Issue 19 district scale, third cut: telemetry partitioned by month on PostgreSQL, its dedupe key in a table of its own.

- `device_message_key` (device_id, event_id) primary key, with its receive time for its own retention: the
  telemetry dedupe (R9) no longer needs a unique key on `device_message`, which PostgreSQL could not keep on a
  table partitioned by receive time (every unique key there must include the partition key, and a resent message
  carries a new receive time). Filled from the existing rows on both databases.
- PostgreSQL: `device_message` becomes `PARTITION BY RANGE (received_at)`, primary key (id, received_at), one
  partition per month from its oldest row to two months ahead plus a default partition; every row is copied, ids
  and their sequence kept. SQLite: the table stays single; only its unique constraint goes.

Downgrade restores the single table with its unique constraint (the key table guaranteed there is no duplicate).

Revision ID: ze20261206_district_third
Revises: zd20261206_services_third
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import anju.core.db
from anju.core.partitions import add_months, create_default, create_month, month_floor

revision = "ze20261206_district_third"
down_revision = "zd20261206_services_third"
branch_labels = None
depends_on = None

_COLUMNS = """
    device_id INTEGER NOT NULL,
    compound_id INTEGER NOT NULL,
    event_id VARCHAR(64) NOT NULL,
    kind VARCHAR(12) NOT NULL,
    device_at TIMESTAMP WITH TIME ZONE NOT NULL,
    received_at TIMESTAMP WITH TIME ZONE NOT NULL,
    data JSON NOT NULL,
    CONSTRAINT fk_device_message_device_id_device FOREIGN KEY (device_id) REFERENCES device (id) ON DELETE CASCADE
"""
_COPY = "id, device_id, compound_id, event_id, kind, device_at, received_at, data"


def _indexes() -> None:
    op.create_index("ix_device_message_device_received", "device_message", ["device_id", "received_at"])
    op.create_index("ix_device_message_received_at", "device_message", ["received_at"])


def upgrade() -> None:
    op.create_table(
        "device_message_key",
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("received_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"], ["device.id"], name=op.f("fk_device_message_key_device_id_device"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("device_id", "event_id", name=op.f("pk_device_message_key")),
    )
    op.create_index(op.f("ix_device_message_key_received_at"), "device_message_key", ["received_at"])
    op.execute(
        "INSERT INTO device_message_key (device_id, event_id, received_at) "
        "SELECT device_id, event_id, received_at FROM device_message"
    )
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        with op.batch_alter_table("device_message") as b:
            b.drop_constraint("uq_device_message_device_id_event_id", type_="unique")
        return

    op.execute("ALTER TABLE device_message RENAME TO device_message_single")
    op.execute("ALTER TABLE device_message_single RENAME CONSTRAINT pk_device_message TO pk_device_message_single")
    op.execute("ALTER TABLE device_message_single DROP CONSTRAINT uq_device_message_device_id_event_id")
    op.execute("DROP INDEX ix_device_message_device_received")
    op.execute("DROP INDEX ix_device_message_received_at")
    op.execute("ALTER SEQUENCE device_message_id_seq OWNED BY NONE")
    op.execute(
        "CREATE TABLE device_message (id BIGINT NOT NULL DEFAULT nextval('device_message_id_seq'),"
        f"{_COLUMNS}, CONSTRAINT pk_device_message PRIMARY KEY (id, received_at)) PARTITION BY RANGE (received_at)"
    )
    op.execute("ALTER SEQUENCE device_message_id_seq OWNED BY device_message.id")
    _indexes()
    now = anju.core.db.utcnow()
    oldest = bind.execute(sa.text("SELECT min(received_at) FROM device_message_single")).scalar()
    month = month_floor(min(oldest, now) if oldest else now)
    month = min(month, add_months(month_floor(now), -1))
    while month <= add_months(month_floor(now), 2):
        create_month(bind, "device_message", "received_at", month)
        month = add_months(month, 1)
    create_default(bind, "device_message")
    op.execute(f"INSERT INTO device_message ({_COPY}) SELECT {_COPY} FROM device_message_single")
    op.execute("DROP TABLE device_message_single")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("ALTER TABLE device_message RENAME TO device_message_parted")
        op.execute("ALTER TABLE device_message_parted RENAME CONSTRAINT pk_device_message TO pk_device_message_parted")
        op.execute("DROP INDEX ix_device_message_device_received")
        op.execute("DROP INDEX ix_device_message_received_at")
        op.execute("ALTER SEQUENCE device_message_id_seq OWNED BY NONE")
        op.execute(
            "CREATE TABLE device_message (id BIGINT NOT NULL DEFAULT nextval('device_message_id_seq'),"
            f"{_COLUMNS}, CONSTRAINT pk_device_message PRIMARY KEY (id),"
            " CONSTRAINT uq_device_message_device_id_event_id UNIQUE (device_id, event_id))"
        )
        op.execute("ALTER SEQUENCE device_message_id_seq OWNED BY device_message.id")
        _indexes()
        op.execute(f"INSERT INTO device_message ({_COPY}) SELECT {_COPY} FROM device_message_parted")
        op.execute("DROP TABLE device_message_parted")  # its partitions go with it
    else:
        with op.batch_alter_table("device_message") as b:
            b.create_unique_constraint("uq_device_message_device_id_event_id", ["device_id", "event_id"])
    op.drop_index(op.f("ix_device_message_key_received_at"), table_name="device_message_key")
    op.drop_table("device_message_key")

"""Issue 15 command picture, fourth cut: the theft hot-spot model fitted once a China day per compound.

- `hotspot_model` (compound, China day, the newest alarm id when fitted), unique per compound and day;
- `hotspot_cell` (model, place, hour of week) with the cell's recency weight at the day's midnight and its incident
  count (hour_of_week -1: the place's own weight and count), deleted with its model.

The leased job `analytics.hotspot_models` fills them; the 大屏's hot-spot layer and the street office's hot-spot map
read them and fold in the day so far (analytics/hotspot_cache.py). Downgrade drops both tables.

Revision ID: zf20261207_command_fourth
Revises: ze20261206_district_third
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import anju.core.db

revision = "zf20261207_command_fourth"
down_revision = "ze20261206_district_third"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hotspot_model",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("upto_alarm_id", sa.BigInteger(), nullable=False),
        sa.Column("computed_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_hotspot_model_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hotspot_model")),
        sa.UniqueConstraint("compound_id", "day", name=op.f("uq_hotspot_model_compound_id_day")),
    )
    with op.batch_alter_table("hotspot_model", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hotspot_model_compound_id"), ["compound_id"], unique=False)
    op.create_table(
        "hotspot_cell",
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("place", sa.String(length=80), nullable=False),
        sa.Column("hour_of_week", sa.SmallInteger(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("exact", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_id"], ["hotspot_model.id"], name=op.f("fk_hotspot_cell_model_id_hotspot_model"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("model_id", "place", "hour_of_week", name=op.f("pk_hotspot_cell")),
    )


def downgrade() -> None:
    op.drop_table("hotspot_cell")
    with op.batch_alter_table("hotspot_model", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hotspot_model_compound_id"))
    op.drop_table("hotspot_model")

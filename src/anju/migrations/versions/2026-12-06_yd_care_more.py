"""Care and emergency, second cut (issue 16): building floor plans and evacuation runs (JuPedSim), supply
draw-down on activation, the building a drill evacuated.

Revision ID: yd20261206_care_more
Revises: yc20261206_command_more
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

import anju.core.db

revision = "yd20261206_care_more"
down_revision = "yc20261206_command_more"
branch_labels = None
depends_on = None


def _scoped(table: str) -> list[Any]:
    return [
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f(f"fk_{table}_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def upgrade() -> None:
    op.create_table(
        "emergency_floor_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=False),
        sa.Column("template", sa.String(length=16), nullable=False),
        sa.Column("geometry", sa.JSON(), nullable=True),
        sa.Column("people_per_floor", sa.Integer(), nullable=False),
        sa.Column("elderly_percent", sa.Integer(), nullable=False),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["building.id"],
            name=op.f("fk_emergency_floor_plan_building_id_building"),
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("building_id", name=op.f("uq_emergency_floor_plan_building_id")),
        *_scoped("emergency_floor_plan"),
    )
    with op.batch_alter_table("emergency_floor_plan", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_emergency_floor_plan_compound_id"), ["compound_id"], unique=False)

    op.create_table(
        "emergency_evacuation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("template", sa.String(length=16), nullable=False),
        sa.Column("floors", sa.Integer(), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("blocked", sa.JSON(), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.Column("floor_seconds", sa.Integer(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["building.id"],
            name=op.f("fk_emergency_evacuation_building_id_building"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["emergency_incident.id"],
            name=op.f("fk_emergency_evacuation_incident_id_emergency_incident"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["app_user.id"], name=op.f("fk_emergency_evacuation_created_by_app_user")
        ),
        *_scoped("emergency_evacuation"),
    )
    with op.batch_alter_table("emergency_evacuation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_emergency_evacuation_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_emergency_evacuation_building_id"), ["building_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_emergency_evacuation_incident_id"), ["incident_id"], unique=False)

    op.create_table(
        "emergency_draw",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("supply_id", sa.Integer(), nullable=True),
        sa.Column("resource", sa.String(length=64), nullable=False),
        sa.Column("asked", sa.Integer(), nullable=False),
        sa.Column("drawn", sa.Integer(), nullable=False),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["emergency_incident.id"],
            name=op.f("fk_emergency_draw_incident_id_emergency_incident"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["supply_id"],
            ["emergency_supply.id"],
            name=op.f("fk_emergency_draw_supply_id_emergency_supply"),
            ondelete="SET NULL",
        ),
        sa.UniqueConstraint("incident_id", "resource", name=op.f("uq_emergency_draw_incident_id_resource")),
        *_scoped("emergency_draw"),
    )
    with op.batch_alter_table("emergency_draw", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_emergency_draw_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_emergency_draw_incident_id"), ["incident_id"], unique=False)

    with op.batch_alter_table("care_profile", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deadline_minute", sa.Integer(), nullable=True))

    with op.batch_alter_table("emergency_drill", schema=None) as batch_op:
        batch_op.add_column(sa.Column("building_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_emergency_drill_building_id_building"),
            "building",
            ["building_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("emergency_drill", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_emergency_drill_building_id_building"), type_="foreignkey")
        batch_op.drop_column("building_id")
    with op.batch_alter_table("care_profile", schema=None) as batch_op:
        batch_op.drop_column("deadline_minute")
    with op.batch_alter_table("emergency_draw", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_emergency_draw_incident_id"))
        batch_op.drop_index(batch_op.f("ix_emergency_draw_compound_id"))
    op.drop_table("emergency_draw")
    with op.batch_alter_table("emergency_evacuation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_emergency_evacuation_incident_id"))
        batch_op.drop_index(batch_op.f("ix_emergency_evacuation_building_id"))
        batch_op.drop_index(batch_op.f("ix_emergency_evacuation_compound_id"))
    op.drop_table("emergency_evacuation")
    with op.batch_alter_table("emergency_floor_plan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_emergency_floor_plan_compound_id"))
    op.drop_table("emergency_floor_plan")

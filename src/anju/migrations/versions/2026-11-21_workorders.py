"""work orders, SLA, grids workload, patrols, facilities

Revision ID: f20261121_workorders
Revises: e20261121_notices_fees
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import anju.core.db

revision = "f20261121_workorders"
down_revision = "e20261121_notices_fees"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "patrol_route",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_patrol_route_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrol_route")),
    )
    with op.batch_alter_table("patrol_route", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_patrol_route_compound_id"), ["compound_id"], unique=False)

    op.create_table(
        "work_order_sla",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("response_minutes", sa.Integer(), nullable=True),
        sa.Column("resolution_minutes", sa.Integer(), nullable=True),
        sa.Column("calendar", sa.String(length=12), nullable=False),
        sa.ForeignKeyConstraint(["compound_id"], ["compound.id"], name=op.f("fk_work_order_sla_compound_id_compound")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order_sla")),
        sa.UniqueConstraint(
            "compound_id", "category", "priority", name=op.f("uq_work_order_sla_compound_id_category_priority")
        ),
    )
    with op.batch_alter_table("work_order_sla", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_work_order_sla_compound_id"), ["compound_id"], unique=False)

    op.create_table(
        "work_team",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("strategy", sa.String(length=16), nullable=False),
        sa.Column("rr_cursor", sa.Integer(), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_work_team_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_team")),
    )
    with op.batch_alter_table("work_team", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_work_team_compound_id"), ["compound_id"], unique=False)

    op.create_table(
        "facility_equipment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=True),
        sa.Column("location", sa.String(length=128), nullable=True),
        sa.Column("extinguisher_type", sa.String(length=12), nullable=True),
        sa.Column("manufactured_on", sa.Date(), nullable=True),
        sa.Column("crowded_location", sa.Boolean(), nullable=False),
        sa.Column("certificate_expires_on", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["building_id"], ["building.id"], name=op.f("fk_facility_equipment_building_id_building")
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["compound.id"],
            name=op.f("fk_facility_equipment_compound_id_compound"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_facility_equipment")),
    )
    with op.batch_alter_table("facility_equipment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_facility_equipment_compound_id"), ["compound_id"], unique=False)

    op.create_table(
        "patrol_checkpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("route_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("nfc_tag", sa.String(length=64), nullable=True),
        sa.Column("building_id", sa.Integer(), nullable=True),
        sa.Column("key_point", sa.Boolean(), nullable=False),
        sa.Column("max_interval_minutes", sa.Integer(), nullable=True),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["building_id"], ["building.id"], name=op.f("fk_patrol_checkpoint_building_id_building")
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["compound.id"],
            name=op.f("fk_patrol_checkpoint_compound_id_compound"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["route_id"],
            ["patrol_route.id"],
            name=op.f("fk_patrol_checkpoint_route_id_patrol_route"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrol_checkpoint")),
        sa.UniqueConstraint("code", name=op.f("uq_patrol_checkpoint_code")),
        sa.UniqueConstraint("nfc_tag", name=op.f("uq_patrol_checkpoint_nfc_tag")),
    )
    with op.batch_alter_table("patrol_checkpoint", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_patrol_checkpoint_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_patrol_checkpoint_route_id"), ["route_id"], unique=False)

    op.create_table(
        "patrol_schedule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("route_id", sa.Integer(), nullable=False),
        sa.Column("start_minute", sa.Integer(), nullable=False),
        sa.Column("window_minutes", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_patrol_schedule_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["route_id"], ["patrol_route.id"], name=op.f("fk_patrol_schedule_route_id_patrol_route"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrol_schedule")),
    )
    with op.batch_alter_table("patrol_schedule", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_patrol_schedule_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_patrol_schedule_route_id"), ["route_id"], unique=False)

    op.create_table(
        "facility_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("equipment_id", sa.Integer(), nullable=True),
        sa.Column("building_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("interval_days", sa.Integer(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("last_done_on", sa.Date(), nullable=True),
        sa.Column("open_order_id", sa.Integer(), nullable=True),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["building_id"], ["building.id"], name=op.f("fk_facility_plan_building_id_building")),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_facility_plan_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["equipment_id"],
            ["facility_equipment.id"],
            name=op.f("fk_facility_plan_equipment_id_facility_equipment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_facility_plan")),
    )
    with op.batch_alter_table("facility_plan", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_facility_plan_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_facility_plan_due_on"), ["due_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_facility_plan_equipment_id"), ["equipment_id"], unique=False)

    op.create_table(
        "grid_worker",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["compound_id"], ["compound.id"], name=op.f("fk_grid_worker_compound_id_compound")),
        sa.ForeignKeyConstraint(["grid_id"], ["grid.id"], name=op.f("fk_grid_worker_grid_id_grid"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_grid_worker_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grid_worker")),
        sa.UniqueConstraint("grid_id", "user_id", name=op.f("uq_grid_worker_grid_id_user_id")),
    )
    with op.batch_alter_table("grid_worker", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_grid_worker_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_grid_worker_grid_id"), ["grid_id"], unique=False)

    op.create_table(
        "patrol_checkin",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checkpoint_id", sa.Integer(), nullable=False),
        sa.Column("route_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["checkpoint_id"],
            ["patrol_checkpoint.id"],
            name=op.f("fk_patrol_checkin_checkpoint_id_patrol_checkpoint"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_patrol_checkin_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_patrol_checkin_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrol_checkin")),
    )
    with op.batch_alter_table("patrol_checkin", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_patrol_checkin_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_patrol_checkin_checkpoint_id"), ["checkpoint_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_patrol_checkin_compound_id"), ["compound_id"], unique=False)

    op.create_table(
        "patrol_gap_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("checkpoint_id", sa.Integer(), nullable=False),
        sa.Column("gap_from", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("raised_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["checkpoint_id"],
            ["patrol_checkpoint.id"],
            name=op.f("fk_patrol_gap_alert_checkpoint_id_patrol_checkpoint"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrol_gap_alert")),
        sa.UniqueConstraint("checkpoint_id", "gap_from", name=op.f("uq_patrol_gap_alert_checkpoint_id_gap_from")),
    )
    with op.batch_alter_table("patrol_gap_alert", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_patrol_gap_alert_compound_id"), ["compound_id"], unique=False)

    op.create_table(
        "patrol_handover",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("from_user_id", sa.Integer(), nullable=False),
        sa.Column("to_user_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=1000), nullable=False),
        sa.Column("at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_patrol_handover_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["from_user_id"], ["app_user.id"], name=op.f("fk_patrol_handover_from_user_id_app_user")
        ),
        sa.ForeignKeyConstraint(["to_user_id"], ["app_user.id"], name=op.f("fk_patrol_handover_to_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrol_handover")),
    )
    with op.batch_alter_table("patrol_handover", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_patrol_handover_compound_id"), ["compound_id"], unique=False)

    op.create_table(
        "patrol_round",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("checked", sa.Integer(), nullable=False),
        sa.Column("expected", sa.Integer(), nullable=False),
        sa.Column("decided_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_patrol_round_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["patrol_schedule.id"],
            name=op.f("fk_patrol_round_schedule_id_patrol_schedule"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrol_round")),
        sa.UniqueConstraint("schedule_id", "day", name=op.f("uq_patrol_round_schedule_id_day")),
    )
    with op.batch_alter_table("patrol_round", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_patrol_round_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_patrol_round_schedule_id"), ["schedule_id"], unique=False)

    op.create_table(
        "work_team_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["work_team.id"], name=op.f("fk_work_team_member_team_id_work_team"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_work_team_member_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_team_member")),
        sa.UniqueConstraint("team_id", "user_id", name=op.f("uq_work_team_member_team_id_user_id")),
    )
    with op.batch_alter_table("work_team_member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_work_team_member_team_id"), ["team_id"], unique=False)

    op.create_table(
        "facility_inspection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("equipment_id", sa.Integer(), nullable=True),
        sa.Column("inspector_user_id", sa.Integer(), nullable=False),
        sa.Column("supervisor_name", sa.String(length=64), nullable=True),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("order_ids", sa.JSON(), nullable=False),
        sa.Column("at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["compound.id"],
            name=op.f("fk_facility_inspection_compound_id_compound"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["inspector_user_id"], ["app_user.id"], name=op.f("fk_facility_inspection_inspector_user_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["facility_plan.id"],
            name=op.f("fk_facility_inspection_plan_id_facility_plan"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_facility_inspection")),
    )
    with op.batch_alter_table("facility_inspection", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_facility_inspection_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_facility_inspection_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "work_order",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "household_repair",
                "common_repair",
                "complaint",
                "suggestion",
                "hazard",
                "alarm",
                "inspection",
                name="orderkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column(
            "priority",
            sa.Enum("emergency", "urgent", "normal", "low", name="priority", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "source",
            sa.Enum(
                "h5", "phone", "grid", "alarm", "inspection", "staff", name="ordersource", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "new",
                "dispatched",
                "accepted",
                "arrived",
                "waiting_owner",
                "suspended",
                "completed",
                "followed_up",
                "closed",
                name="orderstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("building_id", sa.Integer(), nullable=True),
        sa.Column("house_id", sa.Integer(), nullable=True),
        sa.Column("grid_id", sa.Integer(), nullable=True),
        sa.Column("reporter_user_id", sa.Integer(), nullable=True),
        sa.Column("reporter_person_id", sa.Integer(), nullable=True),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("assignee_user_id", sa.Integer(), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("alarm_id", sa.Integer(), nullable=True),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("dispatched_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("accepted_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("arrived_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("completed_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("response_due_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolution_due_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("paused_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("paused_from", sa.String(length=16), nullable=True),
        sa.Column("paused_seconds", sa.Integer(), nullable=False),
        sa.Column(
            "sla_state",
            sa.Enum("ok", "warning", "breached", "none", name="slastate", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("response_met", sa.Boolean(), nullable=True),
        sa.Column("resolution_met", sa.Boolean(), nullable=True),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("rating_comment", sa.String(length=500), nullable=True),
        sa.Column("rated_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("follow_up_note", sa.String(length=500), nullable=True),
        sa.Column("follow_up_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("quote_amount", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column("quote_status", sa.String(length=12), nullable=True),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignee_user_id"], ["app_user.id"], name=op.f("fk_work_order_assignee_user_id_app_user")
        ),
        sa.ForeignKeyConstraint(["building_id"], ["building.id"], name=op.f("fk_work_order_building_id_building")),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_work_order_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"], ["app_user.id"], name=op.f("fk_work_order_created_by_user_id_app_user")
        ),
        sa.ForeignKeyConstraint(["grid_id"], ["grid.id"], name=op.f("fk_work_order_grid_id_grid")),
        sa.ForeignKeyConstraint(["house_id"], ["house.id"], name=op.f("fk_work_order_house_id_house")),
        sa.ForeignKeyConstraint(
            ["reporter_person_id"], ["person.id"], name=op.f("fk_work_order_reporter_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["reporter_user_id"], ["app_user.id"], name=op.f("fk_work_order_reporter_user_id_app_user")
        ),
        sa.ForeignKeyConstraint(["team_id"], ["work_team.id"], name=op.f("fk_work_order_team_id_work_team")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order")),
        sa.UniqueConstraint("alarm_id", name=op.f("uq_work_order_alarm_id")),
    )
    with op.batch_alter_table("work_order", schema=None) as batch_op:
        batch_op.create_index("ix_work_order_assignee_status", ["assignee_user_id", "status"], unique=False)
        batch_op.create_index("ix_work_order_board", ["compound_id", "status", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_work_order_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_work_order_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_work_order_house_id"), ["house_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_work_order_reporter_user_id"), ["reporter_user_id"], unique=False)

    op.create_table(
        "work_order_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_user_id"], ["app_user.id"], name=op.f("fk_work_order_event_actor_user_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["work_order.id"], name=op.f("fk_work_order_event_order_id_work_order"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order_event")),
    )
    with op.batch_alter_table("work_order_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_work_order_event_order_id"), ["order_id"], unique=False)

    op.create_table(
        "work_order_photo",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["work_order.id"], name=op.f("fk_work_order_photo_order_id_work_order"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by"], ["app_user.id"], name=op.f("fk_work_order_photo_uploaded_by_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order_photo")),
    )
    with op.batch_alter_table("work_order_photo", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_work_order_photo_order_id"), ["order_id"], unique=False)

    op.create_table(
        "work_order_timer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("deadline", sa.String(length=12), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("due_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("fired_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("fired_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"], ["work_order.id"], name=op.f("fk_work_order_timer_order_id_work_order"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order_timer")),
        sa.UniqueConstraint("order_id", "deadline", "level", name=op.f("uq_work_order_timer_order_id_deadline_level")),
    )
    with op.batch_alter_table("work_order_timer", schema=None) as batch_op:
        batch_op.create_index("ix_work_order_timer_due", ["status", "due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_work_order_timer_order_id"), ["order_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("work_order_timer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_work_order_timer_order_id"))
        batch_op.drop_index("ix_work_order_timer_due")

    op.drop_table("work_order_timer")
    with op.batch_alter_table("work_order_photo", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_work_order_photo_order_id"))

    op.drop_table("work_order_photo")
    with op.batch_alter_table("work_order_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_work_order_event_order_id"))

    op.drop_table("work_order_event")
    with op.batch_alter_table("work_order", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_work_order_reporter_user_id"))
        batch_op.drop_index(batch_op.f("ix_work_order_house_id"))
        batch_op.drop_index(batch_op.f("ix_work_order_created_at"))
        batch_op.drop_index(batch_op.f("ix_work_order_compound_id"))
        batch_op.drop_index("ix_work_order_board")
        batch_op.drop_index("ix_work_order_assignee_status")

    op.drop_table("work_order")
    with op.batch_alter_table("facility_inspection", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_facility_inspection_plan_id"))
        batch_op.drop_index(batch_op.f("ix_facility_inspection_compound_id"))

    op.drop_table("facility_inspection")
    with op.batch_alter_table("work_team_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_work_team_member_team_id"))

    op.drop_table("work_team_member")
    with op.batch_alter_table("patrol_round", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patrol_round_schedule_id"))
        batch_op.drop_index(batch_op.f("ix_patrol_round_compound_id"))

    op.drop_table("patrol_round")
    with op.batch_alter_table("patrol_handover", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patrol_handover_compound_id"))

    op.drop_table("patrol_handover")
    with op.batch_alter_table("patrol_gap_alert", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patrol_gap_alert_compound_id"))

    op.drop_table("patrol_gap_alert")
    with op.batch_alter_table("patrol_checkin", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patrol_checkin_compound_id"))
        batch_op.drop_index(batch_op.f("ix_patrol_checkin_checkpoint_id"))
        batch_op.drop_index(batch_op.f("ix_patrol_checkin_at"))

    op.drop_table("patrol_checkin")
    with op.batch_alter_table("grid_worker", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_grid_worker_grid_id"))
        batch_op.drop_index(batch_op.f("ix_grid_worker_compound_id"))

    op.drop_table("grid_worker")
    with op.batch_alter_table("facility_plan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_facility_plan_equipment_id"))
        batch_op.drop_index(batch_op.f("ix_facility_plan_due_on"))
        batch_op.drop_index(batch_op.f("ix_facility_plan_compound_id"))

    op.drop_table("facility_plan")
    with op.batch_alter_table("patrol_schedule", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patrol_schedule_route_id"))
        batch_op.drop_index(batch_op.f("ix_patrol_schedule_compound_id"))

    op.drop_table("patrol_schedule")
    with op.batch_alter_table("patrol_checkpoint", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patrol_checkpoint_route_id"))
        batch_op.drop_index(batch_op.f("ix_patrol_checkpoint_compound_id"))

    op.drop_table("patrol_checkpoint")
    with op.batch_alter_table("facility_equipment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_facility_equipment_compound_id"))

    op.drop_table("facility_equipment")
    with op.batch_alter_table("work_team", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_work_team_compound_id"))

    op.drop_table("work_team")
    with op.batch_alter_table("work_order_sla", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_work_order_sla_compound_id"))

    op.drop_table("work_order_sla")
    with op.batch_alter_table("patrol_route", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patrol_route_compound_id"))

    op.drop_table("patrol_route")

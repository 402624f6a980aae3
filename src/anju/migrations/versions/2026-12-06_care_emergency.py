"""Care and emergency management (issue 16).

Revision ID: t20261206_care_emergency
Revises: s20261206_field_control_room
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import anju.core.db

revision = "t20261206_care_emergency"
down_revision = "s20261206_field_control_room"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "emergency_reminder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=96), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["compound.id"],
            name=op.f("fk_emergency_reminder_compound_id_compound"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emergency_reminder")),
        sa.UniqueConstraint("key", name=op.f("uq_emergency_reminder_key")),
    )
    with op.batch_alter_table("emergency_reminder", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_emergency_reminder_compound_id"), ["compound_id"], unique=False)

    op.create_table(
        "emergency_supply",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("unit_label", sa.String(length=16), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("min_quantity", sa.Integer(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("checked_on", sa.Date(), nullable=True),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("quantity >= 0", name=op.f("ck_emergency_supply_quantity_not_negative")),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_emergency_supply_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emergency_supply")),
        sa.UniqueConstraint("compound_id", "store", "name", name=op.f("uq_emergency_supply_compound_id_store_name")),
    )
    with op.batch_alter_table("emergency_supply", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_emergency_supply_compound_id"), ["compound_id"], unique=False)

    op.create_table(
        "emergency_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("title", sa.String(length=128), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("resources", sa.JSON(), nullable=False),
        sa.Column("call_sheet", sa.JSON(), nullable=False),
        sa.Column("drill_every_days", sa.Integer(), nullable=False),
        sa.Column("approved_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("approved_by", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["approved_by"], ["app_user.id"], name=op.f("fk_emergency_plan_approved_by_app_user")),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_emergency_plan_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emergency_plan")),
    )
    with op.batch_alter_table("emergency_plan", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_emergency_plan_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_emergency_plan_kind"), ["kind"], unique=False)

    op.create_table(
        "care_profile",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("house_id", sa.Integer(), nullable=True),
        sa.Column("living_alone", sa.Boolean(), nullable=False),
        sa.Column("special_hardship", sa.Boolean(), nullable=False),
        sa.Column("disability", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("health_notes_enc", sa.Text(), nullable=True),
        sa.Column("silence_hours", sa.Integer(), nullable=False),
        sa.Column("quiet_start_minute", sa.Integer(), nullable=False),
        sa.Column("quiet_end_minute", sa.Integer(), nullable=False),
        sa.Column("last_activity_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_activity_source", sa.String(length=48), nullable=True),
        sa.Column("visitor_user_id", sa.Integer(), nullable=True),
        sa.Column("away_from", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("away_until", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_care_profile_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(["house_id"], ["house.id"], name=op.f("fk_care_profile_house_id_house")),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_care_profile_person_id_person"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["visitor_user_id"], ["app_user.id"], name=op.f("fk_care_profile_visitor_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_profile")),
        sa.UniqueConstraint("person_id", name=op.f("uq_care_profile_person_id")),
    )
    with op.batch_alter_table("care_profile", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_care_profile_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_care_profile_house_id"), ["house_id"], unique=False)

    op.create_table(
        "emergency_drill",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("held_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("participants", sa.Integer(), nullable=False),
        sa.Column("evacuation_seconds", sa.Integer(), nullable=True),
        sa.Column("findings", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_emergency_drill_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["emergency_plan.id"],
            name=op.f("fk_emergency_drill_plan_id_emergency_plan"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["recorded_by"], ["app_user.id"], name=op.f("fk_emergency_drill_recorded_by_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emergency_drill")),
    )
    with op.batch_alter_table("emergency_drill", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_emergency_drill_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_emergency_drill_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "emergency_incident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("alarm_id", sa.Integer(), nullable=True),
        sa.Column("building_id", sa.Integer(), nullable=True),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("exercise", sa.Boolean(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=True),
        sa.Column("declared_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("declared_by", sa.Integer(), nullable=True),
        sa.Column("closed_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("review", sa.Text(), nullable=True),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["alarm_id"], ["alarm.id"], name=op.f("fk_emergency_incident_alarm_id_alarm"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["building_id"], ["building.id"], name=op.f("fk_emergency_incident_building_id_building")
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["compound.id"],
            name=op.f("fk_emergency_incident_compound_id_compound"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["declared_by"], ["app_user.id"], name=op.f("fk_emergency_incident_declared_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["notice.id"], name=op.f("fk_emergency_incident_notice_id_notice"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["emergency_plan.id"], name=op.f("fk_emergency_incident_plan_id_emergency_plan")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emergency_incident")),
        sa.UniqueConstraint("plan_id", "alarm_id", name=op.f("uq_emergency_incident_plan_id_alarm_id")),
    )
    with op.batch_alter_table("emergency_incident", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_emergency_incident_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_emergency_incident_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "care_consent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("given_by", sa.String(length=16), nullable=False),
        sa.Column("variant", sa.String(length=16), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("given_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_care_consent_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["care_profile.id"],
            name=op.f("fk_care_consent_profile_id_care_profile"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["recorded_by"], ["app_user.id"], name=op.f("fk_care_consent_recorded_by_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_consent")),
    )
    with op.batch_alter_table("care_consent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_care_consent_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_care_consent_profile_id"), ["profile_id"], unique=False)

    op.create_table(
        "care_contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("guardian", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["compound_id"], ["compound.id"], name=op.f("fk_care_contact_compound_id_compound")),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["emergency_contact.id"],
            name=op.f("fk_care_contact_contact_id_emergency_contact"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["care_profile.id"],
            name=op.f("fk_care_contact_profile_id_care_profile"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_contact")),
        sa.UniqueConstraint("profile_id", "position", name=op.f("uq_care_contact_profile_id_position")),
    )
    with op.batch_alter_table("care_contact", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_care_contact_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_care_contact_profile_id"), ["profile_id"], unique=False)

    op.create_table(
        "care_silence_episode",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("since", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("raised_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("silent_hours", sa.Integer(), nullable=False),
        sa.Column("consent_missing", sa.Boolean(), nullable=False),
        sa.Column("told_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["compound.id"],
            name=op.f("fk_care_silence_episode_compound_id_compound"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["care_profile.id"],
            name=op.f("fk_care_silence_episode_profile_id_care_profile"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_silence_episode")),
        sa.UniqueConstraint("profile_id", "since", name=op.f("uq_care_silence_episode_profile_id_since")),
    )
    with op.batch_alter_table("care_silence_episode", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_care_silence_episode_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_care_silence_episode_profile_id"), ["profile_id"], unique=False)

    op.create_table(
        "emergency_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("due_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("done_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("done_by", sa.Integer(), nullable=True),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_emergency_task_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(["done_by"], ["app_user.id"], name=op.f("fk_emergency_task_done_by_app_user")),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["emergency_incident.id"],
            name=op.f("fk_emergency_task_incident_id_emergency_incident"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emergency_task")),
    )
    with op.batch_alter_table("emergency_task", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_emergency_task_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_emergency_task_incident_id"), ["incident_id"], unique=False)

    op.create_table(
        "care_visit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("plan_key", sa.String(length=64), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("due_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("assigned_user_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("visited_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("visited_by", sa.Integer(), nullable=True),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assigned_user_id"], ["app_user.id"], name=op.f("fk_care_visit_assigned_user_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_care_visit_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["care_silence_episode.id"],
            name=op.f("fk_care_visit_episode_id_care_silence_episode"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"], ["care_profile.id"], name=op.f("fk_care_visit_profile_id_care_profile"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["visited_by"], ["app_user.id"], name=op.f("fk_care_visit_visited_by_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_visit")),
        sa.UniqueConstraint("plan_key", name=op.f("uq_care_visit_plan_key")),
    )
    with op.batch_alter_table("care_visit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_care_visit_assigned_user_id"), ["assigned_user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_care_visit_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_care_visit_due_on"), ["due_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_care_visit_profile_id"), ["profile_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("care_visit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_care_visit_profile_id"))
        batch_op.drop_index(batch_op.f("ix_care_visit_due_on"))
        batch_op.drop_index(batch_op.f("ix_care_visit_compound_id"))
        batch_op.drop_index(batch_op.f("ix_care_visit_assigned_user_id"))

    op.drop_table("care_visit")
    with op.batch_alter_table("emergency_task", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_emergency_task_incident_id"))
        batch_op.drop_index(batch_op.f("ix_emergency_task_compound_id"))

    op.drop_table("emergency_task")
    with op.batch_alter_table("care_silence_episode", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_care_silence_episode_profile_id"))
        batch_op.drop_index(batch_op.f("ix_care_silence_episode_compound_id"))

    op.drop_table("care_silence_episode")
    with op.batch_alter_table("care_contact", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_care_contact_profile_id"))
        batch_op.drop_index(batch_op.f("ix_care_contact_compound_id"))

    op.drop_table("care_contact")
    with op.batch_alter_table("care_consent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_care_consent_profile_id"))
        batch_op.drop_index(batch_op.f("ix_care_consent_compound_id"))

    op.drop_table("care_consent")
    with op.batch_alter_table("emergency_incident", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_emergency_incident_plan_id"))
        batch_op.drop_index(batch_op.f("ix_emergency_incident_compound_id"))

    op.drop_table("emergency_incident")
    with op.batch_alter_table("emergency_drill", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_emergency_drill_plan_id"))
        batch_op.drop_index(batch_op.f("ix_emergency_drill_compound_id"))

    op.drop_table("emergency_drill")
    with op.batch_alter_table("care_profile", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_care_profile_house_id"))
        batch_op.drop_index(batch_op.f("ix_care_profile_compound_id"))

    op.drop_table("care_profile")
    with op.batch_alter_table("emergency_plan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_emergency_plan_kind"))
        batch_op.drop_index(batch_op.f("ix_emergency_plan_compound_id"))

    op.drop_table("emergency_plan")
    with op.batch_alter_table("emergency_supply", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_emergency_supply_compound_id"))

    op.drop_table("emergency_supply")
    with op.batch_alter_table("emergency_reminder", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_emergency_reminder_compound_id"))

    op.drop_table("emergency_reminder")

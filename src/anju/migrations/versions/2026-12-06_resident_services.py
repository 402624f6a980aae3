"""Resident services and community life (issue 18).

- visitor_pass gains arrived_at and arrival_log_id (the host is told of each gate entry once, even when the
  outbox delivers the event twice) and sms_sent (the share link is texted a bounded number of times);
  company (courier or delivery company); host_house_id becomes nullable (a courier's per-shift pass issued by
  the desk has no host house and reaches gates and lockers only). Pass kind "rider" needs no change (the kind
  is a non-native enum string).
- access_delivery_rule: a compound's rule for couriers and riders (how far they go, how long a pass lasts).
- visitor_pass gains daily_from/daily_until (a decoration worker's pass opens only within these China hours)
  and source ("decoration:12": the passes issued for one application, revoked together).
- decoration_application, decoration_worker, decoration_inspection (装修申请).

Revision ID: w20261206_resident_services
Revises: v20261206_video
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import anju.core.db

revision = "w20261206_resident_services"
down_revision = "v20261206_video"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("visitor_pass") as batch_op:
        batch_op.add_column(sa.Column("arrived_at", anju.core.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("arrival_log_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("sms_sent", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("company", sa.String(length=32), nullable=True))
        batch_op.alter_column("host_house_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("daily_from", sa.Time(), nullable=True))
        batch_op.add_column(sa.Column("daily_until", sa.Time(), nullable=True))
        batch_op.add_column(sa.Column("source", sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f("ix_visitor_pass_source"), ["source"], unique=False)
    reach = sa.Enum("lockers", "lobby", "door", name="deliveryreach", native_enum=False, length=32)
    op.create_table(
        "access_delivery_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("courier_reach", reach, nullable=False),
        sa.Column("rider_reach", reach, nullable=False),
        sa.Column("courier_minutes", sa.Integer(), nullable=False),
        sa.Column("rider_minutes", sa.Integer(), nullable=False),
        sa.Column("shift_hours", sa.Integer(), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["compound.id"],
            name=op.f("fk_access_delivery_rule_compound_id_compound"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_delivery_rule")),
        sa.UniqueConstraint("compound_id", name=op.f("uq_access_delivery_rule_compound_id")),
    )
    with op.batch_alter_table("access_delivery_rule") as batch_op:
        batch_op.create_index(batch_op.f("ix_access_delivery_rule_compound_id"), ["compound_id"], unique=False)

    status = sa.Enum(
        "submitted",
        "approved",
        "rejected",
        "completed",
        "cancelled",
        name="decorationstatus",
        native_enum=False,
        length=32,
    )
    deposit = sa.Enum("none", "held", "refund_due", name="depositstatus", native_enum=False, length=32)
    op.create_table(
        "decoration_application",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("house_id", sa.Integer(), nullable=False),
        sa.Column("applicant_person_id", sa.Integer(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("touches_load_bearing", sa.Boolean(), nullable=False),
        sa.Column("owner_consent", sa.Boolean(), nullable=False),
        sa.Column("contractor", sa.String(length=64), nullable=False),
        sa.Column("contractor_phone_enc", sa.Text(), nullable=True),
        sa.Column("contractor_phone_masked", sa.String(length=32), nullable=True),
        sa.Column("daily_from", sa.Time(), nullable=False),
        sa.Column("daily_until", sa.Time(), nullable=False),
        sa.Column("deposit_fen", sa.Integer(), nullable=False),
        sa.Column("deposit_status", deposit, nullable=False),
        sa.Column("status", status, nullable=False),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reject_reason", sa.String(length=255), nullable=True),
        sa.Column("completed_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["compound.id"],
            name=op.f("fk_decoration_application_compound_id_compound"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(["house_id"], ["house.id"], name=op.f("fk_decoration_application_house_id_house")),
        sa.ForeignKeyConstraint(
            ["applicant_person_id"], ["person.id"], name=op.f("fk_decoration_application_applicant_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["app_user.id"], name=op.f("fk_decoration_application_decided_by_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decoration_application")),
    )
    with op.batch_alter_table("decoration_application") as batch_op:
        batch_op.create_index(batch_op.f("ix_decoration_application_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_decoration_application_house_id"), ["house_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_decoration_application_applicant_person_id"), ["applicant_person_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_decoration_application_status"), ["status"], unique=False)
    op.create_table(
        "decoration_worker",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("phone_enc", sa.Text(), nullable=True),
        sa.Column("phone_masked", sa.String(length=32), nullable=True),
        sa.Column("visitor_pass_id", sa.Integer(), nullable=True),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["compound.id"],
            name=op.f("fk_decoration_worker_compound_id_compound"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["decoration_application.id"],
            name=op.f("fk_decoration_worker_application_id_decoration_application"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decoration_worker")),
    )
    with op.batch_alter_table("decoration_worker") as batch_op:
        batch_op.create_index(batch_op.f("ix_decoration_worker_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_decoration_worker_application_id"), ["application_id"], unique=False)
    kind = sa.Enum("during", "final", name="inspectionkind", native_enum=False, length=32)
    op.create_table(
        "decoration_inspection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("kind", kind, nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("inspector_user_id", sa.Integer(), nullable=True),
        sa.Column("work_order_id", sa.Integer(), nullable=True),
        sa.Column("at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["compound.id"],
            name=op.f("fk_decoration_inspection_compound_id_compound"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["decoration_application.id"],
            name=op.f("fk_decoration_inspection_application_id_decoration_application"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["inspector_user_id"], ["app_user.id"], name=op.f("fk_decoration_inspection_inspector_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decoration_inspection")),
    )
    with op.batch_alter_table("decoration_inspection") as batch_op:
        batch_op.create_index(batch_op.f("ix_decoration_inspection_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_decoration_inspection_application_id"), ["application_id"], unique=False)


def downgrade() -> None:
    op.drop_table("decoration_inspection")
    op.drop_table("decoration_worker")
    op.drop_table("decoration_application")
    with op.batch_alter_table("access_delivery_rule") as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_delivery_rule_compound_id"))
    op.drop_table("access_delivery_rule")
    # Shift passes have no host house; they cannot survive the old NOT NULL column.
    op.execute("DELETE FROM visitor_pass WHERE host_house_id IS NULL")
    with op.batch_alter_table("visitor_pass") as batch_op:
        batch_op.alter_column("host_house_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_index(batch_op.f("ix_visitor_pass_source"))
        batch_op.drop_column("source")
        batch_op.drop_column("daily_until")
        batch_op.drop_column("daily_from")
        batch_op.drop_column("company")
        batch_op.drop_column("sms_sent")
        batch_op.drop_column("arrival_log_id")
        batch_op.drop_column("arrived_at")

"""Issue 18 resident services, fourth cut: safety-education events (安全小课堂) with bookings and check-in, and
refunds through the payment provider (the unused part of a charging session paid on its own).

Revision ID: zh20261207_services_fourth
Revises: zg20261207_care_fourth
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import anju.core.db

revision = "zh20261207_services_fourth"
down_revision = "zg20261207_care_fourth"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "education_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audience", sa.String(length=12), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("place", sa.String(length=64), nullable=False),
        sa.Column("starts_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("booking_deadline", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("booked", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "booked >= 0 AND booked <= capacity", name=op.f("ck_education_event_booked_within_capacity")
        ),
        sa.CheckConstraint("capacity >= 1", name=op.f("ck_education_event_capacity_positive")),
        sa.ForeignKeyConstraint(["building_id"], ["building.id"], name=op.f("fk_education_event_building_id_building")),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_education_event_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_education_event_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_education_event")),
    )
    with op.batch_alter_table("education_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_education_event_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_education_event_starts_at"), ["starts_at"], unique=False)

    op.create_table(
        "fee_provider_refund",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_key", sa.String(length=64), nullable=False),
        sa.Column("refund_no", sa.String(length=40), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("txn_id", sa.String(length=64), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_until", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("provider_refund_id", sa.String(length=64), nullable=True),
        sa.Column("last_error", sa.String(length=255), nullable=True),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("completed_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("amount_fen > 0", name=op.f("ck_fee_provider_refund_amount_positive")),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["compound.id"],
            name=op.f("fk_fee_provider_refund_compound_id_compound"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_fee_provider_refund_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fee_provider_refund")),
        sa.UniqueConstraint("source_key", name=op.f("uq_fee_provider_refund_source_key")),
        sa.UniqueConstraint("refund_no", name=op.f("uq_fee_provider_refund_refund_no")),
    )
    with op.batch_alter_table("fee_provider_refund", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fee_provider_refund_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_fee_provider_refund_status"), ["status"], unique=False)

    op.create_table(
        "education_booking",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("booked_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("checked_in_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("checked_in_by", sa.Integer(), nullable=True),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["checked_in_by"], ["app_user.id"], name=op.f("fk_education_booking_checked_in_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["compound.id"],
            name=op.f("fk_education_booking_compound_id_compound"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["education_event.id"],
            name=op.f("fk_education_booking_event_id_education_event"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_education_booking_person_id_person"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_education_booking_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_education_booking")),
        sa.UniqueConstraint("event_id", "code", name=op.f("uq_education_booking_event_id_code")),
        sa.UniqueConstraint("event_id", "person_id", name=op.f("uq_education_booking_event_id_person_id")),
    )
    with op.batch_alter_table("education_booking", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_education_booking_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_education_booking_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_education_booking_person_id"), ["person_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("education_booking", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_education_booking_person_id"))
        batch_op.drop_index(batch_op.f("ix_education_booking_event_id"))
        batch_op.drop_index(batch_op.f("ix_education_booking_compound_id"))

    op.drop_table("education_booking")
    with op.batch_alter_table("fee_provider_refund", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fee_provider_refund_status"))
        batch_op.drop_index(batch_op.f("ix_fee_provider_refund_compound_id"))

    op.drop_table("fee_provider_refund")
    with op.batch_alter_table("education_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_education_event_starts_at"))
        batch_op.drop_index(batch_op.f("ix_education_event_compound_id"))

    op.drop_table("education_event")

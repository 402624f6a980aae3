"""Vehicles and parking, second cut (issue 13): night rate and new-energy discount on car parks, merchant coupons,
capture photos, the no-plate token on stays, and the source reference that makes booking a parking payment into
the owners' common-income ledger idempotent.

Revision ID: ya20261206_parking_more
Revises: x20261206_district
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import anju.core.db

revision = "ya20261206_parking_more"
down_revision = "x20261206_district"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("car_park", schema=None) as batch_op:
        batch_op.add_column(sa.Column("night_per_hour_fen", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("night_from_minute", sa.Integer(), server_default="1320", nullable=False))
        batch_op.add_column(sa.Column("night_until_minute", sa.Integer(), server_default="420", nullable=False))
        batch_op.add_column(sa.Column("new_energy_percent_off", sa.Integer(), server_default="0", nullable=False))

    with op.batch_alter_table("parking_session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("no_plate_token", sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_parking_session_no_plate_token"), ["no_plate_token"])

    with op.batch_alter_table("fee_common_income", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_ref", sa.String(length=80), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_fee_common_income_source_ref"), ["source_ref"])

    op.create_table(
        "lane_photo",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lane_event_id", sa.Integer(), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("keep_box", sa.JSON(), nullable=True),
        sa.Column("other_boxes", sa.JSON(), nullable=True),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["lane_event_id"],
            ["lane_event.id"],
            name=op.f("fk_lane_photo_lane_event_id_lane_event"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lane_photo")),
        sa.UniqueConstraint("lane_event_id", name=op.f("uq_lane_photo_lane_event_id")),
    )
    with op.batch_alter_table("lane_photo", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lane_photo_compound_id"), ["compound_id"], unique=False)

    op.create_table(
        "parking_coupon",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("car_park_id", sa.Integer(), nullable=False),
        sa.Column("merchant", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("fen", sa.Integer(), nullable=False),
        sa.Column("valid_until", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("redeemed_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["car_park_id"], ["car_park.id"], name=op.f("fk_parking_coupon_car_park_id_car_park"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_parking_coupon_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["session_id"], ["parking_session.id"], name=op.f("fk_parking_coupon_session_id_parking_session")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parking_coupon")),
        sa.UniqueConstraint("compound_id", "code", name=op.f("uq_parking_coupon_compound_id_code")),
        sa.UniqueConstraint("session_id", name=op.f("uq_parking_coupon_session_id")),
    )
    with op.batch_alter_table("parking_coupon", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_parking_coupon_car_park_id"), ["car_park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_parking_coupon_compound_id"), ["compound_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("parking_coupon", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parking_coupon_compound_id"))
        batch_op.drop_index(batch_op.f("ix_parking_coupon_car_park_id"))
    op.drop_table("parking_coupon")
    with op.batch_alter_table("lane_photo", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lane_photo_compound_id"))
    op.drop_table("lane_photo")
    with op.batch_alter_table("fee_common_income", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_fee_common_income_source_ref"), type_="unique")
        batch_op.drop_column("source_ref")
    with op.batch_alter_table("parking_session", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_parking_session_no_plate_token"), type_="unique")
        batch_op.drop_column("no_plate_token")
    with op.batch_alter_table("car_park", schema=None) as batch_op:
        batch_op.drop_column("new_energy_percent_off")
        batch_op.drop_column("night_until_minute")
        batch_op.drop_column("night_from_minute")
        batch_op.drop_column("night_per_hour_fen")

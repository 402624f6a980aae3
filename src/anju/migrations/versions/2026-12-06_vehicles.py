"""Vehicles and parking (issue 13): car parks, spaces, lanes, passes, visitor cars, blacklist, parking sessions,
lane captures and fire-lane stops.

Revision ID: r20261206_vehicles
Revises: q20261206_go_live_rest
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import anju.core.db

revision = "r20261206_vehicles"
down_revision = "q20261206_go_live_rest"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "car_park",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column(
            "kind", sa.Enum("ground", "underground", name="carparkkind", native_enum=False, length=32), nullable=False
        ),
        sa.Column(
            "unknown_policy",
            sa.Enum("hold", "temporary", name="unknownpolicy", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("visitor_cap_per_house", sa.Integer(), nullable=False),
        sa.Column("free_minutes", sa.Integer(), nullable=False),
        sa.Column("per_hour_fen", sa.Integer(), nullable=False),
        sa.Column("day_cap_fen", sa.Integer(), nullable=False),
        sa.Column("exit_grace_minutes", sa.Integer(), nullable=False),
        sa.Column("zombie_days", sa.Integer(), nullable=False),
        sa.Column("fire_lane_minutes", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_car_park_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_car_park")),
    )
    with op.batch_alter_table("car_park", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_car_park_compound_id"), ["compound_id"], unique=False)

    op.create_table(
        "parking_space",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("car_park_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "owned",
                "rented",
                "public",
                "visitor",
                "charging",
                "accessible",
                "fire_lane",
                name="spacekind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("house_id", sa.Integer(), nullable=True),
        sa.Column("plan_x", sa.Float(), nullable=True),
        sa.Column("plan_y", sa.Float(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["car_park_id"], ["car_park.id"], name=op.f("fk_parking_space_car_park_id_car_park"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_parking_space_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(["house_id"], ["house.id"], name=op.f("fk_parking_space_house_id_house")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parking_space")),
        sa.UniqueConstraint("car_park_id", "code", name=op.f("uq_parking_space_car_park_id_code")),
    )
    with op.batch_alter_table("parking_space", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_parking_space_car_park_id"), ["car_park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_parking_space_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_parking_space_house_id"), ["house_id"], unique=False)

    op.create_table(
        "parking_lane",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("car_park_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column(
            "direction", sa.Enum("entry", "exit", name="lanedirection", native_enum=False, length=32), nullable=False
        ),
        sa.Column("barrier_device_id", sa.Integer(), nullable=True),
        sa.Column("camera_device_id", sa.Integer(), nullable=True),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["barrier_device_id"], ["device.id"], name=op.f("fk_parking_lane_barrier_device_id_device")
        ),
        sa.ForeignKeyConstraint(
            ["camera_device_id"], ["device.id"], name=op.f("fk_parking_lane_camera_device_id_device")
        ),
        sa.ForeignKeyConstraint(
            ["car_park_id"], ["car_park.id"], name=op.f("fk_parking_lane_car_park_id_car_park"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_parking_lane_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parking_lane")),
    )
    with op.batch_alter_table("parking_lane", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_parking_lane_barrier_device_id"), ["barrier_device_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_parking_lane_camera_device_id"), ["camera_device_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_parking_lane_car_park_id"), ["car_park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_parking_lane_compound_id"), ["compound_id"], unique=False)

    op.create_table(
        "parking_pass",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("car_park_id", sa.Integer(), nullable=False),
        sa.Column("space_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.Enum("monthly", "annual", name="passkind", native_enum=False, length=32), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("fee_fen", sa.Integer(), nullable=False),
        sa.Column("revoked_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["car_park_id"], ["car_park.id"], name=op.f("fk_parking_pass_car_park_id_car_park"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_parking_pass_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["space_id"], ["parking_space.id"], name=op.f("fk_parking_pass_space_id_parking_space")
        ),
        sa.ForeignKeyConstraint(
            ["vehicle_id"], ["vehicle.id"], name=op.f("fk_parking_pass_vehicle_id_vehicle"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parking_pass")),
    )
    with op.batch_alter_table("parking_pass", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_parking_pass_car_park_id"), ["car_park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_parking_pass_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_parking_pass_space_id"), ["space_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_parking_pass_vehicle_id"), ["vehicle_id"], unique=False)

    op.create_table(
        "visitor_car",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("house_id", sa.Integer(), nullable=False),
        sa.Column("plate", sa.String(length=16), nullable=False),
        sa.Column("valid_from", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("valid_until", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("cancelled_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_visitor_car_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(["created_by"], ["app_user.id"], name=op.f("fk_visitor_car_created_by_app_user")),
        sa.ForeignKeyConstraint(
            ["house_id"], ["house.id"], name=op.f("fk_visitor_car_house_id_house"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visitor_car")),
    )
    with op.batch_alter_table("visitor_car", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visitor_car_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_visitor_car_house_id"), ["house_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_visitor_car_plate"), ["plate"], unique=False)

    op.create_table(
        "parking_blacklist",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plate", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["compound.id"],
            name=op.f("fk_parking_blacklist_compound_id_compound"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parking_blacklist")),
        sa.UniqueConstraint("compound_id", "plate", name=op.f("uq_parking_blacklist_compound_id_plate")),
    )
    with op.batch_alter_table("parking_blacklist", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_parking_blacklist_compound_id"), ["compound_id"], unique=False)

    op.create_table(
        "parking_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("car_park_id", sa.Integer(), nullable=False),
        sa.Column("plate", sa.String(length=16), nullable=False),
        sa.Column(
            "category",
            sa.Enum("resident", "visitor", "temporary", name="sessioncategory", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("vehicle_id", sa.Integer(), nullable=True),
        sa.Column("visitor_car_id", sa.Integer(), nullable=True),
        sa.Column("house_id", sa.Integer(), nullable=True),
        sa.Column("entered_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("exited_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("exit_missed", sa.Boolean(), nullable=False),
        sa.Column("fee_fen", sa.Integer(), nullable=False),
        sa.Column("paid_fen", sa.Integer(), nullable=False),
        sa.Column("paid_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("paid_via", sa.Enum("booth", "qr", name="paidvia", native_enum=False, length=32), nullable=True),
        sa.Column("payment_ref", sa.String(length=64), nullable=True),
        sa.Column("zombie_flagged_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["car_park_id"], ["car_park.id"], name=op.f("fk_parking_session_car_park_id_car_park"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_parking_session_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(["house_id"], ["house.id"], name=op.f("fk_parking_session_house_id_house")),
        sa.ForeignKeyConstraint(["vehicle_id"], ["vehicle.id"], name=op.f("fk_parking_session_vehicle_id_vehicle")),
        sa.ForeignKeyConstraint(
            ["visitor_car_id"], ["visitor_car.id"], name=op.f("fk_parking_session_visitor_car_id_visitor_car")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parking_session")),
        sa.UniqueConstraint("payment_ref", name=op.f("uq_parking_session_payment_ref")),
    )
    with op.batch_alter_table("parking_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_parking_session_car_park_id"), ["car_park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_parking_session_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_parking_session_exited_at"), ["exited_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_parking_session_house_id"), ["house_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_parking_session_plate"), ["plate"], unique=False)

    op.create_table(
        "lane_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lane_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("plate", sa.String(length=16), nullable=True),
        sa.Column("camera_plate", sa.String(length=16), nullable=True),
        sa.Column("read_confidence", sa.Float(), nullable=True),
        sa.Column("had_image", sa.Boolean(), nullable=False),
        sa.Column(
            "decision", sa.Enum("open", "hold", "deny", name="decision", native_enum=False, length=32), nullable=False
        ),
        sa.Column(
            "reason",
            sa.Enum(
                "resident_pass",
                "registered_vehicle",
                "visitor",
                "visitor_cap",
                "temporary",
                "unknown",
                "blacklist",
                "unreadable",
                "fee_due",
                "fee_paid",
                "free_exit",
                "no_entry",
                "released",
                name="decisionreason",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("fee_fen", sa.Integer(), nullable=False),
        sa.Column("command_id", sa.Integer(), nullable=True),
        sa.Column("released_by", sa.Integer(), nullable=True),
        sa.Column("release_reason", sa.String(length=200), nullable=True),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_lane_event_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["lane_id"], ["parking_lane.id"], name=op.f("fk_lane_event_lane_id_parking_lane"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["released_by"], ["app_user.id"], name=op.f("fk_lane_event_released_by_app_user")),
        sa.ForeignKeyConstraint(
            ["session_id"], ["parking_session.id"], name=op.f("fk_lane_event_session_id_parking_session")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lane_event")),
        sa.UniqueConstraint("lane_id", "event_id", name=op.f("uq_lane_event_lane_id_event_id")),
    )
    with op.batch_alter_table("lane_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lane_event_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_lane_event_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_lane_event_lane_id"), ["lane_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_lane_event_session_id"), ["session_id"], unique=False)

    op.create_table(
        "fire_lane_stop",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("space_id", sa.Integer(), nullable=False),
        sa.Column("plate", sa.String(length=16), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("started_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("alarmed_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_fire_lane_stop_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["space_id"],
            ["parking_space.id"],
            name=op.f("fk_fire_lane_stop_space_id_parking_space"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fire_lane_stop")),
    )
    with op.batch_alter_table("fire_lane_stop", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fire_lane_stop_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_fire_lane_stop_ended_at"), ["ended_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_fire_lane_stop_space_id"), ["space_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("fire_lane_stop", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fire_lane_stop_space_id"))
        batch_op.drop_index(batch_op.f("ix_fire_lane_stop_ended_at"))
        batch_op.drop_index(batch_op.f("ix_fire_lane_stop_compound_id"))

    op.drop_table("fire_lane_stop")
    with op.batch_alter_table("lane_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lane_event_session_id"))
        batch_op.drop_index(batch_op.f("ix_lane_event_lane_id"))
        batch_op.drop_index(batch_op.f("ix_lane_event_compound_id"))
        batch_op.drop_index(batch_op.f("ix_lane_event_at"))

    op.drop_table("lane_event")
    with op.batch_alter_table("parking_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parking_session_plate"))
        batch_op.drop_index(batch_op.f("ix_parking_session_house_id"))
        batch_op.drop_index(batch_op.f("ix_parking_session_exited_at"))
        batch_op.drop_index(batch_op.f("ix_parking_session_compound_id"))
        batch_op.drop_index(batch_op.f("ix_parking_session_car_park_id"))

    op.drop_table("parking_session")
    with op.batch_alter_table("parking_blacklist", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parking_blacklist_compound_id"))

    op.drop_table("parking_blacklist")
    with op.batch_alter_table("visitor_car", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visitor_car_plate"))
        batch_op.drop_index(batch_op.f("ix_visitor_car_house_id"))
        batch_op.drop_index(batch_op.f("ix_visitor_car_compound_id"))

    op.drop_table("visitor_car")
    with op.batch_alter_table("parking_pass", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parking_pass_vehicle_id"))
        batch_op.drop_index(batch_op.f("ix_parking_pass_space_id"))
        batch_op.drop_index(batch_op.f("ix_parking_pass_compound_id"))
        batch_op.drop_index(batch_op.f("ix_parking_pass_car_park_id"))

    op.drop_table("parking_pass")
    with op.batch_alter_table("parking_lane", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parking_lane_compound_id"))
        batch_op.drop_index(batch_op.f("ix_parking_lane_car_park_id"))
        batch_op.drop_index(batch_op.f("ix_parking_lane_camera_device_id"))
        batch_op.drop_index(batch_op.f("ix_parking_lane_barrier_device_id"))

    op.drop_table("parking_lane")
    with op.batch_alter_table("parking_space", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parking_space_house_id"))
        batch_op.drop_index(batch_op.f("ix_parking_space_compound_id"))
        batch_op.drop_index(batch_op.f("ix_parking_space_car_park_id"))

    op.drop_table("parking_space")
    with op.batch_alter_table("car_park", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_car_park_compound_id"))

    op.drop_table("car_park")

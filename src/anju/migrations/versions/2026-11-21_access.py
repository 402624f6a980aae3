"""access control, credentials, face templates, visitors

Revision ID: c20261121_access
Revises: b20261121_devices_alarms
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import anju.core.db

revision = "c20261121_access"
down_revision = "b20261121_devices_alarms"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "face_filing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("reached_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("filed_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisation.id"], name=op.f("fk_face_filing_organisation_id_organisation")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_face_filing")),
        sa.UniqueConstraint("organisation_id", name=op.f("uq_face_filing_organisation_id")),
    )
    op.create_table(
        "access_signing_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kid", sa.String(length=16), nullable=False),
        sa.Column("private_enc", sa.Text(), nullable=False),
        sa.Column("public_b64", sa.String(length=64), nullable=False),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("retired_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["compound.id"],
            name=op.f("fk_access_signing_key_compound_id_compound"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_signing_key")),
        sa.UniqueConstraint("compound_id", "kid", name=op.f("uq_access_signing_key_compound_id_kid")),
    )
    with op.batch_alter_table("access_signing_key", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_access_signing_key_compound_id"), ["compound_id"], unique=False)

    op.create_table(
        "face_index_state",
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("templates", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_face_index_state_compound_id_compound")
        ),
        sa.PrimaryKeyConstraint("compound_id", name=op.f("pk_face_index_state")),
    )
    op.create_table(
        "face_photo",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("subject_ref", sa.String(length=32), nullable=False),
        sa.Column("image_enc", sa.Text(), nullable=False),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["compound_id"], ["compound.id"], name=op.f("fk_face_photo_compound_id_compound")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_face_photo")),
    )
    with op.batch_alter_table("face_photo", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_face_photo_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_face_photo_subject_ref"), ["subject_ref"], unique=False)

    op.create_table(
        "face_template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("subject_ref", sa.String(length=32), nullable=False),
        sa.Column("template_enc", sa.Text(), nullable=False),
        sa.Column("model", sa.String(length=32), nullable=False),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["compound_id"], ["compound.id"], name=op.f("fk_face_template_compound_id_compound")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_face_template")),
    )
    with op.batch_alter_table("face_template", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_face_template_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_face_template_subject_ref"), ["subject_ref"], unique=False)

    op.create_table(
        "access_terminal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("device_credential_id", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("face_capable", sa.Boolean(), nullable=False),
        sa.Column("list_version", sa.Integer(), nullable=False),
        sa.Column("acked_version", sa.Integer(), nullable=False),
        sa.Column("last_sync_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_seen_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_access_terminal_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["device_credential_id"],
            ["device_credential.id"],
            name=op.f("fk_access_terminal_device_credential_id_device_credential"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_terminal")),
        sa.UniqueConstraint("device_credential_id", name=op.f("uq_access_terminal_device_credential_id")),
        sa.UniqueConstraint("key_id", name=op.f("uq_access_terminal_key_id")),
    )
    with op.batch_alter_table("access_terminal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_access_terminal_compound_id"), ["compound_id"], unique=False)

    op.create_table(
        "access_blacklist",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("card_bidx", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.String(length=255), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_access_blacklist_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(["created_by"], ["app_user.id"], name=op.f("fk_access_blacklist_created_by_app_user")),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_access_blacklist_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_blacklist")),
    )
    with op.batch_alter_table("access_blacklist", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_access_blacklist_card_bidx"), ["card_bidx"], unique=False)
        batch_op.create_index(batch_op.f("ix_access_blacklist_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_access_blacklist_person_id"), ["person_id"], unique=False)

    op.create_table(
        "access_point",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "gate_pedestrian",
                "gate_vehicle",
                "unit_door",
                "garage_door",
                "lift",
                "locker",
                name="accesspointkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "location_type",
            sa.Enum(
                "outdoor",
                "entrance",
                "lobby",
                "corridor",
                "garage",
                "lift_car",
                "toilet",
                "bathroom",
                "changing_room",
                "hotel_room",
                "other",
                name="locationtype",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("building_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("evacuation_route", sa.Boolean(), nullable=False),
        sa.Column("public_area", sa.Boolean(), nullable=False),
        sa.Column("face_capable", sa.Boolean(), nullable=False),
        sa.Column("signage_installed", sa.Boolean(), nullable=False),
        sa.Column("face_enabled", sa.Boolean(), nullable=False),
        sa.Column("anti_passback", sa.Boolean(), nullable=False),
        sa.Column("open_from", sa.Time(), nullable=True),
        sa.Column("open_until", sa.Time(), nullable=True),
        sa.Column("fail_open_since", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("fail_open_cause", sa.String(length=64), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["building_id"], ["building.id"], name=op.f("fk_access_point_building_id_building")),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_access_point_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_access_point_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_point")),
    )
    with op.batch_alter_table("access_point", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_access_point_building_id"), ["building_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_access_point_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_access_point_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "face_pia",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("purpose", sa.String(length=128), nullable=False),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("risks", sa.Text(), nullable=False),
        sa.Column("measures", sa.Text(), nullable=False),
        sa.Column("retention_note", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("keep_until", sa.Date(), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_face_pia_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(["created_by"], ["app_user.id"], name=op.f("fk_face_pia_created_by_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_face_pia")),
    )
    with op.batch_alter_table("face_pia", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_face_pia_compound_id"), ["compound_id"], unique=False)

    op.create_table(
        "terminal_list_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("terminal_id", sa.Integer(), nullable=False),
        sa.Column("entry_key", sa.String(length=48), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("changed_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["terminal_id"],
            ["access_terminal.id"],
            name=op.f("fk_terminal_list_entry_terminal_id_access_terminal"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_terminal_list_entry")),
        sa.UniqueConstraint("terminal_id", "entry_key", name=op.f("uq_terminal_list_entry_terminal_id_entry_key")),
    )
    with op.batch_alter_table("terminal_list_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_terminal_list_entry_terminal_id"), ["terminal_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_terminal_list_entry_version"), ["version"], unique=False)

    op.create_table(
        "terminal_push",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("terminal_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("body", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=255), nullable=True),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("next_try_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["terminal_id"],
            ["access_terminal.id"],
            name=op.f("fk_terminal_push_terminal_id_access_terminal"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_terminal_push")),
    )
    with op.batch_alter_table("terminal_push", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_terminal_push_next_try_at"), ["next_try_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_terminal_push_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_terminal_push_terminal_id"), ["terminal_id"], unique=False)

    op.create_table(
        "access_credential",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("card", "pin", "qr", "face", name="credentialkind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum("active", "revoked", name="credentialstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("card_enc", sa.Text(), nullable=True),
        sa.Column("card_bidx", sa.String(length=32), nullable=True),
        sa.Column("card_masked", sa.String(length=32), nullable=True),
        sa.Column("pin_digest", sa.String(length=64), nullable=True),
        sa.Column("scope_access_point_id", sa.Integer(), nullable=True),
        sa.Column("subject_ref", sa.String(length=32), nullable=True),
        sa.Column("valid_until", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.String(length=64), nullable=True),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["compound.id"],
            name=op.f("fk_access_credential_compound_id_compound"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_access_credential_person_id_person")),
        sa.ForeignKeyConstraint(
            ["scope_access_point_id"],
            ["access_point.id"],
            name=op.f("fk_access_credential_scope_access_point_id_access_point"),
        ),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_access_credential_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_credential")),
    )
    with op.batch_alter_table("access_credential", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_access_credential_card_bidx"), ["card_bidx"], unique=False)
        batch_op.create_index(batch_op.f("ix_access_credential_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_access_credential_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_access_credential_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_access_credential_pin_digest"), ["pin_digest"], unique=False)
        batch_op.create_index(batch_op.f("ix_access_credential_subject_ref"), ["subject_ref"], unique=False)
        batch_op.create_index(batch_op.f("ix_access_credential_user_id"), ["user_id"], unique=False)

    op.create_table(
        "access_grant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("kinds", sa.JSON(), nullable=False),
        sa.Column("access_point_id", sa.Integer(), nullable=True),
        sa.Column("shift_start", sa.Time(), nullable=True),
        sa.Column("shift_end", sa.Time(), nullable=True),
        sa.Column("weekdays", sa.JSON(), nullable=True),
        sa.Column("valid_from", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("valid_until", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["access_point_id"], ["access_point.id"], name=op.f("fk_access_grant_access_point_id_access_point")
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_access_grant_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_access_grant_person_id_person")),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_access_grant_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_grant")),
    )
    with op.batch_alter_table("access_grant", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_access_grant_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_access_grant_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_access_grant_user_id"), ["user_id"], unique=False)

    op.create_table(
        "access_qr_use",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=32), nullable=False),
        sa.Column("access_point_id", sa.Integer(), nullable=False),
        sa.Column("used_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["access_point_id"],
            ["access_point.id"],
            name=op.f("fk_access_qr_use_access_point_id_access_point"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_qr_use")),
        sa.UniqueConstraint("digest", "access_point_id", name=op.f("uq_access_qr_use_digest_access_point_id")),
    )
    with op.batch_alter_table("access_qr_use", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_access_qr_use_used_at"), ["used_at"], unique=False)

    op.create_table(
        "terminal_access_point",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("terminal_id", sa.Integer(), nullable=False),
        sa.Column("access_point_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["access_point_id"],
            ["access_point.id"],
            name=op.f("fk_terminal_access_point_access_point_id_access_point"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["terminal_id"],
            ["access_terminal.id"],
            name=op.f("fk_terminal_access_point_terminal_id_access_terminal"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_terminal_access_point")),
        sa.UniqueConstraint(
            "terminal_id", "access_point_id", name=op.f("uq_terminal_access_point_terminal_id_access_point_id")
        ),
    )
    with op.batch_alter_table("terminal_access_point", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_terminal_access_point_access_point_id"), ["access_point_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_terminal_access_point_terminal_id"), ["terminal_id"], unique=False)

    op.create_table(
        "visitor_pass",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Enum("visitor", "courier", name="passkind", native_enum=False, length=32), nullable=False),
        sa.Column("host_house_id", sa.Integer(), nullable=False),
        sa.Column("host_person_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("visitor_name", sa.String(length=32), nullable=True),
        sa.Column("visitor_phone_enc", sa.Text(), nullable=True),
        sa.Column("visitor_phone_masked", sa.String(length=32), nullable=True),
        sa.Column("valid_from", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("valid_until", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("entries_allowed", sa.Integer(), nullable=False),
        sa.Column("entries_used", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending", "active", "used_up", "revoked", "rejected", name="passstatus", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("walk_in", sa.Boolean(), nullable=False),
        sa.Column("nonce", sa.String(length=32), nullable=False),
        sa.Column("approved_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("note", sa.String(length=128), nullable=True),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_visitor_pass_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(["created_by"], ["app_user.id"], name=op.f("fk_visitor_pass_created_by_app_user")),
        sa.ForeignKeyConstraint(["host_house_id"], ["house.id"], name=op.f("fk_visitor_pass_host_house_id_house")),
        sa.ForeignKeyConstraint(["host_person_id"], ["person.id"], name=op.f("fk_visitor_pass_host_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visitor_pass")),
    )
    with op.batch_alter_table("visitor_pass", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visitor_pass_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_visitor_pass_host_house_id"), ["host_house_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_visitor_pass_host_person_id"), ["host_person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_visitor_pass_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_visitor_pass_valid_until"), ["valid_until"], unique=False)

    op.create_table(
        "access_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("access_point_id", sa.Integer(), nullable=True),
        sa.Column("terminal_id", sa.Integer(), nullable=True),
        sa.Column("record_id", sa.String(length=64), nullable=True),
        sa.Column(
            "method",
            sa.Enum(
                "card",
                "pin",
                "qr",
                "visitor_qr",
                "face",
                "remote",
                "fail_open",
                name="method",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("decision", sa.Enum("allow", "deny", name="decision", native_enum=False, length=32), nullable=False),
        sa.Column("reason", sa.String(length=48), nullable=False),
        sa.Column("direction", sa.String(length=4), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("credential_id", sa.Integer(), nullable=True),
        sa.Column("visitor_pass_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("server_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("device_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("clock_skew_s", sa.Integer(), nullable=True),
        sa.Column("skew_flagged", sa.Boolean(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["access_point_id"],
            ["access_point.id"],
            name=op.f("fk_access_log_access_point_id_access_point"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_access_log_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["access_credential.id"],
            name=op.f("fk_access_log_credential_id_access_credential"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_access_log_person_id_person")),
        sa.ForeignKeyConstraint(
            ["terminal_id"],
            ["access_terminal.id"],
            name=op.f("fk_access_log_terminal_id_access_terminal"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_access_log_user_id_app_user")),
        sa.ForeignKeyConstraint(
            ["visitor_pass_id"],
            ["visitor_pass.id"],
            name=op.f("fk_access_log_visitor_pass_id_visitor_pass"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_log")),
        sa.UniqueConstraint("terminal_id", "record_id", name=op.f("uq_access_log_terminal_id_record_id")),
    )
    with op.batch_alter_table("access_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_access_log_access_point_id"), ["access_point_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_access_log_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_access_log_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_access_log_server_at"), ["server_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_access_log_visitor_pass_id"), ["visitor_pass_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("access_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_log_visitor_pass_id"))
        batch_op.drop_index(batch_op.f("ix_access_log_server_at"))
        batch_op.drop_index(batch_op.f("ix_access_log_person_id"))
        batch_op.drop_index(batch_op.f("ix_access_log_compound_id"))
        batch_op.drop_index(batch_op.f("ix_access_log_access_point_id"))

    op.drop_table("access_log")
    with op.batch_alter_table("visitor_pass", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visitor_pass_valid_until"))
        batch_op.drop_index(batch_op.f("ix_visitor_pass_status"))
        batch_op.drop_index(batch_op.f("ix_visitor_pass_host_person_id"))
        batch_op.drop_index(batch_op.f("ix_visitor_pass_host_house_id"))
        batch_op.drop_index(batch_op.f("ix_visitor_pass_compound_id"))

    op.drop_table("visitor_pass")
    with op.batch_alter_table("terminal_access_point", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_terminal_access_point_terminal_id"))
        batch_op.drop_index(batch_op.f("ix_terminal_access_point_access_point_id"))

    op.drop_table("terminal_access_point")
    with op.batch_alter_table("access_qr_use", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_qr_use_used_at"))

    op.drop_table("access_qr_use")
    with op.batch_alter_table("access_grant", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_grant_user_id"))
        batch_op.drop_index(batch_op.f("ix_access_grant_person_id"))
        batch_op.drop_index(batch_op.f("ix_access_grant_compound_id"))

    op.drop_table("access_grant")
    with op.batch_alter_table("access_credential", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_credential_user_id"))
        batch_op.drop_index(batch_op.f("ix_access_credential_subject_ref"))
        batch_op.drop_index(batch_op.f("ix_access_credential_pin_digest"))
        batch_op.drop_index(batch_op.f("ix_access_credential_person_id"))
        batch_op.drop_index(batch_op.f("ix_access_credential_kind"))
        batch_op.drop_index(batch_op.f("ix_access_credential_compound_id"))
        batch_op.drop_index(batch_op.f("ix_access_credential_card_bidx"))

    op.drop_table("access_credential")
    with op.batch_alter_table("terminal_push", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_terminal_push_terminal_id"))
        batch_op.drop_index(batch_op.f("ix_terminal_push_status"))
        batch_op.drop_index(batch_op.f("ix_terminal_push_next_try_at"))

    op.drop_table("terminal_push")
    with op.batch_alter_table("terminal_list_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_terminal_list_entry_version"))
        batch_op.drop_index(batch_op.f("ix_terminal_list_entry_terminal_id"))

    op.drop_table("terminal_list_entry")
    with op.batch_alter_table("face_pia", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_face_pia_compound_id"))

    op.drop_table("face_pia")
    with op.batch_alter_table("access_point", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_point_unit_id"))
        batch_op.drop_index(batch_op.f("ix_access_point_compound_id"))
        batch_op.drop_index(batch_op.f("ix_access_point_building_id"))

    op.drop_table("access_point")
    with op.batch_alter_table("access_blacklist", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_blacklist_person_id"))
        batch_op.drop_index(batch_op.f("ix_access_blacklist_compound_id"))
        batch_op.drop_index(batch_op.f("ix_access_blacklist_card_bidx"))

    op.drop_table("access_blacklist")
    with op.batch_alter_table("access_terminal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_terminal_compound_id"))

    op.drop_table("access_terminal")
    with op.batch_alter_table("face_template", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_face_template_subject_ref"))
        batch_op.drop_index(batch_op.f("ix_face_template_compound_id"))

    op.drop_table("face_template")
    with op.batch_alter_table("face_photo", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_face_photo_subject_ref"))
        batch_op.drop_index(batch_op.f("ix_face_photo_compound_id"))

    op.drop_table("face_photo")
    op.drop_table("face_index_state")
    with op.batch_alter_table("access_signing_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_signing_key_compound_id"))

    op.drop_table("access_signing_key")
    op.drop_table("face_filing")

"""Video analytics (issue 14): cameras, detected events, evidence files, the footage access log.

Revision ID: v20261206_video
Revises: u20261206_command_picture
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import anju.core.db

revision = "v20261206_video"
down_revision = "u20261206_command_picture"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "video_camera",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("url_enc", sa.Text(), nullable=False),
        sa.Column("fov_deg", sa.Integer(), nullable=False),
        sa.Column("heading_deg", sa.Integer(), nullable=True),
        sa.Column("public_area", sa.Boolean(), nullable=False),
        sa.Column("key_target", sa.Boolean(), nullable=False),
        sa.Column("retention_days", sa.Integer(), nullable=False),
        sa.Column("signage_installed", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("analytics", sa.JSON(), nullable=False),
        sa.Column("health", sa.String(length=16), nullable=False),
        sa.Column("fps", sa.Float(), nullable=True),
        sa.Column("last_frame_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=255), nullable=True),
        sa.Column("snapshot_key", sa.String(length=255), nullable=True),
        sa.Column("leased_by", sa.String(length=64), nullable=True),
        sa.Column("lease_until", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_video_camera_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(["device_id"], ["device.id"], name=op.f("fk_video_camera_device_id_device")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_video_camera")),
        sa.UniqueConstraint("device_id", name=op.f("uq_video_camera_device_id")),
    )
    op.create_index(op.f("ix_video_camera_compound_id"), "video_camera", ["compound_id"], unique=False)
    op.create_table(
        "video_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("camera_id", sa.Integer(), nullable=False),
        sa.Column("detector", sa.String(length=32), nullable=False),
        sa.Column("zone", sa.String(length=64), nullable=True),
        sa.Column("event_key", sa.String(length=160), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("started_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("detected_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("box", sa.JSON(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("alarm_dedupe_key", sa.String(length=128), nullable=False),
        sa.Column("alarm_id", sa.Integer(), nullable=True),
        sa.Column("review", sa.String(length=16), nullable=True),
        sa.Column("reviewed_by", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("review_reason", sa.String(length=255), nullable=True),
        sa.Column("retain_until", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("hold_until", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("hold_reason", sa.String(length=255), nullable=True),
        sa.Column("purged_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["camera_id"], ["video_camera.id"], name=op.f("fk_video_event_camera_id_video_camera")),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_video_event_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(["reviewed_by"], ["app_user.id"], name=op.f("fk_video_event_reviewed_by_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_video_event")),
        sa.UniqueConstraint("camera_id", "event_key", name=op.f("uq_video_event_camera_id_event_key")),
    )
    op.create_index(op.f("ix_video_event_alarm_id"), "video_event", ["alarm_id"], unique=False)
    op.create_index("ix_video_event_camera_detected", "video_event", ["camera_id", "detected_at"], unique=False)
    op.create_index(op.f("ix_video_event_compound_id"), "video_event", ["compound_id"], unique=False)
    op.create_index(op.f("ix_video_event_detector"), "video_event", ["detector"], unique=False)
    op.create_index(op.f("ix_video_event_retain_until"), "video_event", ["retain_until"], unique=False)
    op.create_table(
        "video_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("frames", sa.Integer(), nullable=False),
        sa.Column("range_start", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("range_end", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["video_event.id"], name=op.f("fk_video_evidence_event_id_video_event")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_video_evidence")),
    )
    op.create_index(op.f("ix_video_evidence_compound_id"), "video_evidence", ["compound_id"], unique=False)
    op.create_index(op.f("ix_video_evidence_event_id"), "video_evidence", ["event_id"], unique=False)
    op.create_table(
        "video_access_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("camera_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("evidence_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=255), nullable=False),
        sa.Column("range_start", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("range_end", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("masked", sa.Boolean(), nullable=False),
        sa.Column("at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["camera_id"], ["video_camera.id"], name=op.f("fk_video_access_log_camera_id_video_camera")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["video_event.id"], name=op.f("fk_video_access_log_event_id_video_event")
        ),
        sa.ForeignKeyConstraint(
            ["evidence_id"], ["video_evidence.id"], name=op.f("fk_video_access_log_evidence_id_video_evidence")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_video_access_log_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_video_access_log")),
    )
    op.create_index(op.f("ix_video_access_log_at"), "video_access_log", ["at"], unique=False)
    op.create_index(op.f("ix_video_access_log_camera_id"), "video_access_log", ["camera_id"], unique=False)
    op.create_index(op.f("ix_video_access_log_compound_id"), "video_access_log", ["compound_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_video_access_log_compound_id"), table_name="video_access_log")
    op.drop_index(op.f("ix_video_access_log_camera_id"), table_name="video_access_log")
    op.drop_index(op.f("ix_video_access_log_at"), table_name="video_access_log")
    op.drop_table("video_access_log")
    op.drop_index(op.f("ix_video_evidence_event_id"), table_name="video_evidence")
    op.drop_index(op.f("ix_video_evidence_compound_id"), table_name="video_evidence")
    op.drop_table("video_evidence")
    op.drop_index(op.f("ix_video_event_retain_until"), table_name="video_event")
    op.drop_index(op.f("ix_video_event_detector"), table_name="video_event")
    op.drop_index(op.f("ix_video_event_compound_id"), table_name="video_event")
    op.drop_index("ix_video_event_camera_detected", table_name="video_event")
    op.drop_index(op.f("ix_video_event_alarm_id"), table_name="video_event")
    op.drop_table("video_event")
    op.drop_index(op.f("ix_video_camera_compound_id"), table_name="video_camera")
    op.drop_table("video_camera")

"""Video tables: cameras (with health and the worker lease), detected events, evidence files, the access log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from anju.core.db import Base, UTCDateTime, utcnow
from anju.core.mixins import CompoundScopedMixin, TimestampedMixin


class Camera(CompoundScopedMixin, TimestampedMixin, Base):
    """A camera: its stream (URL with credentials, encrypted at rest), analytics, retention and health.

    Location on the site plan, building and place live on its `device` row (device type camera), so the site
    plan, the device panel and the device-offline alarm (R-A6) treat it like any other device.
    """

    __tablename__ = "video_camera"
    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id"), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    url_enc: Mapped[str] = mapped_column(Text)  # AES-GCM of rtsp://user:password@host/… or a file path
    fov_deg: Mapped[int] = mapped_column(Integer, default=90)  # horizontal field of view
    heading_deg: Mapped[int | None] = mapped_column(Integer)  # where it looks on the site plan, 0 = north
    range_m: Mapped[float | None] = mapped_column(Float)  # how far it sees, metres (plan units by the plan's scale)
    public_area: Mapped[bool] = mapped_column(default=True)
    key_target: Mapped[bool] = mapped_column(default=False)  # counter-terror key target: 90-day retention
    retention_days: Mapped[int] = mapped_column(Integer, default=30)
    signage_installed: Mapped[bool] = mapped_column(default=False)  # R-F10
    active: Mapped[bool] = mapped_column(default=False)
    # [{"detector": "intrusion", "zones": [{"name", "points"}], "schedule": {"from": "22:00", "to": "06:00"},
    #   "params": {...}}] — points in normalised image coordinates (0..1).
    analytics: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    health: Mapped[str] = mapped_column(String(16), default="unknown")
    fps: Mapped[float | None] = mapped_column(Float)
    last_frame_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(255))
    retries: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # failed connects in a row (0 once up)
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the worker's next reconnect
    snapshot_key: Mapped[str | None] = mapped_column(String(255))  # latest frame, for the zone editor
    leased_by: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class VideoEvent(CompoundScopedMixin, Base):
    """One incident a detector decided on; UNIQUE(camera, event_key) makes a restarted worker's repeat a no-op."""

    __tablename__ = "video_event"
    __table_args__ = (
        UniqueConstraint("camera_id", "event_key"),
        Index("ix_video_event_camera_detected", "camera_id", "detected_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    camera_id: Mapped[int] = mapped_column(ForeignKey("video_camera.id"))
    detector: Mapped[str] = mapped_column(String(32), index=True)
    zone: Mapped[str | None] = mapped_column(String(64))
    event_key: Mapped[str] = mapped_column(String(160))
    score: Mapped[float] = mapped_column(Float)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime())
    box: Mapped[list[int]] = mapped_column(JSON, default=list)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    alarm_dedupe_key: Mapped[str] = mapped_column(String(128))
    alarm_id: Mapped[int | None] = mapped_column(Integer, index=True)  # filled when the alarm centre raised it
    review: Mapped[str | None] = mapped_column(String(16))  # confirmed | dismissed
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    review_reason: Mapped[str | None] = mapped_column(String(255))
    retain_until: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    hold_until: Mapped[datetime | None] = mapped_column(UTCDateTime())  # legal hold extends retention
    hold_reason: Mapped[str | None] = mapped_column(String(255))
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The alarm is raised at the decision; the clip (seconds after it) attaches later: pending | attached |
    # missing (its delivery failed its sha256 or never came). None: recorded before this existed, clip inline.
    clip_state: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class VideoEvidence(Base):
    """An evidence file of an event: where it is stored and its sha256 (checked on every read)."""

    __tablename__ = "video_evidence"
    __table_args__ = (UniqueConstraint("event_id", "kind"),)  # a file delivered twice attaches once
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("video_event.id"), index=True)
    compound_id: Mapped[int] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(16))  # snapshot | clip
    key: Mapped[str | None] = mapped_column(String(255))  # None once deleted at the end of retention
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(64))
    frames: Mapped[int] = mapped_column(Integer, default=1)
    range_start: Mapped[datetime] = mapped_column(UTCDateTime())
    range_end: Mapped[datetime] = mapped_column(UTCDateTime())


class VideoAccessLog(Base):
    """Every playback, download or export of footage: user, time, camera, range and reason (R-A2). Append-only."""

    __tablename__ = "video_access_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(Integer, index=True)
    camera_id: Mapped[int] = mapped_column(ForeignKey("video_camera.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("video_event.id"))
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("video_evidence.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    action: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(255))
    range_start: Mapped[datetime] = mapped_column(UTCDateTime())
    range_end: Mapped[datetime] = mapped_column(UTCDateTime())
    masked: Mapped[bool] = mapped_column(default=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

"""Video API schemas."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field, field_validator

from anju.core.schemas import InSchema, Schema
from anju.video.enums import AccessAction, DetectorKind, ReviewVerdict


class ZoneIn(InSchema):
    name: str = Field(min_length=1, max_length=64)
    points: list[tuple[float, float]] = Field(min_length=3, max_length=64)  # normalised image coordinates
    parking_space_id: int | None = Field(None, ge=1, le=2**31 - 1)  # a fire-lane zone's place (shared alarm)

    @field_validator("points")
    @classmethod
    def _inside(cls, v: list[tuple[float, float]]) -> list[tuple[float, float]]:
        for x, y in v:
            if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
                raise ValueError("points are fractions of the image, 0 to 1")
        return v


class ScheduleIn(InSchema):
    """Active window in China time, e.g. 22:00 to 06:00 (crosses midnight); absent: always active."""

    start: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    end: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")


class AnalyticIn(InSchema):
    detector: DetectorKind
    zones: list[ZoneIn] = Field(default_factory=list, max_length=16)
    schedule: ScheduleIn | None = None
    params: dict[str, Any] = Field(default_factory=dict)  # thresholds (loiter_seconds, limit_seconds, floors …)


class CameraCreate(InSchema):
    compound_id: int = Field(ge=1, le=2**31 - 1)
    device_key: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    name: str = Field(min_length=1, max_length=64)
    url: str = Field(min_length=1, max_length=1000)  # rtsp://user:password@host:554/… or a file path (replay)
    building_id: int | None = Field(None, ge=1, le=2**31 - 1)
    location: str | None = Field(None, max_length=128)
    plan_x: int | None = Field(None, ge=-100_000, le=100_000)
    plan_y: int | None = Field(None, ge=-100_000, le=100_000)
    fov_deg: int = Field(90, ge=1, le=360)
    heading_deg: int | None = Field(None, ge=0, le=359)
    range_m: float | None = Field(None, ge=0, le=10_000)  # how far it sees, metres
    public_area: bool = True
    key_target: bool = False
    retention_days: int = Field(30, ge=1, le=3650)
    signage_installed: bool = False
    analytics: list[AnalyticIn] = Field(default_factory=list, max_length=16)


class CameraPatch(InSchema):
    name: str | None = Field(None, min_length=1, max_length=64)
    url: str | None = Field(None, min_length=1, max_length=1000)
    fov_deg: int | None = Field(None, ge=1, le=360)
    heading_deg: int | None = Field(None, ge=0, le=359)
    range_m: float | None = Field(None, ge=0, le=10_000)
    plan_x: int | None = Field(None, ge=-100_000, le=100_000)  # its device's point on the site plan
    plan_y: int | None = Field(None, ge=-100_000, le=100_000)
    public_area: bool | None = None
    key_target: bool | None = None
    retention_days: int | None = Field(None, ge=1, le=3650)
    signage_installed: bool | None = None
    active: bool | None = None
    analytics: list[AnalyticIn] | None = Field(None, max_length=16)


class CameraRead(Schema):
    id: int
    compound_id: int
    device_id: int
    name: str
    url_display: str  # credentials never leave the server
    fov_deg: int
    heading_deg: int | None
    range_m: float | None
    public_area: bool
    key_target: bool
    retention_days: int
    signage_installed: bool
    active: bool
    analytics: list[dict[str, Any]]
    health: str
    fps: float | None
    last_frame_at: datetime | None
    last_error: str | None


class EvidenceRead(Schema):
    id: int
    kind: str
    sha256: str
    size: int
    content_type: str
    frames: int
    range_start: datetime
    range_end: datetime
    available: bool


class VideoEventRead(Schema):
    id: int
    compound_id: int
    camera_id: int
    detector: str
    zone: str | None
    score: float
    started_at: datetime
    detected_at: datetime
    box: list[int]
    details: dict[str, Any]
    alarm_id: int | None
    review: str | None
    reviewed_at: datetime | None
    review_reason: str | None
    retain_until: datetime
    hold_until: datetime | None
    purged_at: datetime | None
    clip_state: str = "attached"  # pending (after the decision) | attached | missing (lost: the alarm stands)
    evidence: list[EvidenceRead] = []


class ReviewBody(InSchema):
    verdict: ReviewVerdict
    reason: str = Field(min_length=1, max_length=255)


class HoldBody(InSchema):
    until: datetime
    reason: str = Field(min_length=1, max_length=255)


class FootageQuery(InSchema):
    action: AccessAction = AccessAction.playback
    reason: str = Field(min_length=1, max_length=255)


class AccessLogRead(Schema):
    id: int
    compound_id: int
    camera_id: int
    event_id: int | None
    evidence_id: int | None
    user_id: int
    action: str
    reason: str
    range_start: datetime
    range_end: datetime
    masked: bool
    at: datetime


class ReviewStats(Schema):
    camera_id: int
    detector: str
    events: int
    confirmed: int
    dismissed: int
    pending: int
    false_alarm_rate: float | None  # dismissed / reviewed; None before any review

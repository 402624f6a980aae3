"""Video settings (ANJU_VIDEO_*)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class VideoSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ANJU_VIDEO_", extra="ignore")

    evidence_dir: str = "var/video-evidence"  # local evidence store (the demo's folder)
    sample_fps: float = 5.0
    analysis_width: int = 640
    pre_seconds: float = 3.0  # evidence clip before the incident began
    post_seconds: float = 2.0  # and after the decision
    clip_grace_seconds: float = 120.0  # a clip not attached this long after its post-roll shows as missing
    max_clip_seconds: float = 10.0  # a long dwell keeps only its last seconds before the decision
    lease_seconds: int = 30  # a worker's hold on a camera; a dead worker's cameras move after this
    health_every_seconds: float = 10.0
    retry_first_seconds: float = 1.0  # first reconnect delay; doubles per failure
    retry_max_seconds: float = 60.0  # reconnect backoff cap
    open_timeout_seconds: float = 5.0  # a network stream that does not answer
    read_timeout_seconds: float = 3.0
    stall_seconds: float = 5.0  # no good frame this long: the live stream dropped
    public_retention_floor_days: int = 30  # R-A1
    key_target_retention_days: int = 90  # R-A1 (反恐怖主义法 第32条)
    # How detections reach the platform: "db" (the worker writes through the platform's database), "mqtt" or
    # "http" (signed device messages through device intake, evidence files in the shared store).
    push: str = "db"
    http_url: str = "http://127.0.0.1:8000"  # the platform, for push = "http" (POST /api/v1/devices/ingest)
    mqtt_url: str = "mqtt://127.0.0.1:1883"
    mqtt_topic_root: str = "anju"  # the gateway's ANJU_MQTT_TOPIC_ROOT
    # A camera that replays a file (the demo, a test rig) reads it at the pace it was filmed, as a live camera
    # would be, instead of as fast as the CPU decodes; tests and the bench read files unpaced.
    replay_realtime: bool = True
    # One incident per real event: a decision of the same camera, detector and zone within this many seconds of
    # an incident already recorded is the same incident (its alarm is already up), not a new one.
    incident_cooldown_seconds: float = 120.0
    event_bucket_seconds: int = 30  # a live incident's idempotency key: one per camera, detector, zone, bucket


@lru_cache
def video_settings() -> VideoSettings:
    return VideoSettings()

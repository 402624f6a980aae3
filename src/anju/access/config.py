"""Access-control settings (ANJU_ACCESS_*)."""

from __future__ import annotations

from functools import lru_cache
from typing import Self

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIN_LOG_RETENTION_DAYS = 180  # R-A9 default floor


class AccessSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ANJU_ACCESS_", extra="ignore")

    timezone: str = "Asia/Shanghai"
    qr_window_seconds: int = 30  # the resident QR rotates every window
    qr_grace_windows: int = 1  # the previous window is still accepted (scan latency)
    # Euclidean distance on dlib's 128-d embeddings. 0.6 (dlib's LFW figure) is loose for a 1:N gallery;
    # on the shared faces genuine pairs reach 0.52 and the nearest impostor is 0.64 (see bench_face.py).
    face_threshold: float = 0.55
    face_delete_deadline_hours: int = 24  # R-F5: every terminal list must drop a withdrawn template
    face_warn_people: int = 90_000  # R-F8 warning
    face_filing_people: int = 100_000  # R-F8 filing threshold
    face_filing_working_days: int = 30
    face_notice_version: str = "face-2026-11"
    visitor_retention_days: int = 30  # R-F12: visitor records are deleted after this
    courier_minutes: int = 30
    log_retention_days: int = MIN_LOG_RETENTION_DAYS  # R-A9
    log_retention_reason: str | None = None  # required to go below 180 days
    clock_skew_flag_seconds: int = 300
    pin_max_failures: int = 5  # per access point in pin_failure_window_seconds
    pin_failure_window_seconds: int = 300
    mqtt_host: str = "127.0.0.1"
    mqtt_port: int = 1883
    mqtt_timeout_seconds: float = 3.0
    push_max_attempts: int = 20

    @model_validator(mode="after")
    def _retention_floor(self) -> Self:
        if self.log_retention_days < MIN_LOG_RETENTION_DAYS and not self.log_retention_reason:
            raise ValueError("ANJU_ACCESS_LOG_RETENTION_DAYS below 180 needs ANJU_ACCESS_LOG_RETENTION_REASON (R-A9)")
        return self


@lru_cache
def access_settings() -> AccessSettings:
    return AccessSettings()

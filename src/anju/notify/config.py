"""Notification settings (ANJU_NOTIFY_*)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class NotifySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ANJU_NOTIFY_", extra="ignore")

    sms_provider: str = "logging"  # the only one shipped; a vendor adapter registers another name
    webhook_timeout_seconds: float = 5.0
    max_attempts: int = 8
    lease_seconds: int = 60


@lru_cache
def notify_settings() -> NotifySettings:
    return NotifySettings()

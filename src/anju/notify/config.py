"""Notification settings (ANJU_NOTIFY_*)."""

from __future__ import annotations

from functools import lru_cache
from typing import Self

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from anju.core.config import get_settings

SIMULATED_PHONE_PROVIDERS = frozenset({"logging"})  # log instead of sending: development and the demo only


class NotifySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ANJU_NOTIFY_", extra="ignore")

    # A vendor adapter registers its name (notify.providers.register_provider). Unset: "logging" in
    # development, no SMS or voice in a deployment (deliveries fail at once with that reason).
    sms_provider: str | None = None
    webhook_timeout_seconds: float = 5.0
    max_attempts: int = 8
    lease_seconds: int = 60
    # In-app messages are kept this long (the record of processing's figure for notification.body); on PostgreSQL
    # a whole month goes once all of it is older (issue 19), on SQLite row by row.
    inbox_retention_days: int = 365

    @model_validator(mode="after")
    def _no_simulator_in_a_deployment(self) -> Self:
        name = (self.sms_provider or "").strip().lower()
        if name in SIMULATED_PHONE_PROVIDERS and get_settings().is_deployment:
            raise ValueError(
                f"ANJU_NOTIFY_SMS_PROVIDER={name} only logs messages and cannot be used outside development: "
                "configure a real SMS/voice provider or leave it unset"
            )
        return self

    @property
    def phone_provider_name(self) -> str | None:
        """The SMS/voice provider in use, or None when phone messages are off."""
        name = (self.sms_provider or "").strip().lower()
        if name:
            return None if name in SIMULATED_PHONE_PROVIDERS and get_settings().is_deployment else name
        return None if get_settings().is_deployment else "logging"


@lru_cache
def notify_settings() -> NotifySettings:
    return NotifySettings()

"""Care settings (environment, ANJU_CARE_*)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class CareSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ANJU_CARE_", extra="ignore")

    default_silence_hours: int = 24  # municipal default: 24 h without the door opening
    alarm_visit_sla_hours: int = 2  # a grid worker is at the door within this after a silence alarm


@lru_cache
def care_settings() -> CareSettings:
    return CareSettings()

"""Decoration settings (ANJU_DECORATION_*)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class DecorationSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ANJU_DECORATION_", extra="ignore")

    # Workers' names and phones and the contractor's phone are erased this many days after the works' end date
    # (PIPL 19: no longer than the purpose needs; the application itself stays as the house's record).
    worker_retention_days: int = 30


@lru_cache
def decoration_settings() -> DecorationSettings:
    return DecorationSettings()

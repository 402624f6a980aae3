"""Charging settings (ANJU_CHARGING_*): the tariff a compound without its own uses."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class ChargingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ANJU_CHARGING_", extra="ignore")

    fen_per_hour: int = 50  # 0.50 yuan an hour
    full_max_minutes: int = 480  # "until full" is prepaid and cut off at this cap (the devices' overtime rule)
    # A session whose pile has not confirmed it is charging by then is ended and refunded (a dead socket).
    start_grace_seconds: int = 120


@lru_cache
def charging_settings() -> ChargingSettings:
    return ChargingSettings()

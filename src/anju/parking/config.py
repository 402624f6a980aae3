"""Parking settings (environment prefix ANJU_PARKING_)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class ParkingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ANJU_PARKING_")
    # Anju's own read of a capture image wins over the camera's plate string only at or above this confidence.
    read_wins_at: float = 0.9
    max_image_bytes: int = 4 * 1024 * 1024
    # Default car-park settings for new car parks (each car park keeps its own copy).
    zombie_days: int = 30
    # Lane captures and closed sessions (plates and whereabouts) are kept this long (R-A9 access-log floor).
    retention_days: int = 180
    fire_lane_minutes: int = 5
    visitor_cap_per_house: int = 2


@lru_cache
def parking_settings() -> ParkingSettings:
    return ParkingSettings()

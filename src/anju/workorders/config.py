"""Work-order settings (ANJU_WORKORDERS_*)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class WorkOrderSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ANJU_WORKORDERS_", extra="ignore")

    complaint_answer_days: int = 10  # R-W3 default, configurable per deployment and per compound (SLA policy)
    warn_fraction: float = 0.8  # warn when 80 % of a deadline is used
    # Per photo; larger ones are refused with 413. Below the app-wide request limit (ANJU_UPLOAD_MAX_BYTES, 5 MB),
    # which refuses anything bigger (a 50 MB upload) before it is read.
    photo_max_bytes: int = 4 * 1024 * 1024
    photos_per_order: int = 9
    business_start_hour: int = 8  # business calendar, China time
    business_end_hour: int = 18
    business_weekdays: tuple[int, ...] = (0, 1, 2, 3, 4, 5)  # Monday..Saturday


@lru_cache
def wo_settings() -> WorkOrderSettings:
    return WorkOrderSettings()

"""Alarm settings (ANJU_ALARMS_*)."""

from __future__ import annotations

from functools import lru_cache
from typing import Self

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIN_HISTORY_RETENTION_DAYS = 90  # R-A8: alarm events are kept at least 90 days


class AlarmSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ANJU_ALARMS_", extra="ignore")

    # Alarm transitions (the append-only history) are partitioned by month on PostgreSQL and dropped a whole month
    # at a time once the month lies this far back (issue 19). The alarms themselves are never deleted (R-A8).
    history_retention_days: int = 365

    @model_validator(mode="after")
    def _retention_floor(self) -> Self:
        if self.history_retention_days < MIN_HISTORY_RETENTION_DAYS:
            raise ValueError(f"ANJU_ALARMS_HISTORY_RETENTION_DAYS must be at least {MIN_HISTORY_RETENTION_DAYS} (R-A8)")
        return self


@lru_cache
def alarm_settings() -> AlarmSettings:
    return AlarmSettings()

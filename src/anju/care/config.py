"""Care settings (environment, ANJU_CARE_*)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class CareSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ANJU_CARE_", extra="ignore")

    default_silence_hours: int = 24  # municipal default: 24 h without the door opening
    alarm_visit_sla_hours: int = 2  # a grid worker is at the door within this after a silence alarm
    # The escalation ladder's waits (minutes): the self-check ("press to confirm you are fine", 10–15 min), then
    # each emergency contact, each neighbour and the grid worker before the next rung.
    self_check_minutes: int = 15
    contact_wait_minutes: int = 10
    neighbour_wait_minutes: int = 10
    grid_worker_wait_minutes: int = 20
    hospital_away_days: int = 7  # a visit finding the person in hospital pauses the silence check this long


@lru_cache
def care_settings() -> CareSettings:
    return CareSettings()

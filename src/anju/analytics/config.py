"""Security-report targets (ANJU_REPORT_*): a KPI on the wrong side of its target opens a rectification order.

Targets are numbers (a value that is not one stops the app at start-up, pydantic's validation); "min" targets
are floors (rates), "max" targets are ceilings (false-alarm rate, time to resolve).
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ReportSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ANJU_REPORT_", extra="ignore")

    min_checkpoint_rate: float = Field(95.0, ge=0, le=100)  # % of expected patrol checkpoints checked
    min_device_good_rate: float = Field(95.0, ge=0, le=100)  # % of devices in good order
    min_device_online_rate: float = Field(95.0, ge=0, le=100)  # % of device-hours online
    min_camera_coverage: float = Field(100.0, ge=0, le=100)  # % of key positions watched by an online camera
    min_complaint_closure: float = Field(90.0, ge=0, le=100)  # % of the period's complaints closed
    max_false_alarm_rate: float = Field(30.0, ge=0, le=100)  # % of closed alarms that were false
    max_mttr_minutes: float = Field(60.0, gt=0)  # mean minutes from occurrence to closure
    min_training_coverage: float = Field(90.0, ge=0, le=100)  # % of staff on roll trained in the period
    min_exam_pass_rate: float = Field(80.0, ge=0, le=100)  # % of exam sittings passed
    max_turnover_rate: float = Field(30.0, ge=0)  # % of the mean roll who left in the period
    min_shift_attendance: float = Field(95.0, ge=0, le=100)  # % of marked shifts worked
    min_satisfaction: float = Field(85.0, ge=0, le=100)  # % of rated work orders rated 4 or 5
    min_maintenance_completion: float = Field(95.0, ge=0, le=100)  # % of planned maintenance done


@lru_cache
def report_settings() -> ReportSettings:
    return ReportSettings()


def targets() -> dict[str, tuple[str, float]]:
    """KPI key → ("min" | "max", target)."""
    s = report_settings()
    return {
        "checkpoint_rate": ("min", s.min_checkpoint_rate),
        "device_good_rate": ("min", s.min_device_good_rate),
        "device_online_rate": ("min", s.min_device_online_rate),
        "camera_coverage": ("min", s.min_camera_coverage),
        "complaint_closure": ("min", s.min_complaint_closure),
        "false_alarm_rate": ("max", s.max_false_alarm_rate),
        "mttr_minutes": ("max", s.max_mttr_minutes),
        "training_coverage": ("min", s.min_training_coverage),
        "exam_pass_rate": ("min", s.min_exam_pass_rate),
        "turnover_rate": ("max", s.max_turnover_rate),
        "shift_attendance": ("min", s.min_shift_attendance),
        "satisfaction": ("min", s.min_satisfaction),
        "maintenance_completion": ("min", s.min_maintenance_completion),
    }


def misses(kpis: dict[str, float | int | None]) -> list[str]:
    """KPIs on the wrong side of their target; a KPI with no data misses nothing (no data is not a failure)."""
    out = []
    for key, (side, target) in targets().items():
        v = kpis.get(key)
        if v is None:
            continue
        if (side == "min" and v < target) or (side == "max" and v > target):
            out.append(key)
    return out

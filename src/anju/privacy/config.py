"""Privacy settings (ANJU_PRIVACY_*): breach deadlines, vendor disposal, the R-P10 thresholds."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class PrivacySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ANJU_PRIVACY_", extra="ignore")

    # R-P7 / PIPL 57 says 立即 (at once) and rules.md gives no number: the console flags a breach whose
    # notices are not out within these hours of its discovery.
    breach_regulator_hours: int = 24
    breach_individuals_hours: int = 24
    # R-P8: days a vendor has to return or delete the data once a processor agreement ends (per contract).
    vendor_disposal_days: int = 30
    # R-P10: "超过一千万人" needs the biennial audit (the boundary excluded); "一千万人以上" starts the
    # important-data duties (the boundary included), 民法典 1259.
    audit_people: int = 10_000_000
    important_data_people: int = 10_000_000
    audit_interval_years: int = 2


@lru_cache
def privacy_settings() -> PrivacySettings:
    return PrivacySettings()

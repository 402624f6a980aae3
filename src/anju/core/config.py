"""Typed settings; the only module that reads the environment."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from typing import Self

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "change-me-development-only"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ANJU_", extra="ignore")

    env: str = "development"
    database_url: str = "sqlite:///./anju.db"
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET)
    # Key for field-level encryption of personal data. Kept apart from the
    # session secret so it can be rotated and stored in a KMS separately.
    data_key: SecretStr | None = None
    sql_echo: bool = False

    session_ttl: timedelta = timedelta(hours=12)
    api_token_ttl: timedelta = timedelta(days=30)
    login_max_failures: int = 5
    login_window: timedelta = timedelta(minutes=15)

    upload_max_bytes: int = 5 * 1024 * 1024
    privacy_request_days: int = 30  # R-P2 default deadline
    minor_age: int = 18  # R-P6: below this age, unmasking a person needs a second person's approval
    minor_access_ttl: timedelta = timedelta(hours=24)  # how long an approval stays usable
    audit_retention_days: int = 200  # R-P5: at least 6 months

    worker_poll_seconds: float = 1.0
    worker_lease_seconds: int = 60
    outbox_max_attempts: int = 10

    @model_validator(mode="after")
    def _no_default_secret(self) -> Self:
        if self.env != "development":
            if self.secret_key.get_secret_value() == DEFAULT_SECRET:
                raise ValueError("ANJU_SECRET_KEY must be set outside development")
            if self.data_key is None:
                raise ValueError("ANJU_DATA_KEY must be set outside development")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget cached settings (tests and CLI options change the environment)."""
    get_settings.cache_clear()

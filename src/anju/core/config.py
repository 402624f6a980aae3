"""Typed settings; the only module that reads the environment."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from typing import Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "change-me-development-only"
DEVELOPMENT = "development"
AUDIT_MIN_RETENTION_DAYS = 183  # R-P5: security and network logs kept at least 6 months
MIN_KEY_LENGTH = 32  # outside development: a key is at least this long ...
MIN_KEY_DISTINCT = 12  # ... and not one character repeated (distinct characters)


def key_problem(name: str, value: str) -> str | None:
    """Why a secret is too weak for a deployment, or None. Length and variety, not a proof of entropy:
    `python -c "import secrets; print(secrets.token_urlsafe(48))"` makes a good one."""
    if len(value) < MIN_KEY_LENGTH:
        return f"{name} must be at least {MIN_KEY_LENGTH} characters outside development (it has {len(value)})"
    if len(set(value)) < MIN_KEY_DISTINCT:
        return f"{name} is too repetitive: use at least {MIN_KEY_DISTINCT} different characters"
    return None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ANJU_", extra="ignore")

    env: str = DEVELOPMENT  # anything else (production, staging) is a deployment: strict checks below
    database_url: str = "sqlite:///./anju.db"
    # A streaming replica of the PostgreSQL primary for reads that tolerate its lag (the 大屏, the district view,
    # hot spots, report reads and exports: core.db.report_session). Unset: they read the primary. Never SQLite.
    database_read_url: str | None = None
    # How far behind the primary the replica may be, in seconds, before report reads go to the primary (logged;
    # they come back when it catches up). Checked at most every few seconds per process. 0 turns the check off:
    # the replica serves report reads however far behind it is.
    database_read_max_lag_seconds: float = Field(default=30.0, ge=0)
    # psycopg prepares a statement server-side after a few executions of it; false turns that off, for a
    # PgBouncer in transaction pooling mode that does not track prepared statements (before 1.21, or
    # max_prepared_statements = 0).
    database_prepared_statements: bool = True
    # This database's cell (0-31): the prefix of its global ids (history and event rows; the rule is in
    # core.ids). Fixed the first time `anju db upgrade` runs with it; 0 for one database and for SQLite.
    cell: int = 0
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET)
    # Key for field-level encryption of personal data. Kept apart from the
    # session secret so it can be rotated and stored in a KMS separately.
    data_key: SecretStr | None = None
    sql_echo: bool = False
    # Online payment: the provider that takes payers' money. "sim" (the simulated in-process provider)
    # exists for development and the demo only and is refused in a deployment. Unset means: "sim" in
    # development, no online payment in a deployment (bills are paid at the counter, R-M7).
    payment_provider: str | None = None
    # The session cookie's Secure flag: None means "on in a deployment, per request scheme in development".
    cookie_secure: bool | None = None
    # Addresses of reverse proxies whose X-Forwarded-Proto/-For headers are believed ("" = none),
    # comma-separated, as uvicorn's forwarded_allow_ips (e.g. "127.0.0.1").
    trusted_proxies: str = ""

    session_ttl: timedelta = timedelta(hours=12)
    api_token_ttl: timedelta = timedelta(days=30)
    login_max_failures: int = 5
    login_window: timedelta = timedelta(minutes=15)

    upload_max_bytes: int = 5 * 1024 * 1024
    privacy_request_days: int = 30  # R-P2 default deadline
    minor_age: int = 18  # R-P6: below this age, unmasking a person needs a second person's approval
    minor_access_ttl: timedelta = timedelta(hours=24)  # how long an approval stays usable
    audit_retention_days: int = 200  # R-P5: at least 6 months (AUDIT_MIN_RETENTION_DAYS, checked below)

    worker_poll_seconds: float = 1.0
    worker_lease_seconds: int = 60
    outbox_max_attempts: int = 10
    outbox_retention_days: int = 7  # delivered events (and their handler records) are deleted after this

    @model_validator(mode="after")
    def _audit_kept_six_months(self) -> Self:
        if self.audit_retention_days < AUDIT_MIN_RETENTION_DAYS:
            raise ValueError(
                f"ANJU_AUDIT_RETENTION_DAYS={self.audit_retention_days} is below {AUDIT_MIN_RETENTION_DAYS} days: "
                "R-P5 keeps audit and security logs at least 6 months (months of PII reads older than the retention "
                "are dropped)"
            )
        return self

    @model_validator(mode="after")
    def _read_url_needs_postgresql(self) -> Self:
        if self.database_read_url and (self.is_sqlite or not self.database_read_url.startswith("postgresql")):
            raise ValueError(
                "ANJU_DATABASE_READ_URL is a PostgreSQL streaming replica of ANJU_DATABASE_URL's PostgreSQL primary; "
                "SQLite has no replica (leave it unset)"
            )
        return self

    @model_validator(mode="after")
    def _no_default_secret(self) -> Self:
        if self.is_deployment:
            secret = self.secret_key.get_secret_value()
            if secret == DEFAULT_SECRET:
                raise ValueError("ANJU_SECRET_KEY must be set outside development")
            if self.data_key is None:
                raise ValueError("ANJU_DATA_KEY must be set outside development")
            data = self.data_key.get_secret_value()
            for problem in (key_problem("ANJU_SECRET_KEY", secret), key_problem("ANJU_DATA_KEY", data)):
                if problem:
                    raise ValueError(problem)
            if data == secret:
                raise ValueError("ANJU_DATA_KEY must differ from ANJU_SECRET_KEY (they are rotated and stored apart)")
            if (self.payment_provider or "").strip().lower() == "sim":
                raise ValueError(
                    "ANJU_PAYMENT_PROVIDER=sim is the simulated provider and cannot be used outside development: "
                    "configure a real provider or leave it unset (online payment off, counter only)"
                )
            if self.cookie_secure is False:
                raise ValueError(
                    "ANJU_COOKIE_SECURE=false is refused outside development: serve the console over https"
                )
        return self

    @property
    def is_deployment(self) -> bool:
        """Production, staging or any environment but development: no simulators, no demo, strict keys."""
        return self.env.strip().lower() != DEVELOPMENT

    def secure_cookie(self, scheme: str) -> bool:
        """The session cookie's Secure flag: always in a deployment (its pages are served over https,
        directly or behind a trusted proxy), by the request's scheme in development, unless set."""
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.is_deployment or scheme == "https"

    @property
    def online_payment_provider(self) -> str | None:
        """The configured provider's name, "sim" by default in development, None (online payment off) otherwise."""
        name = (self.payment_provider or "").strip().lower()
        if name in ("off", "none"):
            return None
        if name:
            return name
        return None if self.is_deployment else "sim"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget cached settings (tests and CLI options change the environment)."""
    get_settings.cache_clear()

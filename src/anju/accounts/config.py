"""Accounts settings (ANJU_ACCOUNTS_*); the per-user login limit stays in core settings."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class AccountSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ANJU_ACCOUNTS_", extra="ignore")

    # Failed sign-ins from one client address in core's login window, over every user name
    # (password spraying). Higher than the per-user limit: an office or a carrier NAT shares one.
    login_ip_max_failures: int = 20


@lru_cache
def account_settings() -> AccountSettings:
    return AccountSettings()

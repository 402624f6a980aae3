"""Typed settings fail fast outside development (R10)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from anju.core.config import DEFAULT_SECRET, Settings


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("ANJU_ENV", "ANJU_SECRET_KEY", "ANJU_DATA_KEY"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


class TestSettings:
    def test_development_runs_with_defaults(self, clean_env):
        s = Settings()
        assert s.env == "development"
        assert s.secret_key.get_secret_value() == DEFAULT_SECRET
        assert s.data_key is None

    def test_production_refuses_the_default_secret_key(self, clean_env):
        clean_env.setenv("ANJU_ENV", "production")
        clean_env.setenv("ANJU_DATA_KEY", "a-real-data-key")
        with pytest.raises(ValidationError, match="ANJU_SECRET_KEY"):
            Settings()

    def test_production_refuses_a_missing_data_key(self, clean_env):
        clean_env.setenv("ANJU_ENV", "production")
        clean_env.setenv("ANJU_SECRET_KEY", "a-real-secret")
        with pytest.raises(ValidationError, match="ANJU_DATA_KEY"):
            Settings()

    def test_any_non_development_env_is_strict(self, clean_env):
        clean_env.setenv("ANJU_ENV", "staging")
        with pytest.raises(ValidationError):
            Settings()

    def test_production_starts_with_both_keys(self, clean_env):
        clean_env.setenv("ANJU_ENV", "production")
        clean_env.setenv("ANJU_SECRET_KEY", "a-real-secret")
        clean_env.setenv("ANJU_DATA_KEY", "a-real-data-key")
        s = Settings()
        assert s.env == "production"
        assert s.data_key is not None and s.data_key.get_secret_value() == "a-real-data-key"

    def test_secrets_are_not_printed(self, clean_env):
        clean_env.setenv("ANJU_SECRET_KEY", "a-real-secret")
        clean_env.setenv("ANJU_DATA_KEY", "a-real-data-key")
        text = repr(Settings())
        assert "a-real-secret" not in text and "a-real-data-key" not in text

    def test_r_p5_audit_retention_is_at_least_six_months(self, clean_env):
        assert Settings().audit_retention_days >= 183

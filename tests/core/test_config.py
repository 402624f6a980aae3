"""Typed settings fail fast outside development (R10)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from anju.core.config import DEFAULT_SECRET, MIN_KEY_LENGTH, Settings

STRONG_SECRET = "s3cret-for-tests-Zq8vN2wLx5Rt7Yb1Kc4Jm6Hp"
STRONG_DATA_KEY = "data-key-for-tests-Ua9Wf3Ge7Td1Sc5Rb2Qn4"


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("ANJU_ENV", "ANJU_SECRET_KEY", "ANJU_DATA_KEY", "ANJU_PAYMENT_PROVIDER", "ANJU_COOKIE_SECURE"):
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
        clean_env.setenv("ANJU_DATA_KEY", STRONG_DATA_KEY)
        with pytest.raises(ValidationError, match="ANJU_SECRET_KEY"):
            Settings()

    def test_production_refuses_a_missing_data_key(self, clean_env):
        clean_env.setenv("ANJU_ENV", "production")
        clean_env.setenv("ANJU_SECRET_KEY", STRONG_SECRET)
        with pytest.raises(ValidationError, match="ANJU_DATA_KEY"):
            Settings()

    def test_any_non_development_env_is_strict(self, clean_env):
        clean_env.setenv("ANJU_ENV", "staging")
        with pytest.raises(ValidationError):
            Settings()

    def test_production_starts_with_both_keys(self, clean_env):
        clean_env.setenv("ANJU_ENV", "production")
        clean_env.setenv("ANJU_SECRET_KEY", STRONG_SECRET)
        clean_env.setenv("ANJU_DATA_KEY", STRONG_DATA_KEY)
        s = Settings()
        assert s.env == "production"
        assert s.data_key is not None and s.data_key.get_secret_value() == STRONG_DATA_KEY

    def test_secrets_are_not_printed(self, clean_env):
        clean_env.setenv("ANJU_SECRET_KEY", "a-real-secret")
        clean_env.setenv("ANJU_DATA_KEY", "a-real-data-key")
        text = repr(Settings())
        assert "a-real-secret" not in text and "a-real-data-key" not in text

    def test_r_p5_audit_retention_is_at_least_six_months(self, clean_env):
        assert Settings().audit_retention_days >= 183


class TestWeakSettings:
    """Issue 20 item 8: production set-up accepted weak settings; each is refused with a clear message."""

    @pytest.mark.parametrize("weak", ["x", "a-real-secret", "0123456789" * 2, "ab" * 40])
    def test_weak_settings_short_or_repetitive_secret_key_refused(self, clean_env, weak):
        clean_env.setenv("ANJU_ENV", "production")
        clean_env.setenv("ANJU_SECRET_KEY", weak)
        clean_env.setenv("ANJU_DATA_KEY", STRONG_DATA_KEY)
        with pytest.raises(ValidationError, match="ANJU_SECRET_KEY"):
            Settings()

    @pytest.mark.parametrize("weak", ["y", "k" * (MIN_KEY_LENGTH + 10)])
    def test_weak_settings_short_or_repetitive_data_key_refused(self, clean_env, weak):
        clean_env.setenv("ANJU_ENV", "production")
        clean_env.setenv("ANJU_SECRET_KEY", STRONG_SECRET)
        clean_env.setenv("ANJU_DATA_KEY", weak)
        with pytest.raises(ValidationError, match="ANJU_DATA_KEY"):
            Settings()

    def test_weak_settings_data_key_equal_to_secret_key_refused(self, clean_env):
        clean_env.setenv("ANJU_ENV", "production")
        clean_env.setenv("ANJU_SECRET_KEY", STRONG_SECRET)
        clean_env.setenv("ANJU_DATA_KEY", STRONG_SECRET)
        with pytest.raises(ValidationError, match="must differ"):
            Settings()

    def test_weak_settings_insecure_cookie_refused_in_production(self, clean_env):
        clean_env.setenv("ANJU_ENV", "production")
        clean_env.setenv("ANJU_SECRET_KEY", STRONG_SECRET)
        clean_env.setenv("ANJU_DATA_KEY", STRONG_DATA_KEY)
        clean_env.setenv("ANJU_COOKIE_SECURE", "false")
        with pytest.raises(ValidationError, match="COOKIE_SECURE"):
            Settings()

    def test_weak_settings_development_keeps_its_defaults(self, clean_env):
        s = Settings()
        assert s.online_payment_provider == "sim" and not s.is_deployment

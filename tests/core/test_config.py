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


@pytest.mark.db_agnostic
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


@pytest.mark.db_agnostic
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


@pytest.fixture
def production(clean_env: pytest.MonkeyPatch):
    from anju.core.config import reset_settings

    clean_env.setenv("ANJU_ENV", "production")
    clean_env.setenv("ANJU_SECRET_KEY", STRONG_SECRET)
    clean_env.setenv("ANJU_DATA_KEY", STRONG_DATA_KEY)
    reset_settings()
    yield clean_env
    clean_env.undo()
    reset_settings()


class TestProductionSetUp:
    def test_weak_settings_anju_demo_refused_in_production(self, production, tmp_path):
        from typer.testing import CliRunner

        from anju.cli import app

        db = tmp_path / "demo.db"
        result = CliRunner().invoke(app, ["demo", "--database-url", f"sqlite:///{db}"])
        assert result.exit_code == 2, result.output
        assert "refused" in result.output and "ANJU_ENV=development" in result.output.replace("\n", "")
        assert not db.exists()  # nothing was created, not even the schema

    def test_weak_settings_device_simulator_refused_in_production(self, production):
        from typer.testing import CliRunner

        from anju.cli import app

        result = CliRunner().invoke(app, ["simulate", "--max-messages", "1", "--transport", "http"])
        assert result.exit_code == 2, result.output
        assert "refused" in result.output

    def _sign_in(self, client, **headers):
        from anju.sim.demo import DEMO_PASSWORD
        from tests.web.conftest import ORIGIN

        return client.post(
            "/login",
            data={"username": "resident_li", "password": DEMO_PASSWORD},
            headers={**ORIGIN, **headers},
            follow_redirects=False,
        )

    def test_weak_settings_session_cookie_is_secure_in_production(self, session, production):
        from fastapi.testclient import TestClient

        from anju.main import create_app

        with TestClient(create_app(), raise_server_exceptions=False) as c:  # plain http, as behind a proxy
            r = self._sign_in(c)
        assert r.status_code == 303, r.text
        assert "secure" in r.headers["set-cookie"].lower()

    def test_weak_settings_forwarded_proto_from_a_trusted_proxy_only(self, session, clean_env):
        from fastapi.testclient import TestClient

        from anju.core.config import reset_settings
        from anju.main import create_app

        try:
            for trusted, secure in (("", False), ("testclient", True)):
                clean_env.setenv("ANJU_TRUSTED_PROXIES", trusted)
                reset_settings()
                with TestClient(create_app(), raise_server_exceptions=False) as c:
                    r = self._sign_in(c, **{"X-Forwarded-Proto": "https"})
                assert r.status_code == 303, r.text
                assert ("secure" in r.headers["set-cookie"].lower()) is secure, trusted
        finally:
            clean_env.undo()
            reset_settings()


class TestContentSecurityPolicy:
    def test_csp_header_on_pages_and_api(self, client):
        for path in ("/login", "/api/v1/health", "/h5"):
            r = client.get(path, follow_redirects=False)
            csp = r.headers.get("content-security-policy", "")
            assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
            assert "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";")[0]
            assert r.headers.get("x-content-type-options") == "nosniff"

    def test_csp_templates_have_no_inline_scripts_or_handlers(self):
        """What the policy would block: inline event handlers, javascript: URLs, inline executable scripts."""
        import re
        from pathlib import Path

        import anju.web

        root = Path(anju.web.__file__).parent / "templates"
        handler = re.compile(r"\son[a-z]+\s*=", re.I)
        script = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
        found = []
        for f in root.rglob("*.html"):
            text = f.read_text(encoding="utf-8")
            if handler.search(text) or script.search(text) or "javascript:" in text.lower() or "<style" in text:
                found.append(str(f.relative_to(root)))
        assert found == []

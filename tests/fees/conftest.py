"""Reuse the web fixtures (cookie sign-in) for this domain's page tests."""

from tests.web.conftest import web_login  # noqa: F401

"""Reuse the web fixtures (cookie sign-in) for the privacy pages."""

from tests.web.conftest import web_login  # noqa: F401

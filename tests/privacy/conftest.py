"""Reuse the web fixtures (cookie sign-in, live server, browser) for the privacy pages."""

from tests.web.conftest import browser, live_server, web_login  # noqa: F401

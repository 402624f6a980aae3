"""Volunteer page tests sign in to the web pages: the web fixtures."""

from tests.web.conftest import web_login  # noqa: F401

"""Patrol test fixtures: the same helpers as tests/workorders (web sign-in, persona principals, a small PNG)."""

from tests.workorders.conftest import png_bytes, principal, web_login, who  # noqa: F401  (re-exported)

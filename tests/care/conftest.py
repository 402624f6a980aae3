"""Care test fixtures: the same helpers as tests/workorders (web sign-in, persona principals)."""

from tests.workorders.conftest import principal, web_login, who  # noqa: F401  (re-exported)

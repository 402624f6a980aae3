"""Web fixtures: sign in through the login form, so the session cookie is what pages see."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.conftest import Persona
from tests.web.browser import run_browser, run_live_server

ORIGIN = {"Origin": "http://testserver"}
HTMX = {"HX-Request": "true"}


@pytest.fixture
def web_login(client: Any, persona: Callable[[str], Persona]) -> Callable[[str], str]:
    """web_login("manager_wang") signs `client` in (a web session cookie); returns the role's landing page.

    `persona(...).web(client)`: the session row is written in the test's transaction rather than
    through the form, which verifies an argon2 hash per call; the form itself is tested in
    test_auth_pages.py and the browser tests.
    """
    return lambda username: persona(username).web(client)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A seeded Anju server shared by every browser test in this process (see tests/web/browser.py)."""
    yield from run_live_server(tmp_path_factory)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium shared by every browser test in this process."""
    yield from run_browser()

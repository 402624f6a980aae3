"""Web fixtures: sign in through the login form, so the session cookie is what pages see."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from anju.sim.demo import DEMO_PASSWORD
from tests.web.browser import run_browser, run_live_server

ORIGIN = {"Origin": "http://testserver"}
HTMX = {"HX-Request": "true"}


@pytest.fixture
def web_login(client: Any) -> Callable[[str], str]:
    """web_login("manager_wang") signs in through /login (cookie) and returns where it redirected."""

    def _login(username: str) -> str:
        client.cookies.clear()
        r = client.post("/login", data={"username": username, "password": DEMO_PASSWORD}, headers=ORIGIN,
                        follow_redirects=False)
        assert r.status_code == 303, r.text
        assert client.cookies.get("anju_session")
        return str(r.headers["location"])

    return _login


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A seeded Anju server shared by every browser test in this process (see tests/web/browser.py)."""
    yield from run_live_server(tmp_path_factory)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium shared by every browser test in this process."""
    yield from run_browser()

"""Web fixtures: sign in through the login form, so the session cookie is what pages see."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.accounts.models import AuthSession, User
from anju.accounts.service import account_service
from anju.core.auth import SESSION_COOKIE, new_token, token_digest
from anju.core.db import utcnow
from anju.web.nav import home_for
from tests.web.browser import run_browser, run_live_server

ORIGIN = {"Origin": "http://testserver"}
HTMX = {"HX-Request": "true"}


@pytest.fixture
def web_login(client: Any, session: Session) -> Callable[[str], str]:
    """web_login("manager_wang") signs in (a web session cookie) and returns the role's landing page.

    The session row is written in the test's transaction rather than through the
    form, which verifies an argon2 hash per call; the form itself is tested in
    test_auth_pages.py and the browser tests.
    """

    def _login(username: str) -> str:
        client.cookies.clear()
        user = session.execute(select(User).where(User.username == username)).scalar_one()
        token = new_token()
        session.add(
            AuthSession(
                token_hash=token_digest(token), user_id=user.id, kind="web", expires_at=utcnow() + timedelta(hours=1)
            )
        )
        session.flush()
        client.cookies.set(SESSION_COOKIE, token)
        return home_for(account_service.principal(session, user))

    return _login


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A seeded Anju server shared by every browser test in this process (see tests/web/browser.py)."""
    yield from run_live_server(tmp_path_factory)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium shared by every browser test in this process."""
    yield from run_browser()

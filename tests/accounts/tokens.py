"""Bearer headers for a persona without the password check.

Signing in verifies an argon2 hash (deliberately slow); tests that are about
something else open the API session row directly. The sign-in path itself is
tested in tests/accounts/test_auth.py.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.accounts.models import AuthSession, User
from anju.core.auth import new_token, token_digest
from anju.core.db import utcnow


def bearer_for(session: Session, username: str) -> dict[str, str]:
    """Open an API session for `username` in the test's transaction; returns request headers."""
    user_id = session.execute(select(User.id).where(User.username == username)).scalar_one()
    token = new_token()
    session.add(
        AuthSession(
            token_hash=token_digest(token), user_id=user_id, kind="api", expires_at=utcnow() + timedelta(hours=1)
        )
    )
    session.flush()
    return {"Authorization": f"Bearer {token}"}


def bearer_factory(session: Session) -> Callable[[str], dict[str, str]]:
    cache: dict[str, dict[str, str]] = {}

    def _for(username: str) -> dict[str, str]:
        if username not in cache:
            cache[username] = bearer_for(session, username)
        return cache[username]

    return _for

"""Work-order test fixtures: the web sign-in fixture, principals of the demo personas, a small PNG."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.core.auth import Principal
from tests.web.conftest import web_login  # noqa: F401  (re-exported fixture)


def principal(session: Session, username: str) -> Principal:
    from anju.accounts.models import User
    from anju.accounts.service import account_service

    return account_service.principal(
        session, session.execute(select(User).where(User.username == username)).scalar_one()
    )


def png_bytes(size: tuple[int, int] = (32, 24), color: tuple[int, int, int] = (30, 120, 200)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture
def who(session: Session):  # type: ignore[no-untyped-def]
    cache: dict[str, Principal] = {}

    def _who(username: str) -> Principal:
        if username not in cache:
            cache[username] = principal(session, username)
        return cache[username]

    return _who

"""Work-order test fixtures: the web sign-in fixture, principals of the demo personas, a small PNG."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest

from anju.core.auth import Principal
from tests.conftest import Persona
from tests.conftest import principal_of as principal  # noqa: F401  (re-exported for tests with their own sessions)
from tests.web.conftest import web_login  # noqa: F401  (re-exported fixture)


def png_bytes(size: tuple[int, int] = (32, 24), color: tuple[int, int, int] = (30, 120, 200)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture
def who(persona: Callable[[str], Persona]) -> Callable[[str], Principal]:
    """who("staff_liu") -> that persona's Principal (`persona(...).who`)."""
    return lambda username: persona(username).who

"""Access fixtures: the demo terminals (known keys) and access points by name."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.access.models import AccessPoint
from anju.sim.access_demo import LI_CARD, TERMINAL_SECRET


def terminal_headers(key: str) -> dict[str, str]:
    return {"X-Device-Key": f"term_SFXQ_{key}", "X-Device-Secret": TERMINAL_SECRET}


@pytest.fixture
def points(session: Session, ids: dict[str, int]) -> dict[str, int]:
    rows = session.execute(select(AccessPoint.name, AccessPoint.id).where(AccessPoint.compound_id == ids["A"])).all()
    return dict(rows)


@pytest.fixture
def south() -> dict[str, str]:
    return terminal_headers("south")


@pytest.fixture
def unit_terminal() -> dict[str, str]:
    return terminal_headers("unit")


@pytest.fixture
def decide(client: Any) -> Any:
    """decide(headers, point_id, kind, value, **extra) -> response json (asserts 200)."""

    def _decide(headers: dict[str, str], point_id: int, kind: str, value: Any, **extra: Any) -> dict[str, Any]:
        r = client.post(
            "/api/v1/terminals/decisions",
            headers=headers,
            json={"access_point_id": point_id, "credential": {"kind": kind, "value": value}, **extra},
        )
        assert r.status_code == 200, r.text
        return r.json()

    return _decide


LI = LI_CARD

"""Issue 20 item 13: an IntegrityError that reaches the request boundary is a 4xx with a reason, never a 500."""

from __future__ import annotations

import sqlite3

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError

from anju.core.errors import integrity_error


class _PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"SQLSTATE {sqlstate}")
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("orig", "status", "code"),
    [
        (sqlite3.IntegrityError("FOREIGN KEY constraint failed"), 404, "reference_not_found"),
        (sqlite3.IntegrityError("UNIQUE constraint failed: device.device_key"), 409, "duplicate"),
        (sqlite3.IntegrityError("NOT NULL constraint failed: alarm.title"), 422, "constraint_violated"),
        (_PgError("23503"), 404, "reference_not_found"),
        (_PgError("23505"), 409, "duplicate"),
        (_PgError("23514"), 422, "constraint_violated"),
    ],
)
def test_unhandled_500_foreign_key_errors_reaching_the_database_are_4xx(session, orig, status, code):
    from anju.main import create_app

    app = create_app()

    @app.post("/_test/integrity")
    def boom() -> None:
        raise IntegrityError("INSERT …", {}, orig)

    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.post("/_test/integrity")
    assert r.status_code == status and r.json()["error"]["code"] == code
    assert r.json()["error"]["message"]["zh"] and integrity_error(IntegrityError("x", {}, orig)).status_code == status


def test_unhandled_500_foreign_key_violation_from_the_database_is_404(session, ids):
    """A real foreign-key violation raised by the database, through the real handler."""
    from anju.devices.models import DeviceState
    from anju.main import create_app

    app = create_app()

    @app.post("/_test/fk")
    def write_orphan() -> None:
        from anju.core.db import new_session

        with new_session() as s:
            s.add(DeviceState(device_id=2**31 - 2, compound_id=ids["A"]))
            s.flush()

    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.post("/_test/fk")
    assert r.status_code == 404 and r.json()["error"]["code"] == "reference_not_found", r.text

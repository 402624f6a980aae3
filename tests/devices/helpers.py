"""Shared helpers for device and alarm tests: register a device, push messages over HTTP."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from anju.core.db import utcnow
from anju.devices.enums import DeviceType
from anju.devices.intake_service import directory
from anju.devices.protocol import sign_http
from anju.devices.schemas import DeviceCreate
from anju.devices.service import device_service


def make_device(
    session: Session, compound_id: int, device_type: DeviceType = DeviceType.smoke_detector, **kw: Any
) -> tuple[int, str, str]:
    """Register a device with a unique key; returns (id, key, secret)."""
    key = kw.pop("device_key", None) or f"T-{device_type.value[:5]}-{uuid.uuid4().hex[:10]}"
    if device_type == DeviceType.ebike_charger:
        kw.setdefault("capabilities", {"auto_cutoff": True})  # R-S2: required of every charger
    device, secret = device_service.register(
        session,
        by=None,
        data=DeviceCreate(
            compound_id=compound_id, device_key=key, name=kw.pop("name", key), device_type=device_type, **kw
        ),
    )
    session.flush()
    return device.id, key, secret


def msg(
    data: dict[str, Any], *, at: datetime | None = None, event_id: str | None = None, kind: str = "telemetry"
) -> dict[str, Any]:
    return {"kind": kind, "event_id": event_id or uuid.uuid4().hex, "ts": (at or utcnow()).isoformat(), "data": data}


def push(client: Any, key: str, secret: str, messages: Any, *, sign: bool = True) -> Any:
    body = json.dumps(messages).encode()
    headers = {"X-Device-Key": key, "content-type": "application/json"}
    if sign:
        headers["X-Device-Signature"] = sign_http(secret, body)
    else:
        headers["X-Device-Secret"] = secret
    return client.post("/api/v1/devices/ingest", content=body, headers=headers)


__all__ = ["directory", "make_device", "msg", "push"]


class DedicatedDatabase:
    """A separate, really-committing database for tests that need several threads or processes."""

    def __init__(self, tmp_root: Any, tag: str) -> None:
        import os

        from anju.core import db as core_db
        from tests.conftest import prepared_database

        self._saved = (core_db._engine, core_db._sessionmaker, os.environ.get("ANJU_DATABASE_URL"))
        # a copy of the process's seeded template (tests/conftest.py), not a fresh migration and demo build
        self.url, self.engine, self._drop = prepared_database(tmp_root, f"{tag}_{uuid.uuid4().hex[:6]}")

    def close(self) -> None:
        import os

        from anju.core import db as core_db
        from anju.core.config import reset_settings

        directory.clear()
        engine, maker, url = self._saved
        core_db._engine, core_db._sessionmaker = engine, maker
        if url is None:
            os.environ.pop("ANJU_DATABASE_URL", None)
        else:
            os.environ["ANJU_DATABASE_URL"] = url
        reset_settings()
        self.engine.dispose()
        self._drop()

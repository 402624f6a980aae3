"""Issue 20 item 14a: telemetry retention keeps up with the devices (batches until done, run often)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from anju.core.db import utcnow
from anju.core.jobs import registered_jobs
from anju.devices import tasks
from anju.devices.enums import DeviceType
from anju.devices.models import DeadLetter, DeviceMessage
from tests.devices.helpers import make_device


def test_telemetry_retention_keeps_up_backlog_is_deleted_in_batches(session, ids):
    dev, _, _ = make_device(session, ids["A"], DeviceType.water_tank)
    old = utcnow() - timedelta(days=200)
    fresh = utcnow() - timedelta(days=1)
    rows = [
        {
            "device_id": dev,
            "compound_id": ids["A"],
            "event_id": f"e{i}",
            "kind": "telemetry",
            "device_at": old if i < 12_000 else fresh,
            "received_at": old if i < 12_000 else fresh,
            "data": {"level_pct": 50},
        }
        for i in range(12_050)
    ]
    session.execute(DeviceMessage.__table__.insert(), rows)
    session.execute(
        DeadLetter.__table__.insert(),
        [{"received_at": old, "transport": "http", "reason": "bad_data", "size": 1} for _ in range(7)],
    )
    session.flush()
    deleted = tasks.purge_expired()
    assert deleted >= 12_000  # the old job stopped at 10,000 a run
    left = session.execute(
        select(func.count()).select_from(DeviceMessage).where(DeviceMessage.device_id == dev)
    ).scalar_one()
    assert left == 50
    assert (
        session.execute(
            select(func.count()).select_from(DeadLetter).where(DeadLetter.received_at < old + timedelta(days=1))
        ).scalar_one()
        == 0
    )


def test_telemetry_retention_keeps_up_runs_often():
    import anju.handlers  # noqa: F401

    assert registered_jobs()["devices.purge_telemetry"].every <= timedelta(minutes=10)

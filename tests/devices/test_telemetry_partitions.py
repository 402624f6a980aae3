"""Issue 19: telemetry stored once (R9) although PostgreSQL partitions it by receive time.

The dedupe key (device, event id) lives in `device_message_key`; these tests resend across a month boundary
(the two receipts fall in different partitions on PostgreSQL) and insert the same message from two transactions
at once.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from anju.core import db as core_db
from anju.core.db import utcnow
from anju.core.partitions import month_floor
from anju.devices.intake_service import intake_service
from anju.devices.models import DeviceMessage, DeviceMessageKey
from anju.devices.protocol import sign_http
from anju.devices.repository import DeviceRepository
from tests.conftest import DB_KIND
from tests.core.databases import dedicated_database
from tests.devices.helpers import make_device, msg


def _push(session, key, secret, body, now):
    return intake_service.ingest_http(
        session, device_key=key, secret=None, signature=sign_http(secret, body), body=body, now=now
    )


def _stored(session, dev):
    return session.execute(
        select(func.count()).select_from(DeviceMessage).where(DeviceMessage.device_id == dev)
    ).scalar_one()


def test_r9_resend_in_the_next_month_is_stored_once(session, ids):
    import json

    dev, key, secret = make_device(session, ids["A"])
    first = month_floor(utcnow()) - timedelta(seconds=20)  # the last seconds of last month
    m = msg({"smoke": 0.1}, at=first - timedelta(seconds=5), event_id="boundary-1")
    body = json.dumps(m).encode()
    status, out = _push(session, key, secret, body, first)
    assert status == 202 and out.inserted == 1
    status, out = _push(session, key, secret, body, first + timedelta(minutes=1))  # new receive time, next month
    assert status == 202 and (out.inserted, out.duplicates) == (0, 1)
    assert _stored(session, dev) == 1
    row = session.execute(select(DeviceMessage).where(DeviceMessage.device_id == dev)).scalar_one()
    assert row.received_at == first
    if DB_KIND == "postgresql":  # it sits in last month's partition; the resend's month got nothing
        part = session.execute(
            text("SELECT tableoid::regclass::text FROM device_message WHERE id = :i"), {"i": row.id}
        ).scalar_one()
        assert part == f"device_message_p{first:%Y%m}"


def test_r9_same_message_twice_in_one_batch_is_one_row(session, ids):
    dev, _, _ = make_device(session, ids["A"])
    now = utcnow()
    row = {"device_id": dev, "compound_id": ids["A"], "event_id": "twice", "kind": "telemetry"}
    row |= {"device_at": now, "received_at": now, "data": {}}
    assert DeviceRepository(session).insert_messages([row, dict(row)]) == {(dev, "twice")}
    assert _stored(session, dev) == 1


@pytest.mark.postgres
def test_r9_concurrent_duplicate_inserts_store_once(tmp_path):
    """Two transactions insert the same message; the second waits on the key and stores nothing."""
    if DB_KIND != "postgresql":
        pytest.skip("concurrent writers: PostgreSQL (SQLite has one writer at a time)")
    from anju.registry.models import Compound

    with dedicated_database(tmp_path, "dedupe_race", seed=True):
        with core_db.transaction() as s:
            compound = s.execute(select(Compound.id).where(Compound.code == "SFXQ")).scalar_one()
            dev, _, _ = make_device(s, compound)
        now = utcnow()
        row = {"device_id": dev, "compound_id": compound, "event_id": "race-1", "kind": "telemetry"}
        row |= {"device_at": now, "data": {}}
        got: dict[str, set[tuple[int, str]]] = {}
        first = core_db.new_session()
        got["first"] = DeviceRepository(first).insert_messages([{**row, "received_at": now}])

        def second() -> None:
            with core_db.transaction() as s2:  # a resend, received later
                got["second"] = DeviceRepository(s2).insert_messages([{**row, "received_at": now + timedelta(1)}])

        t = threading.Thread(target=second)
        t.start()
        t.join(0.5)
        assert t.is_alive(), "the second insert must wait for the first transaction's key"
        first.commit()
        first.close()
        t.join(10)
        assert got == {"first": {(dev, "race-1")}, "second": set()}
        with core_db.transaction() as s:
            assert _stored(s, dev) == 1
            assert (
                s.execute(
                    select(func.count()).select_from(DeviceMessageKey).where(DeviceMessageKey.device_id == dev)
                ).scalar_one()
                == 1
            )


def test_r9_dedupe_keys_outlive_the_resend_window_then_go(session, ids):
    from anju.devices.config import device_settings
    from anju.devices.service import device_service

    s = device_settings()
    window = timedelta(seconds=s.devices_max_past_seconds + s.devices_max_future_seconds)
    assert timedelta(days=s.devices_dedupe_key_days) > window  # a resend intake accepts always meets its key
    dev, _, _ = make_device(session, ids["A"])
    now = utcnow()
    keys = [
        {"device_id": dev, "event_id": f"k{i}", "received_at": now - window - timedelta(days=2 if i else 0)}
        for i in range(2)
    ]
    session.execute(DeviceMessageKey.__table__.insert(), keys)
    device_service.purge(session, now=now)
    left = session.execute(select(DeviceMessageKey.event_id).where(DeviceMessageKey.device_id == dev)).scalars()
    assert list(left) == ["k0"]

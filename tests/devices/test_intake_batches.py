"""Issue 19, intake speed: the batched intake keeps R9 and the rules exactly.

A gateway batch goes through `parse_mqtt` + `store` as one unit (one key statement, one state read and one state
write per batch). These tests pin what must not change: a message twice in a batch or resent in a later batch is
stored once and moves no state; a shuffled batch ends in the same state, rule phases, alarms and commands as the
same messages one at a time; and on PostgreSQL two gateways storing the same device at once take turns on its state
row (in device order, so they cannot deadlock) instead of overwriting each other's values.
"""

from __future__ import annotations

import random
import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from anju.alarms.models import Alarm
from anju.core import db as core_db
from anju.core.db import utcnow
from anju.devices.enums import DeviceType
from anju.devices.intake_service import BatchOutcome, intake_service
from anju.devices.models import DeviceCommand, DeviceMessage, DeviceMessageKey, DeviceState, RuleState
from anju.devices.protocol import sign_mqtt, topic_for
from tests.conftest import DB_KIND
from tests.core.databases import dedicated_database
from tests.devices.helpers import make_device


def signed(key: str, secret: str, event_id: str, at: datetime, data: dict) -> tuple[str, bytes]:
    topic = topic_for("SFXQ", key, "telemetry")
    return topic, sign_mqtt(secret, topic, {"event_id": event_id, "ts": at.isoformat(), "data": data})


def gateway_batch(session: Session, items: list[tuple[str, bytes]], now: datetime) -> BatchOutcome:
    """What `anju gateway` does with one batch (without the commit)."""
    acc, rej = intake_service.parse_mqtt(session, items, now=now)
    return intake_service.store(session, [a for a in acc if a], [r for r in rej if r], now=now)


def count(session: Session, model, dev: int) -> int:
    return session.execute(select(func.count()).select_from(model).where(model.device_id == dev)).scalar_one()


def test_r9_same_message_twice_in_one_gateway_batch_is_stored_once(session, ids):
    dev, key, secret = make_device(session, ids["A"])
    now = utcnow()
    one = signed(key, secret, "twice", now - timedelta(seconds=5), {"smoke": 0.2})
    other = signed(key, secret, "other", now - timedelta(seconds=4), {"smoke": 0.3})
    out = gateway_batch(session, [one, other, one], now)
    assert (out.inserted, out.duplicates, out.rejected) == (2, 1, 0)
    assert count(session, DeviceMessage, dev) == 2 and count(session, DeviceMessageKey, dev) == 2


def test_r9_resend_in_a_later_batch_is_stored_once_and_moves_no_state(session, ids):
    dev, key, secret = make_device(session, ids["A"])
    now = utcnow()
    items = [signed(key, secret, f"r{i}", now - timedelta(seconds=30 - i), {"smoke": 0.1 * i}) for i in range(5)]
    assert gateway_batch(session, items, now).inserted == 5
    state = session.get(DeviceState, dev)
    assert state is not None
    seen, values = state.last_seen_at, dict(state.values)
    later = now + timedelta(seconds=20)
    out = gateway_batch(session, [*items[2:], signed(key, secret, "r4", later, {"smoke": 9.0})], later)
    assert (out.inserted, out.duplicates) == (0, 4)  # a resend with new content is still the same message
    session.expire_all()
    state = session.get(DeviceState, dev)
    assert state is not None and state.last_seen_at == seen and state.values == values
    assert count(session, DeviceMessage, dev) == 5
    assert not session.execute(select(Alarm).where(Alarm.device_id == dev)).first()  # smoke 9.0 was never read


def _script(base: datetime) -> dict[str, list[tuple[float, dict]]]:
    """Per device type, (device-time offset in seconds, data): alarms fire, a charger heats, pends, fires, clears."""
    return {
        "smoke": [
            (0, {"smoke": 0.2, "battery": 90}),
            (10, {"smoke": 5.0}),
            (20, {"alarm": True}),
            (30, {"smoke": 0.1, "alarm": False}),
            (70, {"smoke": 0.1, "alarm": False}),
        ],
        "charger": [
            (0, {"temp_c": 65.0, "power_w": 200}),
            (15, {"temp_c": 66.0}),
            (35, {"temp_c": 70.0}),
            (50, {"temp_c": 40.0, "charge_minutes": 12}),
        ],
    }


def _outcome(session: Session, devs: dict[str, int], base: datetime) -> dict[str, object]:
    session.flush()
    session.expire_all()
    got: dict[str, object] = {}
    for name, dev in devs.items():
        st = session.get(DeviceState, dev)
        assert st is not None
        phases = session.execute(select(RuleState).where(RuleState.device_id == dev)).scalars()
        alarms = session.execute(select(Alarm).where(Alarm.device_id == dev).order_by(Alarm.id)).scalars()
        cmds = session.execute(select(DeviceCommand).where(DeviceCommand.device_id == dev)).scalars()
        got[name] = (
            st.status,
            st.values,
            st.last_device_at - base if st.last_device_at else None,
            sorted((p.rule_key, p.phase, p.since - base) for p in phases),
            [(a.kind, a.status) for a in alarms],
            sorted(c.command for c in cmds),
            count(session, DeviceMessage, dev),
        )
    return got


def test_one_shuffled_batch_ends_like_the_same_messages_one_at_a_time(session, ids):
    """Device state, rule phases, alarms and commands of a batch equal those of one message per batch."""
    now = utcnow()
    base = now - timedelta(minutes=10)
    script = _script(base)
    types = {"smoke": DeviceType.smoke_detector, "charger": DeviceType.ebike_charger}
    one: dict[str, int] = {}
    batch: dict[str, int] = {}
    items_one: list[tuple[str, bytes]] = []
    items_batch: list[tuple[str, bytes]] = []
    for name, points in script.items():
        for target, items in ((one, items_one), (batch, items_batch)):
            dev, key, secret = make_device(session, ids["A"], types[name])
            target[name] = dev
            for i, (offset, data) in enumerate(points):
                items.append(signed(key, secret, f"{name}-{i}", base + timedelta(seconds=offset), data))
    for item in items_one:  # in device-time order per device, one batch each
        assert gateway_batch(session, [item], now).inserted == 1
    shuffled = items_batch + items_batch[:3]  # plus three duplicates
    random.Random(19).shuffle(shuffled)
    out = gateway_batch(session, shuffled, now)
    assert (out.inserted, out.duplicates) == (len(items_batch), 3)
    expected = _outcome(session, one, base)
    assert _outcome(session, batch, base) == expected
    smoke = expected["smoke"]
    assert isinstance(smoke, tuple) and smoke[4], "the script must raise alarms, or the comparison proves little"
    charger = expected["charger"]
    assert isinstance(charger, tuple) and charger[5] == ["cut_power"]


def _pg_only() -> None:
    if DB_KIND != "postgresql":
        pytest.skip("concurrent writers: PostgreSQL (SQLite has one writer at a time)")


@pytest.mark.postgres
def test_two_gateways_on_one_device_take_turns_on_its_state(tmp_path):
    """Gateway B's batch waits for gateway A's on the device's state row, then merges A's values (no lost update)."""
    _pg_only()
    from anju.registry.models import Compound

    with dedicated_database(tmp_path, "intake_turns", seed=True):
        with core_db.transaction() as s:
            compound = s.execute(select(Compound.id).where(Compound.code == "SFXQ")).scalar_one()
            dev, key, secret = make_device(s, compound)
        now = utcnow()
        with core_db.transaction() as s:  # the device has a state row
            gateway_batch(s, [signed(key, secret, "first", now - timedelta(seconds=30), {"smoke": 0.1})], now)
        a = [signed(key, secret, "a", now - timedelta(seconds=20), {"battery": 77})]
        b = [signed(key, secret, "b", now - timedelta(seconds=10), {"smoke": 0.3})]
        first = core_db.new_session()
        assert gateway_batch(first, a, now).inserted == 1
        done: dict[str, int] = {}

        def gateway_b() -> None:
            with core_db.transaction() as s2:
                done["b"] = gateway_batch(s2, b, now).inserted

        t = threading.Thread(target=gateway_b)
        t.start()
        t.join(0.5)
        assert t.is_alive(), "gateway B must wait for A's lock on the device's state"
        first.commit()
        first.close()
        t.join(10)
        assert done == {"b": 1}
        with core_db.transaction() as s:
            st = s.get(DeviceState, dev)
            assert st is not None
            assert st.values == {"smoke": 0.3, "battery": 77}
            assert st.last_device_at == now - timedelta(seconds=10)


def _race(batches: list[list[tuple[str, bytes]]], now: datetime) -> tuple[list[int], list[DBAPIError]]:
    """Store each batch in its own thread and transaction, started together; (inserted per batch, errors)."""
    start = threading.Barrier(len(batches))
    inserted: list[int] = []
    errors: list[DBAPIError] = []

    def gateway(items: list[tuple[str, bytes]]) -> None:
        try:
            start.wait(5)
            with core_db.transaction() as s:
                inserted.append(gateway_batch(s, items, now).inserted)
        except DBAPIError as e:  # a deadlock would surface here
            errors.append(e)

    threads = [threading.Thread(target=gateway, args=(b,)) for b in batches]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    return inserted, errors


@pytest.mark.postgres
def test_two_gateways_with_overlapping_batches_store_each_message_once(tmp_path):
    """A redelivered half rides in the other gateway's batch, in the opposite order: no deadlock, no double."""
    _pg_only()
    from anju.registry.models import Compound

    with dedicated_database(tmp_path, "intake_overlap", seed=True):
        with core_db.transaction() as s:
            compound = s.execute(select(Compound.id).where(Compound.code == "SFXQ")).scalar_one()
            devices = [make_device(s, compound) for _ in range(8)]
        now = utcnow()
        for rnd in range(3):
            msgs = [
                signed(key, secret, f"o{rnd}-{i}", now - timedelta(seconds=60 - rnd * 10 - i), {"smoke": 0.1})
                for i, (_, key, secret) in enumerate(devices)
            ]
            batches = [msgs[:6], list(reversed(msgs[2:]))]  # four messages in both, in opposite orders
            inserted, errors = _race(batches, now)
            assert not errors and sum(inserted) == len(msgs)
        with core_db.transaction() as s:
            ids_ = [d for d, _, _ in devices]
            rows = s.execute(
                select(func.count()).select_from(DeviceMessage).where(DeviceMessage.device_id.in_(ids_))
            ).scalar_one()
            assert rows == 3 * len(devices)

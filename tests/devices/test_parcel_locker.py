"""Parcel lockers in the device registry (issue 18 item 2): door opened/closed and the parcel count are stored as
the locker's state; a door left open for five minutes raises an alarm, closing it clears the alarm."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from anju.alarms.models import Alarm
from anju.core.db import utcnow
from anju.devices.enums import DeviceType
from anju.devices.models import DeviceState
from tests.devices.helpers import make_device, msg, push


def test_a_locker_reports_parcels_and_a_door_left_open_raises_an_alarm(client, session, ids):
    device_id, key, secret = make_device(session, ids["A"], DeviceType.parcel_locker, location="南门快递柜")
    t0 = utcnow() - timedelta(minutes=10)
    assert push(client, key, secret, [msg({"open": True, "parcels": 12}, at=t0)]).status_code == 202
    assert (
        push(client, key, secret, [msg({"open": True, "parcels": 11}, at=t0 + timedelta(minutes=4))]).status_code == 202
    )
    assert session.execute(select(Alarm).where(Alarm.device_id == device_id)).first() is None  # not yet 5 minutes
    assert push(client, key, secret, [msg({"open": True}, at=t0 + timedelta(minutes=5, seconds=1))]).status_code == 202
    alarm = session.execute(select(Alarm).where(Alarm.device_id == device_id)).scalar_one()
    assert alarm.kind == "locker_door_open" and alarm.severity == "minor"
    state = session.get(DeviceState, device_id)
    assert state.values["parcels"] == 11
    assert push(client, key, secret, [msg({"open": False}, at=t0 + timedelta(minutes=6))]).status_code == 202
    session.refresh(alarm)
    assert alarm.cleared_at is not None  # the door was closed

"""A car park of compound A with an entry and an exit lane on the demo's south barrier gate and camera."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select, update

from anju.core.db import utcnow
from anju.devices.enums import DeviceType
from anju.devices.models import Device
from anju.parking.enums import LaneDirection, UnknownPolicy
from anju.parking.models import CarPark, ParkingLane, ParkingSession
from anju.parking.schemas import CarParkCreate, LaneCreate
from anju.parking.service import parking_service
from anju.registry.enums import VehicleClass
from anju.registry.models import Vehicle


@dataclass
class Park:
    cp: CarPark
    entry: ParkingLane
    exit: ParkingLane
    gate_id: int
    li_plate: str
    li_vehicle_id: int
    manager: Any
    guard: Any


@pytest.fixture
def park(session, ids, persona) -> Park:
    manager = persona("manager_wang").who
    gate, camera = (
        session.execute(
            select(Device.id).where(Device.compound_id == ids["A"], Device.device_type == t).order_by(Device.id)
        )
        .scalars()
        .first()
        for t in (DeviceType.barrier_gate, DeviceType.camera)
    )
    assert gate is not None
    cp = parking_service.create_car_park(
        session,
        by=manager,
        data=CarParkCreate(
            compound_id=ids["A"],
            name="地面停车场",
            unknown_policy=UnknownPolicy.hold,
            visitor_cap_per_house=1,
            free_minutes=30,
            per_hour_fen=500,
            day_cap_fen=3000,
        ),
    )
    entry = parking_service.add_lane(
        session,
        by=manager,
        data=LaneCreate(
            car_park_id=cp.id,
            name="南门入口",
            direction=LaneDirection.entry,
            barrier_device_id=gate,
            camera_device_id=camera,
        ),
    )
    exit_ = parking_service.add_lane(
        session,
        by=manager,
        data=LaneCreate(car_park_id=cp.id, name="南门出口", direction=LaneDirection.exit, barrier_device_id=gate),
    )
    # The demo's cars inside now (a visitor of Li's house among them) are let out: each test starts empty.
    session.execute(
        update(ParkingSession)
        .where(ParkingSession.compound_id == ids["A"], ParkingSession.exited_at.is_(None))
        .values(exited_at=utcnow())
    )
    v = Vehicle(compound_id=ids["A"], plate="新H33327", vehicle_class=VehicleClass.car, house_id=ids["li_house"])
    session.add(v)
    session.flush()
    return Park(cp, entry, exit_, gate, v.plate, v.id, manager, persona("guard_chen").who)

"""Parking demo (issue 13): two car parks of the main compound with spaces (owned, rented, public, visitor,
charging, accessible and a fire-lane zone) on the site plan, the south gate's entry and exit lanes on the demo
barrier gate and camera, passes for some residents' cars, cars inside now, the day's captures (a pass holder,
a visitor, a held unregistered car, a temporary car that paid), a suspected zombie car and a blacklisted plate.

Rows are written directly (no outbox events, no barrier commands): this is history, not live traffic.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.core.db import utcnow
from anju.core.kit.china_time import china_date


def build_parking_demo(session: Session, *, compound_id: int, li_person_id: int, committee_person_id: int) -> None:
    """Seed compound `compound_id`'s car parks, lanes, passes and today's lane traffic. Caller commits."""
    from anju.devices.enums import DeviceType
    from anju.devices.models import Device
    from anju.parking.enums import (
        CarParkKind,
        Decision,
        DecisionReason,
        LaneDirection,
        PaidVia,
        PassKind,
        SessionCategory,
        SpaceKind,
        UnknownPolicy,
    )
    from anju.parking.models import (
        CarPark,
        LaneEvent,
        ParkingBlacklist,
        ParkingLane,
        ParkingPass,
        ParkingSession,
        ParkingSpace,
        VisitorCar,
    )
    from anju.registry.models import Occupancy, Vehicle

    now = utcnow()
    today = china_date(now)

    def device(kind: DeviceType) -> int | None:
        stmt = select(Device.id).where(Device.compound_id == compound_id, Device.device_type == kind)
        return session.execute(stmt.order_by(Device.id)).scalars().first()

    ground = CarPark(
        compound_id=compound_id,
        name="地面停车场",
        kind=CarParkKind.ground,
        unknown_policy=UnknownPolicy.temporary,
        visitor_cap_per_house=2,
        free_minutes=30,
        per_hour_fen=300,
        day_cap_fen=2000,
    )
    garage = CarPark(
        compound_id=compound_id,
        name="地下车库",
        kind=CarParkKind.underground,
        unknown_policy=UnknownPolicy.hold,
        visitor_cap_per_house=1,
        free_minutes=15,
        per_hour_fen=500,
        day_cap_fen=3000,
    )
    session.add_all([ground, garage])
    session.flush()

    vehicles = list(
        session.execute(
            select(Vehicle).where(Vehicle.compound_id == compound_id, Vehicle.active.is_(True)).order_by(Vehicle.id)
        ).scalars()
    )
    li_house = session.execute(
        select(Occupancy.house_id).where(Occupancy.person_id == li_person_id).order_by(Occupancy.id)
    ).scalar()
    spaces: list[ParkingSpace] = []
    for i in range(24):
        if i < 10 and i < len(vehicles):
            kind, house = SpaceKind.owned, vehicles[i].house_id
        elif i < 14 and i < len(vehicles):
            kind, house = SpaceKind.rented, vehicles[i].house_id
        else:
            kind = (SpaceKind.public, SpaceKind.visitor, SpaceKind.charging, SpaceKind.accessible)[i % 4]
            house = None
        spaces.append(
            ParkingSpace(
                compound_id=compound_id,
                car_park_id=garage.id if i < 14 else ground.id,
                code=f"B1-{i + 1:03d}" if i < 14 else f"D-{i - 13:02d}",
                kind=kind,
                house_id=house,
                plan_x=round(0.1 + (i % 12) * 0.07, 3),
                plan_y=0.82 if i < 12 else 0.9,
            )
        )
    fire = ParkingSpace(
        compound_id=compound_id,
        car_park_id=ground.id,
        code="XF-01",
        kind=SpaceKind.fire_lane,
        plan_x=0.46,
        plan_y=0.55,
    )
    session.add_all([*spaces, fire])
    gate, camera = device(DeviceType.barrier_gate), device(DeviceType.camera)
    entry = ParkingLane(
        compound_id=compound_id,
        car_park_id=ground.id,
        name="南门入口",
        direction=LaneDirection.entry,
        barrier_device_id=gate,
        camera_device_id=camera,
    )
    exit_ = ParkingLane(
        compound_id=compound_id,
        car_park_id=ground.id,
        name="南门出口",
        direction=LaneDirection.exit,
        barrier_device_id=gate,
        camera_device_id=camera,  # one camera watches both lanes of the south gate (the simulator posts as it)
    )
    session.add_all([entry, exit_])
    session.flush()

    first_of_month = today.replace(day=1)
    for k, v in enumerate(vehicles[:14]):
        annual = k % 3 == 0
        session.add(
            ParkingPass(
                compound_id=compound_id,
                vehicle_id=v.id,
                car_park_id=ground.id,
                space_id=spaces[k].id if k < 10 else None,
                kind=PassKind.annual if annual else PassKind.monthly,
                valid_from=date(today.year, 1, 1) if annual else first_of_month,
                valid_until=date(today.year, 12, 31) if annual else _month_end(first_of_month),
                fee_fen=360_000 if annual else 30_000,
            )
        )
    session.add(ParkingBlacklist(compound_id=compound_id, plate="皖A12345", reason="多次冲卡，已报派出所"))
    if li_house is not None:
        session.add(
            VisitorCar(
                compound_id=compound_id,
                house_id=li_house,
                plate="苏E9E0A5",
                valid_from=now - timedelta(hours=2),
                valid_until=now + timedelta(hours=6),
            )
        )
    session.flush()

    def stay(plate: str, category: SessionCategory, hours_ago: float, **kw: object) -> ParkingSession:
        s = ParkingSession(
            compound_id=compound_id,
            car_park_id=ground.id,
            plate=plate,
            category=category,
            entered_at=now - timedelta(hours=hours_ago),
            **kw,
        )
        session.add(s)
        session.flush()
        return s

    def capture(
        lane: ParkingLane,
        n: int,
        plate: str | None,
        decision: Decision,
        reason: DecisionReason,
        at_hours_ago: float,
        s: ParkingSession | None = None,
        fee: int = 0,
    ) -> None:
        session.add(
            LaneEvent(
                compound_id=compound_id,
                lane_id=lane.id,
                event_id=f"demo-{lane.id}-{n}",
                at=now - timedelta(hours=at_hours_ago),
                plate=plate,
                camera_plate=plate,
                read_confidence=0.97 if plate else None,
                had_image=True,
                decision=decision,
                reason=reason,
                session_id=s.id if s else None,
                fee_fen=fee,
            )
        )

    n = 0
    for k, v in enumerate(vehicles[:6]):
        s = stay(v.plate, SessionCategory.resident, 9 - k, vehicle_id=v.id)
        n += 1
        capture(entry, n, v.plate, Decision.open, DecisionReason.resident_pass, 9 - k, s)
    visitor = stay("苏E9E0A5", SessionCategory.visitor, 1.5, house_id=li_house)
    n += 1
    capture(entry, n, "苏E9E0A5", Decision.open, DecisionReason.visitor, 1.5, visitor)
    paid = stay(
        "浙G857PM",
        SessionCategory.temporary,
        3,
        exited_at=now - timedelta(hours=0.5),
        fee_fen=900,
        paid_fen=900,
        paid_at=now - timedelta(hours=0.6),
        paid_via=PaidVia.qr,
        payment_ref="DEMO-QR-0001",
    )
    n += 1
    capture(entry, n, "浙G857PM", Decision.open, DecisionReason.temporary, 3, paid)
    n += 1
    capture(exit_, n, "浙G857PM", Decision.open, DecisionReason.fee_paid, 0.5, paid, fee=900)
    n += 1
    capture(entry, n, "皖A12345", Decision.deny, DecisionReason.blacklist, 0.4)
    n += 1
    capture(entry, n, None, Decision.hold, DecisionReason.unreadable, 0.1)
    stay("皖N2J220", SessionCategory.temporary, 24 * 35, zombie_flagged_at=now - timedelta(days=4))


def _month_end(d: date) -> date:
    nxt = d.replace(year=d.year + 1, month=1) if d.month == 12 else d.replace(month=d.month + 1)
    return nxt - timedelta(days=1)

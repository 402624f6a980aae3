"""Parking set-up and the resident side: car parks, spaces, lanes, passes, blacklist, visitor cars.

Lane decisions, fees and timers live in lane_service.py.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from anju.core.auth import Principal
from anju.core.db import utcnow
from anju.core.errors import Invalid, NotFound
from anju.core.kit.china_time import china_date
from anju.parking.enums import PassKind, SpaceKind
from anju.parking.exceptions import CarParkNotFound, CouponCodeTaken, LaneNotFound, SpaceCodeTaken, SpaceNotFound
from anju.parking.models import (
    CarPark,
    ParkingBlacklist,
    ParkingCoupon,
    ParkingLane,
    ParkingPass,
    ParkingSpace,
    VisitorCar,
)
from anju.parking.repository import ParkingRepository
from anju.parking.schemas import (
    BlacklistCreate,
    CarParkCreate,
    CouponCreate,
    LaneCreate,
    PassCreate,
    SpaceCreate,
    VisitorCarCreate,
)

MAX_VISITOR_WINDOW = timedelta(days=7)


def add_months(d: date, months: int) -> date:
    """The same day `months` later (clamped to the month's end: 01-31 + 1 month = 02-28/29)."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


class ParkingService:
    # --- car parks ------------------------------------------------------------------------------------
    def car_park(self, session: Session, *, by: Principal, car_park_id: int) -> CarPark:
        cp = session.get(CarPark, car_park_id)
        if cp is None or not by.in_scope(cp.compound_id):
            raise CarParkNotFound(f"car park {car_park_id}")
        return cp

    def car_parks(self, session: Session, *, by: Principal, compound_id: int | None = None) -> list[CarPark]:
        ids = sorted(by.compound_ids) if compound_id is None else [compound_id]
        if compound_id is not None and not by.in_scope(compound_id):
            raise NotFound(f"compound {compound_id}")
        return ParkingRepository(session).car_parks(ids)

    def create_car_park(self, session: Session, *, by: Principal, data: CarParkCreate) -> CarPark:
        if not by.in_scope(data.compound_id):
            raise NotFound(f"compound {data.compound_id}")
        cp = CarPark(**data.model_dump())
        session.add(cp)
        session.flush()
        return cp

    # --- spaces ---------------------------------------------------------------------------------------
    def spaces(self, session: Session, *, by: Principal, car_park_id: int) -> list[ParkingSpace]:
        cp = self.car_park(session, by=by, car_park_id=car_park_id)
        return ParkingRepository(session).spaces(cp.id)

    def space(self, session: Session, *, by: Principal, space_id: int) -> ParkingSpace:
        sp = session.get(ParkingSpace, space_id)
        if sp is None or not by.in_scope(sp.compound_id):
            raise SpaceNotFound(f"space {space_id}")
        return sp

    def add_space(self, session: Session, *, by: Principal, car_park_id: int, data: SpaceCreate) -> ParkingSpace:
        cp = self.car_park(session, by=by, car_park_id=car_park_id)
        if data.house_id is not None:
            self._house_in(session, by=by, compound_id=cp.compound_id, house_id=data.house_id)
        if data.kind in (SpaceKind.owned, SpaceKind.rented) and data.house_id is None:
            raise Invalid(
                "an owned or rented space names its house",
                zh="产权车位或租赁车位须指定所属房屋",
                fields=[{"field": "house_id", "message": "required for owned/rented spaces", "type": "missing"}],
            )
        if ParkingRepository(session).space_by_code(cp.id, data.code) is not None:
            raise SpaceCodeTaken(f"space {data.code} exists in car park {cp.id}")
        sp = ParkingSpace(compound_id=cp.compound_id, car_park_id=cp.id, **data.model_dump())
        try:
            with session.begin_nested():
                session.add(sp)
                session.flush()
        except IntegrityError as e:  # a parallel add of the same code
            raise SpaceCodeTaken(f"space {data.code} exists in car park {cp.id}") from e
        return sp

    # --- lanes ----------------------------------------------------------------------------------------
    def lane(self, session: Session, *, by: Principal, lane_id: int) -> ParkingLane:
        lane = session.get(ParkingLane, lane_id)
        if lane is None or not by.in_scope(lane.compound_id):
            raise LaneNotFound(f"lane {lane_id}")
        return lane

    def lanes(self, session: Session, *, by: Principal, car_park_id: int) -> list[ParkingLane]:
        cp = self.car_park(session, by=by, car_park_id=car_park_id)
        return ParkingRepository(session).lanes(cp.id)

    def add_lane(self, session: Session, *, by: Principal, data: LaneCreate) -> ParkingLane:
        from anju.devices.enums import DeviceType
        from anju.devices.service import device_service

        cp = self.car_park(session, by=by, car_park_id=data.car_park_id)
        for field, device_id in (
            ("barrier_device_id", data.barrier_device_id),
            ("camera_device_id", data.camera_device_id),
        ):
            if device_id is None:
                continue
            device = device_service.get(session, by=by, device_id=device_id)  # 404 outside the caller's compounds
            if device.compound_id != cp.compound_id:
                raise NotFound(f"device {device_id}")
            if field == "barrier_device_id" and device.device_type != DeviceType.barrier_gate:
                raise Invalid(
                    f"device {device_id} is not a barrier gate",
                    zh="道闸设备类型不符",
                    fields=[{"field": field, "message": "not a barrier gate", "type": "device_type"}],
                )
        lane = ParkingLane(
            compound_id=cp.compound_id,
            car_park_id=cp.id,
            name=data.name,
            direction=data.direction,
            barrier_device_id=data.barrier_device_id,
            camera_device_id=data.camera_device_id,
        )
        session.add(lane)
        session.flush()
        return lane

    # --- passes ---------------------------------------------------------------------------------------
    def add_pass(self, session: Session, *, by: Principal, data: PassCreate) -> ParkingPass:
        from anju.registry.models import Vehicle

        cp = self.car_park(session, by=by, car_park_id=data.car_park_id)
        vehicle = session.get(Vehicle, data.vehicle_id)
        if vehicle is None or vehicle.compound_id != cp.compound_id:
            raise NotFound(f"vehicle {data.vehicle_id}")
        if data.space_id is not None:
            sp = self.space(session, by=by, space_id=data.space_id)
            if sp.car_park_id != cp.id:
                raise NotFound(f"space {data.space_id}")
            if sp.kind == SpaceKind.fire_lane:
                raise Invalid("a fire-lane zone cannot carry a pass", zh="消防通道禁停区不能办理车位月卡")
        until = data.valid_until or (
            add_months(data.valid_from, 1 if data.kind == PassKind.monthly else 12) - timedelta(days=1)
        )
        if until < data.valid_from:
            raise Invalid(
                "valid_until is before valid_from",
                zh="有效期结束日早于开始日",
                fields=[{"field": "valid_until", "message": "before valid_from", "type": "range"}],
            )
        p = ParkingPass(
            compound_id=cp.compound_id,
            vehicle_id=vehicle.id,
            car_park_id=cp.id,
            space_id=data.space_id,
            kind=data.kind,
            valid_from=data.valid_from,
            valid_until=until,
            fee_fen=data.fee_fen,
        )
        session.add(p)
        session.flush()
        return p

    def add_blacklist(self, session: Session, *, by: Principal, data: BlacklistCreate) -> ParkingBlacklist:
        if not by.in_scope(data.compound_id):
            raise NotFound(f"compound {data.compound_id}")
        row = ParkingBlacklist(compound_id=data.compound_id, plate=data.plate, reason=data.reason)
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            existing = ParkingRepository(session).blacklisted(data.compound_id, data.plate)
            assert existing is not None
            return existing
        return row

    # --- merchant coupons ------------------------------------------------------------------------------
    def issue_coupon(self, session: Session, *, by: Principal, data: CouponCreate) -> ParkingCoupon:
        """A merchant's coupon for one car park (free minutes and/or fen off one temporary stay)."""
        cp = self.car_park(session, by=by, car_park_id=data.car_park_id)
        row = ParkingCoupon(compound_id=cp.compound_id, **data.model_dump())
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError as e:
            raise CouponCodeTaken(f"coupon {data.code} exists") from e
        return row

    # --- visitor cars (residents on H5) ----------------------------------------------------------------
    def authorise_visitor(
        self, session: Session, *, by: Principal, data: VisitorCarCreate, now: datetime | None = None
    ) -> VisitorCar:
        """A resident lets a visitor's car in for a window (at most 7 days); another house is a 404."""
        from anju.registry.service import house_service

        now = now or utcnow()
        house = house_service.get_readable(session, who=by, house_id=data.house_id)
        if by.house_ids and house.id not in by.house_ids:
            raise NotFound(f"house {data.house_id}")
        if data.valid_until <= data.valid_from:
            raise Invalid(
                "the window ends before it starts",
                zh="结束时间须晚于开始时间",
                fields=[{"field": "valid_until", "message": "before valid_from", "type": "range"}],
            )
        if data.valid_until - data.valid_from > MAX_VISITOR_WINDOW or data.valid_until < now:
            raise Invalid(
                "a visitor car window lasts at most 7 days and must not be over",
                zh="访客车辆授权最长 7 天，且不能早于当前时间",
                fields=[{"field": "valid_until", "message": "window too long or over", "type": "range"}],
            )
        v = VisitorCar(
            compound_id=house.compound_id,
            house_id=house.id,
            plate=data.plate,
            valid_from=data.valid_from,
            valid_until=data.valid_until,
            created_by=by.user_id,
        )
        session.add(v)
        session.flush()
        return v

    def household_vehicles(self, session: Session, *, by: Principal) -> list[Any]:
        """The vehicles registered to the caller's current houses (their household)."""
        from sqlalchemy import select

        from anju.registry.models import Vehicle

        houses = sorted(by.house_ids)
        if not houses:
            return []
        return list(session.execute(select(Vehicle).where(Vehicle.house_id.in_(houses)).order_by(Vehicle.id)).scalars())

    def my_parking(self, session: Session, *, by: Principal) -> dict[str, Any]:
        """A resident's vehicles (of their current houses), their passes and visitor cars still valid."""
        houses = sorted(by.house_ids)
        vehicles = self.household_vehicles(session, by=by)
        repo = ParkingRepository(session)
        today = china_date()
        return {
            "vehicles": [
                {"id": v.id, "plate": v.plate, "vehicle_class": str(v.vehicle_class), "house_id": v.house_id}
                for v in vehicles
            ],
            "passes": [p for p in repo.passes_of_vehicles([v.id for v in vehicles]) if p.valid_until >= today],
            "visitor_cars": repo.visitor_cars_of_houses(houses, since=utcnow()) if houses else [],
        }

    def _house_in(self, session: Session, *, by: Principal, compound_id: int, house_id: int) -> None:
        from anju.registry.service import house_service

        house = house_service.get_readable(session, who=by, house_id=house_id)
        if house.compound_id != compound_id:
            raise NotFound(f"house {house_id}")


parking_service = ParkingService()

"""Every parking query."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from anju.parking.enums import SessionCategory, SpaceKind
from anju.parking.models import (
    CarPark,
    FireLaneStop,
    LaneEvent,
    LanePhoto,
    ParkingBlacklist,
    ParkingCoupon,
    ParkingLane,
    ParkingPass,
    ParkingSession,
    ParkingSpace,
    VisitorCar,
)
from anju.registry.models import Vehicle


class ParkingRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- set-up -------------------------------------------------------------------------------------
    def car_parks(self, compound_ids: Sequence[int]) -> list[CarPark]:
        stmt = select(CarPark).where(CarPark.compound_id.in_(compound_ids)).order_by(CarPark.id)
        return list(self.session.execute(stmt).scalars())

    def spaces(self, car_park_id: int) -> list[ParkingSpace]:
        stmt = select(ParkingSpace).where(ParkingSpace.car_park_id == car_park_id).order_by(ParkingSpace.code)
        return list(self.session.execute(stmt).scalars())

    def space_by_code(self, car_park_id: int, code: str) -> ParkingSpace | None:
        stmt = select(ParkingSpace).where(ParkingSpace.car_park_id == car_park_id, ParkingSpace.code == code)
        return self.session.execute(stmt).scalar_one_or_none()

    def lanes(self, car_park_id: int) -> list[ParkingLane]:
        stmt = select(ParkingLane).where(ParkingLane.car_park_id == car_park_id).order_by(ParkingLane.id)
        return list(self.session.execute(stmt).scalars())

    def lane_of_camera(self, device_id: int) -> ParkingLane | None:
        stmt = select(ParkingLane).where(ParkingLane.camera_device_id == device_id).order_by(ParkingLane.id)
        return self.session.execute(stmt).scalars().first()

    # --- who is this plate --------------------------------------------------------------------------
    def vehicles(self, compound_id: int) -> list[Vehicle]:
        stmt = select(Vehicle).where(Vehicle.compound_id == compound_id, Vehicle.active.is_(True))
        return list(self.session.execute(stmt).scalars())

    def vehicle_by_plate(self, compound_id: int, plate: str) -> Vehicle | None:
        stmt = select(Vehicle).where(
            Vehicle.compound_id == compound_id, Vehicle.plate == plate, Vehicle.active.is_(True)
        )
        return self.session.execute(stmt).scalar_one_or_none()

    def valid_pass(self, vehicle_id: int, car_park_id: int, on: date) -> ParkingPass | None:
        stmt = select(ParkingPass).where(
            ParkingPass.vehicle_id == vehicle_id,
            ParkingPass.car_park_id == car_park_id,
            ParkingPass.revoked_at.is_(None),
            ParkingPass.valid_from <= on,
            ParkingPass.valid_until >= on,
        )
        return self.session.execute(stmt.order_by(ParkingPass.valid_until.desc())).scalars().first()

    def passes_of_vehicles(self, vehicle_ids: Sequence[int]) -> list[ParkingPass]:
        if not vehicle_ids:
            return []
        stmt = select(ParkingPass).where(ParkingPass.vehicle_id.in_(vehicle_ids)).order_by(ParkingPass.valid_until)
        return list(self.session.execute(stmt).scalars())

    def blacklisted(self, compound_id: int, plate: str) -> ParkingBlacklist | None:
        stmt = select(ParkingBlacklist).where(
            ParkingBlacklist.compound_id == compound_id, ParkingBlacklist.plate == plate
        )
        return self.session.execute(stmt).scalar_one_or_none()

    def visitor_car(self, compound_id: int, plate: str, at: datetime) -> VisitorCar | None:
        stmt = select(VisitorCar).where(
            VisitorCar.compound_id == compound_id,
            VisitorCar.plate == plate,
            VisitorCar.cancelled_at.is_(None),
            VisitorCar.valid_from <= at,
            VisitorCar.valid_until >= at,
        )
        return self.session.execute(stmt.order_by(VisitorCar.id.desc())).scalars().first()

    def visitor_cars_of_houses(self, house_ids: Sequence[int], *, since: datetime) -> list[VisitorCar]:
        stmt = select(VisitorCar).where(VisitorCar.house_id.in_(house_ids), VisitorCar.valid_until >= since)
        return list(self.session.execute(stmt.order_by(VisitorCar.valid_from)).scalars())

    def expected_visitor_cars(self, compound_id: int, *, now: datetime, until: datetime) -> list[VisitorCar]:
        """Visitor cars authorised for a window overlapping [now, until), not cancelled and not inside now."""
        inside = select(ParkingSession.visitor_car_id).where(
            ParkingSession.compound_id == compound_id,
            ParkingSession.exited_at.is_(None),
            ParkingSession.visitor_car_id.is_not(None),
        )
        stmt = select(VisitorCar).where(
            VisitorCar.compound_id == compound_id,
            VisitorCar.cancelled_at.is_(None),
            VisitorCar.valid_until > now,
            VisitorCar.valid_from < until,
            VisitorCar.id.not_in(inside),
        )
        return list(self.session.execute(stmt.order_by(VisitorCar.valid_from).limit(50)).scalars())

    def visitors_inside(self, house_id: int) -> int:
        stmt = select(func.count(ParkingSession.id)).where(
            ParkingSession.house_id == house_id,
            ParkingSession.category == SessionCategory.visitor,
            ParkingSession.exited_at.is_(None),
        )
        return int(self.session.execute(stmt).scalar_one())

    # --- sessions and captures ----------------------------------------------------------------------
    def open_session(self, car_park_id: int, plate: str) -> ParkingSession | None:
        stmt = select(ParkingSession).where(
            ParkingSession.car_park_id == car_park_id,
            ParkingSession.plate == plate,
            ParkingSession.exited_at.is_(None),
        )
        return self.session.execute(stmt.order_by(ParkingSession.id.desc())).scalars().first()

    def sessions(self, compound_ids: Sequence[int], *, inside: bool | None, limit: int) -> list[ParkingSession]:
        stmt = select(ParkingSession).where(ParkingSession.compound_id.in_(compound_ids))
        if inside is True:
            stmt = stmt.where(ParkingSession.exited_at.is_(None))
        elif inside is False:
            stmt = stmt.where(ParkingSession.exited_at.is_not(None))
        return list(self.session.execute(stmt.order_by(ParkingSession.id.desc()).limit(limit)).scalars())

    def household_sessions(
        self, compound_ids: Sequence[int], *, vehicle_ids: Sequence[int], house_ids: Sequence[int], limit: int
    ) -> list[tuple[ParkingSession, CarPark]]:
        """Stays of a household: its registered vehicles' and the visitor cars it hosted, newest first."""
        mine = []
        if vehicle_ids:
            mine.append(ParkingSession.vehicle_id.in_(vehicle_ids))
        if house_ids:
            mine.append(ParkingSession.house_id.in_(house_ids))
        if not mine:
            return []
        from sqlalchemy import or_

        stmt = (
            select(ParkingSession, CarPark)
            .join(CarPark, CarPark.id == ParkingSession.car_park_id)
            .where(ParkingSession.compound_id.in_(compound_ids), or_(*mine))
            .order_by(ParkingSession.entered_at.desc(), ParkingSession.id.desc())
            .limit(limit)
        )
        return list(self.session.execute(stmt).tuples())

    def lane_event(self, lane_id: int, event_id: str) -> LaneEvent | None:
        stmt = select(LaneEvent).where(LaneEvent.lane_id == lane_id, LaneEvent.event_id == event_id)
        return self.session.execute(stmt).scalar_one_or_none()

    def lane_events(self, compound_ids: Sequence[int], *, lane_id: int | None, limit: int) -> list[LaneEvent]:
        stmt = select(LaneEvent).where(LaneEvent.compound_id.in_(compound_ids))
        if lane_id is not None:
            stmt = stmt.where(LaneEvent.lane_id == lane_id)
        return list(self.session.execute(stmt.order_by(LaneEvent.id.desc()).limit(limit)).scalars())

    def coupon_of_session(self, session_id: int) -> ParkingCoupon | None:
        stmt = select(ParkingCoupon).where(ParkingCoupon.session_id == session_id)
        return self.session.execute(stmt).scalar_one_or_none()

    def coupon_by_code(self, compound_id: int, code: str) -> ParkingCoupon | None:
        stmt = select(ParkingCoupon).where(ParkingCoupon.compound_id == compound_id, ParkingCoupon.code == code)
        return self.session.execute(stmt).scalar_one_or_none()

    def photo_of(self, lane_event_id: int) -> LanePhoto | None:
        stmt = select(LanePhoto).where(LanePhoto.lane_event_id == lane_event_id)
        return self.session.execute(stmt).scalar_one_or_none()

    def events_with_photo(self, lane_event_ids: Sequence[int]) -> set[int]:
        if not lane_event_ids:
            return set()
        stmt = select(LanePhoto.lane_event_id).where(LanePhoto.lane_event_id.in_(lane_event_ids))
        return set(self.session.execute(stmt).scalars())

    def session_by_token(self, token: str) -> ParkingSession | None:
        stmt = select(ParkingSession).where(ParkingSession.no_plate_token == token)
        return self.session.execute(stmt).scalar_one_or_none()

    def cas(self, model: Any, row_id: int, *, where: Sequence[Any], values: dict[str, Any]) -> bool:
        """Compare-and-swap one row: True if this caller changed it (a rival worker or guard lost)."""
        res = self.session.execute(update(model).where(model.id == row_id, *where).values(**values))
        return int(getattr(res, "rowcount", 0) or 0) == 1

    # --- timers -------------------------------------------------------------------------------------
    def zombie_candidates(self, now: datetime) -> list[tuple[ParkingSession, CarPark]]:
        stmt = (
            select(ParkingSession, CarPark)
            .join(CarPark, CarPark.id == ParkingSession.car_park_id)
            .where(
                ParkingSession.exited_at.is_(None),
                ParkingSession.zombie_flagged_at.is_(None),
                ParkingSession.category != SessionCategory.resident,
            )
        )
        return [(s, c) for s, c in self.session.execute(stmt).tuples() if _older(s.entered_at, now, days=c.zombie_days)]

    def zombies(self, compound_ids: Sequence[int]) -> list[ParkingSession]:
        stmt = select(ParkingSession).where(
            ParkingSession.compound_id.in_(compound_ids),
            ParkingSession.exited_at.is_(None),
            ParkingSession.zombie_flagged_at.is_not(None),
        )
        return list(self.session.execute(stmt.order_by(ParkingSession.entered_at)).scalars())

    def fire_lane_due(self) -> list[tuple[FireLaneStop, ParkingSpace, CarPark]]:
        stmt = (
            select(FireLaneStop, ParkingSpace, CarPark)
            .join(ParkingSpace, ParkingSpace.id == FireLaneStop.space_id)
            .join(CarPark, CarPark.id == ParkingSpace.car_park_id)
            .where(FireLaneStop.ended_at.is_(None), FireLaneStop.alarmed_at.is_(None))
        )
        return list(self.session.execute(stmt).tuples())

    def open_fire_lane_stop(self, space_id: int) -> FireLaneStop | None:
        stmt = select(FireLaneStop).where(FireLaneStop.space_id == space_id, FireLaneStop.ended_at.is_(None))
        return self.session.execute(stmt.order_by(FireLaneStop.id)).scalars().first()

    def fire_lane_spaces(self, car_park_id: int) -> list[ParkingSpace]:
        stmt = select(ParkingSpace).where(
            ParkingSpace.car_park_id == car_park_id, ParkingSpace.kind == SpaceKind.fire_lane
        )
        return list(self.session.execute(stmt).scalars())

    def purge_before(self, before: datetime) -> tuple[int, int]:
        """Delete captures older than `before` and closed sessions that ended before it: (captures, sessions)."""
        from sqlalchemy import delete

        old = select(ParkingSession.id).where(ParkingSession.exited_at < before)
        gone = select(LaneEvent.id).where((LaneEvent.at < before) | LaneEvent.session_id.in_(old))
        self.session.execute(delete(LanePhoto).where(LanePhoto.lane_event_id.in_(gone)))  # the photos go first
        self.session.execute(delete(ParkingCoupon).where(ParkingCoupon.session_id.in_(old)))  # redeemed on them
        ev = self.session.execute(delete(LaneEvent).where((LaneEvent.at < before) | LaneEvent.session_id.in_(old)))
        se = self.session.execute(delete(ParkingSession).where(ParkingSession.exited_at < before))
        used = select(ParkingSession.visitor_car_id).where(ParkingSession.visitor_car_id.is_not(None))
        self.session.execute(delete(VisitorCar).where(VisitorCar.valid_until < before, VisitorCar.id.not_in(used)))
        self.session.execute(delete(FireLaneStop).where(FireLaneStop.ended_at < before))
        return int(getattr(ev, "rowcount", 0) or 0), int(getattr(se, "rowcount", 0) or 0)


def _older(at: datetime, now: datetime, *, days: int) -> bool:
    from datetime import timedelta

    return at < now - timedelta(days=days)  # 超过 N 天: exactly N days is not yet a zombie

"""Fire-lane and zombie-car timers with frozen time (passed as `now`), once per stop/stay even with two workers,
and the fire-lane alarm deduplicated per place with the video rule's key (issue 13 item 6, R-S3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from anju.alarms.models import Alarm
from anju.core.db import transaction
from anju.core.events import OutboxEvent
from anju.parking.enums import SessionCategory, SpaceKind
from anju.parking.lane_service import FIRE_LANE_ALARM, fire_lane_dedupe_key, lane_service
from anju.parking.models import ParkingSession
from anju.parking.schemas import CarParkCreate, FireLaneStopIn, SpaceCreate
from anju.parking.service import parking_service
from tests.conftest import principal_of, run_worker_once
from tests.core.job_race import race
from tests.devices.helpers import DedicatedDatabase

T0 = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)


def requested(session, kind):
    rows = session.execute(select(OutboxEvent).where(OutboxEvent.topic == "alarms.AlarmRequested")).scalars()
    return [r.payload for r in rows if r.payload["kind"] == kind]


def fire_zone(session, park):
    return parking_service.add_space(
        session,
        by=park.manager,
        car_park_id=park.cp.id,
        data=SpaceCreate(code="XF-01", kind=SpaceKind.fire_lane, plan_x=0.4, plan_y=0.9),
    )


class TestFireLane:
    def test_r_s3_a_stop_alarms_only_beyond_the_limit_and_once(self, session, park):
        zone = fire_zone(session, park)
        lane_service.report_fire_lane_stop(
            session, by=park.guard, data=FireLaneStopIn(space_id=zone.id, plate="皖A0L727", started_at=T0), now=T0
        )
        assert lane_service.check_fire_lanes(session, now=T0 + timedelta(minutes=5)) == 0  # exactly the limit
        assert lane_service.check_fire_lanes(session, now=T0 + timedelta(minutes=5, seconds=1)) == 1
        assert lane_service.check_fire_lanes(session, now=T0 + timedelta(minutes=30)) == 0  # never again
        (req,) = requested(session, FIRE_LANE_ALARM)
        assert req["dedupe_key"] == fire_lane_dedupe_key(zone.id) and req["severity"] == "major"
        assert req["evidence"]["plate"] == "皖A0L727" and req["evidence"]["plan_x"] == 0.4

    def test_a_second_stop_in_the_same_place_counts_on_the_open_alarm(self, session, park):
        zone = fire_zone(session, park)
        first = lane_service.report_fire_lane_stop(
            session, by=park.guard, data=FireLaneStopIn(space_id=zone.id, started_at=T0), now=T0
        )
        lane_service.check_fire_lanes(session, now=T0 + timedelta(minutes=6))
        lane_service.end_fire_lane_stop(session, by=park.guard, stop_id=first.id, now=T0 + timedelta(minutes=7))
        lane_service.report_fire_lane_stop(
            session, by=park.guard, data=FireLaneStopIn(space_id=zone.id, started_at=T0 + timedelta(minutes=8)), now=T0
        )
        lane_service.check_fire_lanes(session, now=T0 + timedelta(minutes=20))
        run_worker_once()
        alarms = session.execute(select(Alarm).where(Alarm.dedupe_key == fire_lane_dedupe_key(zone.id))).scalars().all()
        assert len(alarms) == 1 and str(alarms[0].kind) == FIRE_LANE_ALARM

    def test_reporting_the_same_zone_twice_keeps_one_open_stop(self, session, park):
        zone = fire_zone(session, park)
        a = lane_service.report_fire_lane_stop(session, by=park.guard, data=FireLaneStopIn(space_id=zone.id), now=T0)
        b = lane_service.report_fire_lane_stop(session, by=park.guard, data=FireLaneStopIn(space_id=zone.id), now=T0)
        assert a.id == b.id

    def test_an_ordinary_space_is_not_a_fire_lane(self, session, park):
        from anju.core.errors import Invalid

        sp = parking_service.add_space(
            session, by=park.manager, car_park_id=park.cp.id, data=SpaceCreate(code="P-1", kind=SpaceKind.public)
        )
        with pytest.raises(Invalid):
            lane_service.report_fire_lane_stop(session, by=park.guard, data=FireLaneStopIn(space_id=sp.id), now=T0)


class TestZombies:
    def _stay(self, session, park, category, entered_at, plate):
        s = ParkingSession(
            compound_id=park.cp.compound_id,
            car_park_id=park.cp.id,
            plate=plate,
            category=category,
            entered_at=entered_at,
        )
        session.add(s)
        session.flush()
        return s

    def test_a_non_resident_car_inside_beyond_n_days_is_flagged_once(self, session, park):
        now = T0 + timedelta(days=60)
        exactly = self._stay(session, park, SessionCategory.temporary, now - timedelta(days=30), "皖AP6V68")
        beyond = self._stay(session, park, SessionCategory.visitor, now - timedelta(days=30, seconds=1), "苏E9E0A5")
        resident = self._stay(session, park, SessionCategory.resident, now - timedelta(days=90), park.li_plate)
        assert lane_service.check_zombies(session, now=now) == 1
        assert lane_service.check_zombies(session, now=now + timedelta(hours=1)) == 1  # `exactly` is now beyond
        assert lane_service.check_zombies(session, now=now + timedelta(days=1)) == 0
        for s in (exactly, beyond, resident):
            session.refresh(s)
        assert beyond.zombie_flagged_at == now and resident.zombie_flagged_at is None
        assert [p["evidence"]["plate"] for p in requested(session, "zombie_vehicle")] == ["苏E9E0A5", "皖AP6V68"]
        assert {exactly.id, beyond.id} <= {z.id for z in lane_service.zombies(session, by=park.manager)}

    def test_a_zombie_car_opens_one_work_order_through_the_alarm_centre(self, session, park):
        now = T0 + timedelta(days=60)
        self._stay(session, park, SessionCategory.temporary, now - timedelta(days=31), "皖N2J220")
        assert lane_service.check_zombies(session, now=now) == 1
        run_worker_once()  # AlarmRequested -> alarm -> AlarmRaised -> WorkOrderRequested -> order
        assert lane_service.check_zombies(session, now=now + timedelta(days=1)) == 0
        run_worker_once()
        orders = zombie_orders(session)
        assert len(orders) == 1 and orders[0].category == "parking" and "皖N2J220" in orders[0].title


def zombie_orders(session):
    from anju.workorders.models import WorkOrder

    return list(
        session.execute(
            select(WorkOrder).join(Alarm, Alarm.id == WorkOrder.alarm_id).where(Alarm.kind == "zombie_vehicle")
        ).scalars()
    )


@pytest.fixture(scope="module")
def real_db(tmp_path_factory):
    db = DedicatedDatabase(tmp_path_factory.mktemp("parking"), "parking")
    yield db
    db.close()


def test_two_workers_raise_each_fire_lane_and_zombie_alarm_once(real_db):
    with transaction() as s:
        a = s.execute(text("SELECT id FROM compound WHERE code='SFXQ'")).scalar_one()
        mgr = principal_of(s, "manager_wang")
        cp = parking_service.create_car_park(s, by=mgr, data=CarParkCreate(compound_id=a, name="并发停车场"))
        zones = [
            parking_service.add_space(s, by=mgr, car_park_id=cp.id, data=SpaceCreate(code=f"XF-{i}", kind="fire_lane"))
            for i in range(5)
        ]
        for z in zones:
            lane_service.report_fire_lane_stop(s, by=mgr, data=FireLaneStopIn(space_id=z.id, started_at=T0), now=T0)
        for i in range(5):
            s.add(
                ParkingSession(
                    compound_id=a,
                    car_park_id=cp.id,
                    plate=f"皖A1000{i}",
                    category="temporary",
                    entered_at=T0 - timedelta(days=40),
                )
            )
    counts: dict[int, tuple[int, int]] = {}

    def work(i: int) -> None:
        fire = zombie = 0
        for minutes in (10, 20, 30):  # both workers walk the same frozen clock
            with transaction() as s:
                fire += lane_service.check_fire_lanes(s, now=T0 + timedelta(minutes=minutes))
                zombie += lane_service.check_zombies(s, now=T0 + timedelta(minutes=minutes))
        counts[i] = (fire, zombie)

    race(2, work)
    assert counts[0][0] + counts[1][0] == 5 and counts[0][1] + counts[1][1] == 5
    with transaction() as s:
        assert len(requested(s, FIRE_LANE_ALARM)) == 5
        assert len(requested(s, "zombie_vehicle")) == 5

    # Two outbox workers deliver the alarm requests and the linkage: one work order per zombie car.
    def deliver(i: int) -> None:
        import anju.handlers  # noqa: F401
        from anju.core.events import deliver_pending

        for _ in range(200):  # until nothing is pending (the rival may still be producing linkage events)
            deliver_pending(worker_id=f"w{i}", limit=5)
            with transaction() as s:
                if not s.scalar(select(func.count(OutboxEvent.id)).where(OutboxEvent.status == "pending")):
                    return

    race(2, deliver)
    with transaction() as s:
        assert len(zombie_orders(s)) == 5

"""Issue 15, third cut: device online rate as device-hours, false-alarm rate per source, camera coverage of key
positions (each formula named in the test and computed by hand on a few rows)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from anju.alarms.enums import AlarmSeverity, AlarmStatus
from anju.alarms.models import Alarm
from anju.analytics.coverage import coverage_figures
from anju.analytics.reports import compute, report_service
from anju.core.kit.china_time import CHINA_TZ
from anju.core.rollup import RollupState, registered_rollups, replace_span
from anju.devices.enums import DeviceStatus, DeviceType
from anju.devices.models import Device, DeviceMessage, DeviceOnlineHourly, DeviceState
from anju.devices.rollups import ONLINE
from anju.devices.service import online_device_hours
from anju.workorders.models import WorkOrder
from tests.conftest import principal_of


def cst(y: int, m: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=CHINA_TZ)


def device(session, compound_id, *, created, heartbeat=60, kind=DeviceType.smoke_detector, status=None) -> Device:
    key = uuid.uuid4().hex[:12]
    row = Device(
        compound_id=compound_id,
        device_key=f"T-{key}",
        name=f"测试{key[:4]}",
        device_type=kind,
        secret_enc="x",
        heartbeat_seconds=heartbeat,
        created_at=created,
    )
    session.add(row)
    session.flush()
    if status is not None:
        session.add(DeviceState(device_id=row.id, compound_id=compound_id, status=status))
        session.flush()
    return row


def heard(session, d: Device, at: datetime) -> None:
    session.add(
        DeviceMessage(
            device_id=d.id,
            compound_id=d.compound_id,
            event_id=uuid.uuid4().hex,
            kind="heartbeat",
            device_at=at,
            received_at=at,
            data={},
        )
    )
    session.flush()


@pytest.fixture
def new_year(session, ids):
    """Compound A on 2025-01-01, China time: d1 (heartbeat 60 s, registered the day before) heard in hours 0, 1
    and 2 (twice in hour 0); d2 registered at 03:30, heard in hour 4; d3 (heartbeat 2 h) heard in hour 0."""
    a = ids["A"]
    d1 = device(session, a, created=cst(2024, 12, 31, 9))
    d2 = device(session, a, created=cst(2025, 1, 1, 3, 30))
    d3 = device(session, a, created=cst(2024, 12, 31, 9), heartbeat=7200)
    for at in (cst(2025, 1, 1, 0, 5), cst(2025, 1, 1, 0, 50), cst(2025, 1, 1, 1, 1), cst(2025, 1, 1, 2, 59)):
        heard(session, d1, at)
    heard(session, d2, cst(2025, 1, 1, 4, 10))
    heard(session, d3, cst(2025, 1, 1, 0, 20))
    return a


class TestDeviceOnlineRate:
    def test_device_online_rate_is_device_hours_online_over_device_hours(self, session, new_year):
        # 00:00–06:00: d1 6 device-hours, 3 online; d2 from the 03:00 hour, 3 device-hours, 1 online; d3 (slower
        # heartbeat than an hour) takes no part; the demo devices were registered later.
        h = online_device_hours(session, compound_ids=[new_year], since=cst(2025, 1, 1, 0), until=cst(2025, 1, 1, 6))[
            new_year
        ]
        assert (h.online, h.total, h.rate) == (4, 9, 44.4)

    def test_rolled_hours_and_the_raw_tail_give_the_same_device_hours(self, session, new_year):
        rollup = registered_rollups()[ONLINE]
        replace_span(session, rollup, cst(2025, 1, 1, 0), cst(2025, 1, 1, 3), [new_year])
        rows = session.execute(
            select(DeviceOnlineHourly.devices).where(DeviceOnlineHourly.compound_id == new_year)
        ).scalars()
        assert sorted(rows) == [1, 1, 1]  # d1 in each of the three hours, once (d3 not counted)
        state = session.get(RollupState, ONLINE) or RollupState(name=ONLINE)
        state.rolled_until = cst(2025, 1, 1, 3)
        session.add(state)
        session.flush()
        h = online_device_hours(session, compound_ids=[new_year], since=cst(2025, 1, 1, 0), until=cst(2025, 1, 1, 6))[
            new_year
        ]
        assert (h.online, h.total) == (4, 9)

    def test_the_monthly_report_prints_device_hours_and_the_rate(self, session, new_year):
        d = compute(session, compound_id=new_year, kind="month", start=date(2025, 1, 1), end=date(2025, 2, 1))
        # January has 744 hours: d1 744 device-hours, d2 741 (from its 03:00 hour); 4 of them online
        assert d["technical"]["device_hours"] == 1485 and d["technical"]["device_hours_online"] == 4
        assert d["kpis"]["device_online_rate"] == 0.3

    def test_no_device_hours_is_no_data(self, session, ids):
        h = online_device_hours(session, compound_ids=[ids["B"]], since=cst(2020, 1, 1, 0), until=cst(2020, 1, 2, 0))
        assert h[ids["B"]].total == 0 and h[ids["B"]].rate is None


def alarm(session, compound_id, *, kind, source, status, device_id=None, at=None) -> None:
    key = f"test:{uuid.uuid4().hex}"
    at = at or cst(2025, 1, 10, 12)
    session.add(
        Alarm(
            compound_id=compound_id,
            kind=kind,
            severity=AlarmSeverity.major,
            source=source,
            dedupe_key=key,
            dedupe_slot=key if status == "new" else None,
            title="t",
            status=AlarmStatus(status),
            device_id=device_id,
            occurred_at=at,
            created_at=at,
            last_seen_at=at,
            closed_at=None if status == "new" else at + timedelta(minutes=10),
        )
    )
    session.flush()


class TestFalseAlarmsBySource:
    def test_false_alarm_rate_per_source_is_closed_as_false_over_closed(self, session, ids):
        a = ids["A"]
        smoke = device(session, a, created=cst(2024, 1, 1, 0))
        cam = device(session, a, created=cst(2024, 1, 1, 0), kind=DeviceType.camera)
        for status in ("false_alarm", "false_alarm", "resolved", "new"):  # 3 closed, 2 false; the open one is out
            alarm(session, a, kind="smoke", source=f"device:{smoke.id}", status=status, device_id=smoke.id)
        for kind, status in (("intrusion", "false_alarm"), ("intrusion", "resolved"), ("fall", "resolved")):
            alarm(session, a, kind=kind, source="video:camera:9", status=status, device_id=cam.id)
        alarm(session, a, kind="tailgating", source="access:point:3", status="resolved")
        alarm(session, a, kind="fire", source="user:7", status="false_alarm")
        d = compute(session, compound_id=a, kind="month", start=date(2025, 1, 1), end=date(2025, 2, 1))
        rows = {
            (r["source"], r["device_id"], r["detector"]): (r["closed"], r["false"], r["rate"])
            for r in d["technical"]["false_by_source"]
        }
        assert rows == {
            ("device", smoke.id, None): (3, 2, 66.7),
            ("camera", cam.id, "intrusion"): (2, 1, 50.0),
            ("camera", cam.id, "fall"): (1, 0, 0.0),
            ("access", None, None): (1, 0, 0.0),
            ("manual", None, None): (1, 1, 100.0),  # staff-reported: no person named, only the kind of source
        }
        assert d["technical"]["false_by_source"][0]["source"] == "device"  # most false first
        assert d["kpis"]["false_alarm_rate"] == 50.0  # pooled: 4 false ÷ 8 closed


class TestCameraCoverage:
    def test_camera_coverage_is_positions_with_an_online_camera_over_positions(self, session, ids, client, login):
        a = ids["A"]
        up = device(session, a, created=cst(2024, 1, 1, 0), kind=DeviceType.camera, status=DeviceStatus.online)
        down = device(session, a, created=cst(2024, 1, 1, 0), kind=DeviceType.camera, status=DeviceStatus.offline)
        h = login("manager_wang")
        assert coverage_figures(session, compound_id=a)["camera_coverage"] is None  # none defined: no data
        for kind, name, cams in (("gate", "东门", [up.id, down.id]), ("fire_lane", "3号楼消防通道", [down.id])):
            r = client.post(
                "/api/v1/analytics/key-positions",
                json={"compound_id": a, "kind": kind, "name": name, "camera_device_ids": cams},
                headers=h,
            )
            assert r.status_code == 201, r.text
        r = client.post(
            "/api/v1/analytics/key-positions",
            json={"compound_id": a, "kind": "perimeter", "name": "北侧围墙"},
            headers=h,
        )
        perimeter = r.json()["id"]
        assert r.json()["covered"] is False
        f = coverage_figures(session, compound_id=a)
        assert (f["key_positions"], f["key_positions_covered"], f["camera_coverage"]) == (3, 1, 33.3)
        assert f["uncovered_by_kind"] == {"fire_lane": 1, "perimeter": 1}
        r = client.put(
            f"/api/v1/analytics/key-positions/{perimeter}/cameras", json={"camera_device_ids": [up.id]}, headers=h
        )
        assert r.json()["covered"] is True and r.json()["online"] == [up.id]
        assert coverage_figures(session, compound_id=a)["camera_coverage"] == 66.7

    def test_key_position_bad_input(self, session, ids, client, login):
        a, b = ids["A"], ids["B"]
        smoke = device(session, a, created=cst(2024, 1, 1, 0))
        other_cam = device(session, b, created=cst(2024, 1, 1, 0), kind=DeviceType.camera)
        h = login("manager_wang")
        for cams in ([smoke.id], [other_cam.id]):  # not a camera; another compound's camera
            r = client.post(
                "/api/v1/analytics/key-positions",
                json={"compound_id": a, "kind": "gate", "name": "西门", "camera_device_ids": cams},
                headers=h,
            )
            assert r.status_code == 422, r.text
        r = client.post(
            "/api/v1/analytics/key-positions", json={"compound_id": a, "kind": "roof", "name": "x"}, headers=h
        )
        assert r.status_code == 422
        r = client.get(f"/api/v1/analytics/key-positions?compound_id={b}", headers=h)
        assert r.status_code == 404  # another compound's positions

    def test_coverage_below_target_opens_one_rectification_order(self, session, ids):
        a = ids["A"]
        down = device(session, a, created=cst(2024, 1, 1, 0), kind=DeviceType.camera, status=DeviceStatus.offline)
        from anju.analytics.coverage import key_position_service

        who = principal_of(session, "manager_wang")
        key_position_service.create(
            session, who=who, compound_id=a, kind="bike_garage", name="非机动车库", camera_device_ids=[down.id]
        )
        row, new = report_service.generate(
            session, compound_id=a, kind="month", day=date(2025, 1, 1), today=date(2025, 3, 1)
        )
        assert new and row.data["kpis"]["camera_coverage"] == 0.0
        asked = [o for o in row.data["rectification_orders"] if o["kpi"] == "camera_coverage"]
        assert len(asked) == 1 and asked[0]["target"] == 100.0
        assert session.get(WorkOrder, asked[0]["order_id"]) is not None
        again, new = report_service.generate(
            session, compound_id=a, kind="month", day=date(2025, 1, 1), today=date(2025, 3, 1)
        )
        assert not new and again.id == row.id  # the same period again: no second order


ORIGIN = {"Origin": "http://testserver"}


class TestShiftPage:
    def test_the_manager_plans_a_night_shift_and_marks_it_worked(self, client, persona, session, ids):
        from anju.accounts.service import staff_of
        from anju.analytics.models import StaffShift
        from anju.analytics.staff import SECURITY_ROLES

        guard = next(u for u in staff_of(session, ids["A"], SECURITY_ROLES) if u.role.value == "guard")
        persona("manager_wang").web(client)
        r = client.post(
            f"/console/staff-shifts?compound_id={ids['A']}",
            data={"user_id": str(guard.id), "day": "2025-01-06", "start": "20:00", "end": "08:00"},
            headers=ORIGIN,
            follow_redirects=False,
        )
        assert r.status_code == 303 and "err=" not in r.headers["location"], r.headers["location"]
        shift = session.execute(select(StaffShift).where(StaffShift.user_id == guard.id)).scalar_one()
        assert shift.starts_at == cst(2025, 1, 6, 20) and shift.ends_at == cst(2025, 1, 7, 8)  # ends the next day
        page = client.get(f"/console/staff-shifts?day=2025-01-08&compound_id={ids['A']}")
        assert page.status_code == 200 and f'data-shift="{shift.id}" data-status="planned"' in page.text
        assert "20:00–次日 08:00" in page.text and guard.display_name in page.text and "暂无数据" in page.text
        client.post(
            f"/console/staff-shifts/{shift.id}", data={"status": "attended", "day": "2025-01-06"}, headers=ORIGIN
        )
        page = client.get(f"/console/staff-shifts?day=2025-01-06&compound_id={ids['A']}")
        assert 'data-status="attended"' in page.text and "<b>100.0%</b>" in page.text
        bad = client.post(
            f"/console/staff-shifts?compound_id={ids['A']}",
            data={"user_id": str(guard.id), "day": "2025-01-07", "start": "25:00", "end": "08:00"},
            headers=ORIGIN,
            follow_redirects=False,
        )
        assert bad.status_code == 303 and "err=" in bad.headers["location"]  # a reason, nothing stored

    def test_r_p6_the_street_office_cannot_open_the_shift_roster(self, client, persona):
        persona("gov_street").web(client)
        assert client.get("/console/staff-shifts").status_code == 403


class TestStreetView:
    NOW = cst(2025, 3, 1, 0)

    def test_care_coverage_and_fee_collection_in_the_district_view(self, session, ids):
        from anju.analytics.picture import district
        from anju.care.models import CareProfile, CareVisit
        from anju.fees.models import Bill, FeeItem
        from anju.registry.models import House, Person

        a = ids["A"]
        people = (
            session.execute(
                select(Person.id)
                .where(Person.compound_id == a, Person.id.not_in(select(CareProfile.person_id)))
                .limit(6)
            )
            .scalars()
            .all()
        )
        assert len(people) == 6
        before = session.execute(
            select(func.count()).select_from(CareProfile).where(CareProfile.compound_id == a, CareProfile.active)
        ).scalar_one()  # the small world's own archive (no visits in early 2025)
        profiles = [CareProfile(compound_id=a, person_id=p) for p in people]
        profiles[5].active = False  # left the archive: not counted
        session.add_all(profiles)
        session.flush()
        for i, p in enumerate(profiles[:4]):  # three visited in the 30 days, one 40 days ago; the inactive one too
            at = self.NOW - timedelta(days=40 if i == 3 else 2)
            session.add(
                CareVisit(
                    compound_id=a,
                    profile_id=p.id,
                    kind="weekly",
                    plan_key=f"t:{p.id}",
                    due_on=at.date(),
                    status="done",
                    visited_at=at,
                )
            )
        session.add(
            CareVisit(
                compound_id=a,
                profile_id=profiles[5].id,
                kind="weekly",
                plan_key="t:x",
                due_on=date(2025, 2, 27),
                status="done",
                visited_at=self.NOW - timedelta(days=1),
            )
        )
        item = FeeItem(
            compound_id=a, code="T", name="物业费", kind="property", basis="house", rate_fen=100, filing_ref="t"
        )
        session.add(item)
        session.flush()
        houses = session.execute(select(House.id).where(House.compound_id == a).limit(2)).scalars().all()
        for house, paid, refunded, period in (
            (houses[0], 10000, 0, "2025-03"),
            (houses[1], 6000, 1000, "2025-03"),
            (houses[0], 10000, 0, "2025-02"),
        ):
            session.add(
                Bill(
                    compound_id=a,
                    house_id=house,
                    item_id=item.id,
                    period=period,
                    payer_kind="owner",
                    quantity=1,
                    basis={},
                    amount_fen=10000,
                    paid_fen=paid,
                    refunded_fen=refunded,
                    due_on=date(2025, 3, 31),
                )
            )
        session.flush()
        row = next(
            r
            for r in district(session, who=principal_of(session, "gov_street"), now=self.NOW)["compounds"]
            if r["id"] == a
        )
        assert row["care_profiles"] == before + 5  # active only
        # visited in the last 30 days ÷ people in care (formula screen.d.care_formula)
        assert row["care_coverage"] == round(100.0 * 3 / (before + 5), 1)
        assert row["fee_collection"] == 75.0  # March's bills: (10000 + 6000 − 1000) ÷ 20000
        assert row["votes"] == 0 and row["participation"] is None  # no vote closed: no data, not 0%

    def test_street_hot_spots_pool_compounds_and_hide_small_counts(self, session, ids):
        from anju.analytics.street import street_hotspots
        from anju.registry.models import Building

        a, b = ids["A"], ids["B"]
        ba = session.execute(select(Building).where(Building.compound_id == a).limit(1)).scalar_one()
        for week in range(6):  # Mondays 22:10 at one building of A
            alarm(
                session,
                a,
                kind="theft",
                source="user:1",
                status="resolved",
                at=cst(2025, 2, 24, 22, 10) - timedelta(weeks=week),
            )
        session.flush()
        session.execute(
            Alarm.__table__.update().where(Alarm.compound_id == a, Alarm.kind == "theft").values(building_id=ba.id)
        )
        for day in (3, 4):
            alarm(session, b, kind="intrusion", source="device:0", status="resolved", at=cst(2025, 2, day, 3))
        hot = street_hotspots(session, who=principal_of(session, "gov_street"), now=self.NOW)
        shown = {r["id"]: r["incidents"] for r in hot["compounds"]}
        assert shown[b] == "<5" and shown[a] == "—"  # A hidden too: the total 8 minus A would give B away
        assert hot["total"] == 8
        top = hot["top"][0]
        assert (top["compound_id"], top["building"], top["day"], top["hour"], top["recent"]) == (a, ba.name, 0, 22, 6)
        assert hot["heat"][0][22] == 1.0  # the peak of the relative heat: Monday 22:00
        assert all(isinstance(v, float) for day in hot["heat"] for v in day)  # shades only, no counts


class TestKeyPositionPage:
    def test_the_manager_defines_a_key_position_and_assigns_a_camera(self, client, persona, session, ids):
        from anju.analytics.models import KeyPosition

        a = ids["A"]
        up = device(session, a, created=cst(2024, 1, 1, 0), kind=DeviceType.camera, status=DeviceStatus.online)
        persona("manager_wang").web(client)
        r = client.post(
            f"/console/key-positions?compound_id={a}",
            data={"kind": "fire_lane", "name": "2号楼消防通道"},
            headers=ORIGIN,
            follow_redirects=False,
        )
        assert r.status_code == 303 and "err=" not in r.headers["location"]
        pos = session.execute(select(KeyPosition).where(KeyPosition.compound_id == a)).scalar_one()
        page = client.get(f"/console/key-positions?compound_id={a}")
        assert f'data-position="{pos.id}" data-covered="no"' in page.text and "消防通道" in page.text
        client.post(f"/console/key-positions/{pos.id}", data={"camera": [str(up.id)]}, headers=ORIGIN)
        page = client.get(f"/console/key-positions?compound_id={a}")
        assert f'data-position="{pos.id}" data-covered="yes"' in page.text and ">100.0%<" in page.text
        bad = client.post(
            f"/console/key-positions?compound_id={a}",
            data={"kind": "gate", "name": " "},
            headers=ORIGIN,
            follow_redirects=False,
        )
        assert "err=" in bad.headers["location"]  # a reason, nothing stored

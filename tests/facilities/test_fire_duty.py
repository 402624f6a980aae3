"""R-S7: the fire control room roster — ≥ 2 people per shift, 24 h, gaps flagged once through the alarm centre."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from anju.alarms.models import Alarm
from anju.core.db import transaction
from anju.core.events import OutboxEvent
from anju.facilities import fire_duty
from anju.facilities.models import FireDutyGap
from anju.workorders.sla import CST
from tests.conftest import run_worker_once
from tests.core.job_race import race
from tests.devices.helpers import DedicatedDatabase
from tests.facilities.conftest import principal

API = "/api/v1/facilities/fire-duty"
T0 = datetime(2026, 11, 23, 8, 0, tzinfo=CST)  # a Monday, 08:00 China time
NOW = T0 + timedelta(minutes=10)


def _week(days: int = 7, staff=("张伟", "李娜"), start: datetime = T0):
    """Three 8-hour shifts a day from `start`."""
    return [
        (start + timedelta(hours=8 * i), start + timedelta(hours=8 * (i + 1)), list(staff)) for i in range(days * 3)
    ]


def _set(session, who, compound_id, shifts, start=T0, end=None):
    return fire_duty.set_roster(
        session,
        by=who("manager_wang"),
        compound_id=compound_id,
        start=start,
        end=end or start + timedelta(days=8),
        shifts=shifts,
    )


def _alarm_requests(session, compound_id):
    rows = session.execute(
        select(OutboxEvent.payload).where(
            OutboxEvent.topic == "alarms.AlarmRequested", OutboxEvent.compound_id == compound_id
        )
    ).scalars()
    return sum(1 for p in rows if p.get("kind") == "fire_duty_gap")


class TestStaffing:
    def test_r_s7_a_full_roster_of_pairs_has_no_gaps(self):
        assert fire_duty.staffing(_week(), T0, T0 + timedelta(days=7)) == []

    def test_r_s7_one_person_is_understaffed_and_an_empty_hour_uncovered(self):
        shifts = _week(1)
        shifts[1] = (shifts[1][0], shifts[1][1], ["张伟"])  # 16:00–24:00 with one person
        shifts.pop(2)  # nobody 00:00–08:00
        gaps = fire_duty.staffing(shifts, T0, T0 + timedelta(days=1))
        assert [(g.kind, g.starts_at.hour if g.starts_at.tzinfo else None, g.on_duty) for g in gaps] == [
            ("understaffed", 16, 1),
            ("uncovered", 0, 0),
        ]
        assert gaps[0].ends_at == gaps[1].starts_at == T0 + timedelta(hours=16)
        assert gaps[1].ends_at == T0 + timedelta(days=1)

    def test_r_s7_the_same_person_twice_is_one_person(self):
        assert (
            fire_duty.staffing(
                [(T0, T0 + timedelta(hours=8), ["张伟"]), (T0, T0 + timedelta(hours=8), ["张伟"])],
                T0,
                T0 + timedelta(hours=8),
            )[0].on_duty
            == 1
        )


class TestWatch:
    def test_r_s7_gaps_raise_one_alarm_each_however_often_the_job_runs(self, session, ids, who):
        shifts = _week(6)
        shifts[4] = (shifts[4][0], shifts[4][1], ["王强"])  # Tuesday 16:00–24:00: one person
        _set(session, who, ids["A"], shifts)  # and nothing planned for the 7th day: uncovered
        raised = fire_duty.check_compound(session, compound_id=ids["A"], now=NOW)
        rows = fire_duty.open_gaps(session, compound_id=ids["A"])
        assert sorted(r.kind for r in rows) == ["uncovered", "understaffed"] and len(raised) == 2
        under = next(r for r in rows if r.kind == "understaffed")
        assert (under.starts_at, under.ends_at) == (shifts[4][0], shifts[4][1])
        tail = next(r for r in rows if r.kind == "uncovered")
        assert (tail.starts_at, tail.ends_at, tail.on_duty) == (T0 + timedelta(days=6), T0 + timedelta(days=7), 0)
        for later in (NOW, NOW + timedelta(minutes=15), NOW + timedelta(hours=3)):
            assert fire_duty.check_compound(session, compound_id=ids["A"], now=later) == []
        assert _alarm_requests(session, ids["A"]) == 2
        run_worker_once()
        alarms = (
            session.execute(select(Alarm).where(Alarm.compound_id == ids["A"], Alarm.kind == "fire_duty_gap"))
            .scalars()
            .all()
        )
        assert len(alarms) == 2 and any("仅 1 人值班" in a.title for a in alarms)

    def test_r_s7_fixing_the_roster_resolves_the_gap(self, session, ids, who):
        shifts = _week(8)
        shifts[4] = (shifts[4][0], shifts[4][1], ["王强"])
        _set(session, who, ids["A"], shifts)
        assert len(fire_duty.check_compound(session, compound_id=ids["A"], now=NOW)) == 1
        shifts[4] = (shifts[4][0], shifts[4][1], ["王强", "赵敏"])
        _set(session, who, ids["A"], shifts)
        assert fire_duty.check_compound(session, compound_id=ids["A"], now=NOW + timedelta(hours=1)) == []
        assert fire_duty.open_gaps(session, compound_id=ids["A"]) == []
        gap = session.execute(select(FireDutyGap).where(FireDutyGap.compound_id == ids["A"])).scalar_one()
        assert gap.resolved_at is not None

    def test_r_s7_a_gap_already_running_is_not_raised_again_as_the_window_moves(self, session, ids, who):
        _set(session, who, ids["A"], _week(1, start=T0 + timedelta(days=1)))  # nobody today from 08:00
        first = fire_duty.check_compound(session, compound_id=ids["A"], now=NOW)
        assert len(first) == 2  # today's hours, and the tail after the one planned day
        for h in (1, 2, 5, 12):
            assert fire_duty.check_compound(session, compound_id=ids["A"], now=NOW + timedelta(hours=h)) == []
        assert len(fire_duty.open_gaps(session, compound_id=ids["A"])) == 2


@pytest.fixture(scope="module")
def real_db(tmp_path_factory):
    db = DedicatedDatabase(tmp_path_factory.mktemp("fd"), "fd")
    yield db
    db.close()


def test_r_s7_two_workers_raise_each_gap_once(real_db):
    with transaction() as s:
        manager = principal(s, "manager_wang")
        cid = min(manager.compound_ids)
        fire_duty.set_roster(
            s,
            by=manager,
            compound_id=cid,
            start=T0,
            end=T0 + timedelta(days=8),
            shifts=[(T0, T0 + timedelta(hours=8), ["一人"])],
        )
    results: list[object] = []

    def run() -> None:
        try:
            with transaction() as s:
                results.append(fire_duty.check_all(s, now=NOW))
        except Exception as exc:  # noqa: BLE001  (a lock timeout is a lost run, retried next tick: never a duplicate)
            results.append(type(exc).__name__)

    race(2, lambda _: run())
    with transaction() as s:
        fire_duty.check_all(s, now=NOW + timedelta(minutes=15))  # the next tick finds nothing new
        gaps = s.execute(select(FireDutyGap).where(FireDutyGap.compound_id == cid)).scalars().all()
        assert sorted(g.kind for g in gaps) == ["uncovered", "understaffed"]
        assert _alarm_requests(s, cid) == 2, results  # one per gap, whichever worker won


class TestApi:
    def _body(self, ids, shifts, start=T0, days=8):
        return {
            "compound_id": ids["A"],
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(days=days)).isoformat(),
            "shifts": [{"starts_at": a.isoformat(), "ends_at": b.isoformat(), "staff": s} for a, b, s in shifts],
        }

    def test_r_s7_put_returns_the_gaps_and_get_lists_them(self, client, login, ids):
        shifts = _week(8)
        shifts[0] = (shifts[0][0], shifts[0][1], ["张伟"])
        r = client.put(f"{API}/roster", json=self._body(ids, shifts), headers=login("manager_wang"))
        assert r.status_code == 200, r.text
        assert [g["kind"] for g in r.json()["gaps"]] == ["understaffed"] and len(r.json()["shifts"]) == 24
        got = client.get(API, params={"compound_id": ids["A"]}, headers=login("staff_liu"))
        assert got.status_code == 200

    def test_r_s7_bad_rosters_are_refused_with_a_reason(self, client, login, ids):
        h = login("manager_wang")
        a = T0
        bad = [
            [(a, a - timedelta(hours=1), ["张伟", "李娜"])],  # ends before it starts
            [(a, a + timedelta(hours=30), ["张伟", "李娜"])],  # longer than 24 h
            [(a, a + timedelta(hours=8), ["张伟", "张伟"])],  # the same name twice
            [
                (a, a + timedelta(hours=8), ["张伟", "李娜"]),
                (a + timedelta(hours=4), a + timedelta(hours=12), ["王强", "赵敏"]),
            ],  # overlapping
            [(a - timedelta(hours=8), a, ["张伟", "李娜"])],  # outside the range
        ]
        for shifts in bad:
            r = client.put(f"{API}/roster", json=self._body(ids, shifts), headers=h)
            assert r.status_code == 422, (shifts, r.text)
            assert "班次" in r.text  # the reason names the shift
        r = client.put(f"{API}/roster", json={**self._body(ids, []), "compound_id": ids["B"]}, headers=h)
        assert r.status_code == 404
        r = client.put(f"{API}/roster", json=self._body(ids, []), headers=login("guard_chen"))
        assert r.status_code == 403

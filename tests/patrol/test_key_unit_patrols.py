"""R-S4: the scheduler gives key units (消防安全重点部位) a daily patrol round; a missed one raises an alarm."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from anju.core.events import OutboxEvent
from anju.patrol.models import PatrolCheckpoint, PatrolSchedule
from anju.patrol.service import (
    check_in,
    check_rounds,
    ensure_key_unit_patrols,
    window_of,
)
from tests.patrol.test_patrol import API

T0 = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)  # 10:00 China time


def _route(client, login, compound_id, *, key: bool, windows=()):
    body = {
        "compound_id": compound_id,
        "name": "消防重点部位巡查" if key else "普通巡更",
        "windows": [list(w) for w in windows],
        "checkpoints": [
            {"name": "消防控制室", "key_point": key, "max_interval_minutes": 120 if key else None},
            {"name": "水泵房", "key_point": key},
        ],
    }
    r = client.post(f"{API}/routes", json=body, headers=login("manager_wang"))
    assert r.status_code == 201, r.text
    points = client.get(f"{API}/routes/{r.json()['id']}/checkpoints", headers=login("manager_wang")).json()
    return r.json()["id"], points


def _schedules(session, route_id):
    return session.execute(select(PatrolSchedule).where(PatrolSchedule.route_id == route_id)).scalars().all()


def test_r_s4_a_route_with_key_units_gets_a_daily_round_once(client, login, ids, session):
    key_route, _ = _route(client, login, ids["A"], key=True)
    plain_route, _ = _route(client, login, ids["A"], key=False)
    created = ensure_key_unit_patrols(session, now=T0)
    schedules = _schedules(session, key_route)
    assert len(schedules) == 1 and schedules[0].id in created and schedules[0].auto
    assert schedules[0].created_at == T0 and schedules[0].window_minutes > 0
    assert _schedules(session, plain_route) == []  # only key units are required daily
    assert [
        s for s in ensure_key_unit_patrols(session, now=T0 + timedelta(minutes=1)) if s in {x.id for x in schedules}
    ] == []
    assert len(_schedules(session, key_route)) == 1


def test_r_s4_a_route_that_already_has_a_round_is_left_alone(client, login, ids, session):
    route, _ = _route(client, login, ids["A"], key=True, windows=[(22 * 60, 60)])
    ensure_key_unit_patrols(session, now=T0)
    assert [(s.start_minute, s.auto) for s in _schedules(session, route)] == [(22 * 60, False)]


def test_r_s4_the_daily_key_unit_round_is_judged_and_a_miss_alarms(client, login, ids, session, who):
    route, points = _route(client, login, ids["A"], key=True)
    session.execute(
        PatrolCheckpoint.__table__.update()
        .where(PatrolCheckpoint.route_id == route)
        .values(created_at=T0 - timedelta(days=30))
    )  # the route is old; the schedule is new
    ensure_key_unit_patrols(session, now=T0)
    schedule = _schedules(session, route)[0]
    assert [d for d in check_rounds(session, now=T0 + timedelta(hours=12)) if d[0] == schedule.id] == []
    day = date(2026, 11, 18)
    start, end = window_of(schedule, day)
    assert start.astimezone(UTC) <= T0 + timedelta(hours=6)
    # the round of the day the schedule was created, before it existed, is not judged: the next day is
    nxt = day + timedelta(days=1)
    start, end = window_of(schedule, nxt)
    check_in(session, by=who("guard_chen"), code=points[0]["code"], now=start + timedelta(minutes=5))
    decided = [d for d in check_rounds(session, now=end + timedelta(minutes=1)) if d[0] == schedule.id]
    assert decided == [(schedule.id, nxt, "missed")]
    alarms = [
        e
        for e in session.execute(select(OutboxEvent).where(OutboxEvent.topic == "alarms.AlarmRequested")).scalars()
        if e.payload["source"] == f"patrol:route:{route}"
    ]
    assert len(alarms) == 1

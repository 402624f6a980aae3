"""Hourly rollups (issue 19): closed hours, late rows, changed outcomes, idempotent and safe with two workers.

Every run is given its `now` (frozen time); the figures read through the domains' services (passage_counts,
alarm_hour_counts, reading_counts) must equal the raw tables' own counts whatever the rollup holds.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select

from anju.access.decision_service import _raw_passage_counts, passage_counts
from anju.access.models import AccessHourly, AccessLog
from anju.access.rollups import NAME as ACCESS
from anju.alarms.enums import AlarmAction, AlarmSeverity, AlarmStatus
from anju.alarms.models import Alarm, AlarmHourly, AlarmTransition
from anju.alarms.rollups import NAME as ALARMS
from anju.alarms.service import alarm_hour_counts
from anju.core.rollup import RollupState, hour_floor, registered_rollups, run_rollup, split
from anju.devices.models import Device, DeviceMessage
from anju.devices.service import reading_counts
from tests.core.databases import dedicated_database
from tests.core.job_race import race

NOW = datetime(2026, 12, 6, 10, 20, tzinfo=UTC)  # frozen: 18:20 China time


def _passages(session, compound_id: int, times: list[datetime], direction: str = "in") -> None:
    session.execute(
        insert(AccessLog),
        [
            {
                "compound_id": compound_id,
                "method": "card",
                "decision": "allow",
                "reason": "test",
                "direction": direction,
                "source": "online",
                "server_at": t,
                "skew_flagged": False,
            }
            for t in times
        ],
    )
    session.flush()


def _alarm(session, compound_id: int, at: datetime, *, kind: str = "theft", building_id: int | None = None) -> Alarm:
    key = f"test:{uuid.uuid4().hex}"
    a = Alarm(
        compound_id=compound_id,
        kind=kind,
        severity=AlarmSeverity.major,
        source="test:rollup",
        dedupe_key=key,
        dedupe_slot=key,
        title="t",
        status=AlarmStatus.new,
        building_id=building_id,
        occurred_at=at,
        created_at=at,
        last_seen_at=at,
    )
    session.add(a)
    session.flush()
    return a


def _run(name: str, now: datetime):
    return run_rollup(registered_rollups()[name], now=now)


def _entries(session, compound_id: int, since: datetime, until: datetime | None = None) -> int:
    return sum(p.count for p in passage_counts(session, compound_ids=[compound_id], since=since, until=until))


def _raw_entries(session, compound_id: int, since: datetime, until: datetime | None = None) -> int:
    return sum(n for _, n in _raw_passage_counts(session, [compound_id], since, until))


def _rolled_total(session, compound_id: int) -> int:
    return int(
        session.execute(
            select(func.coalesce(func.sum(AccessHourly.n), 0)).where(AccessHourly.compound_id == compound_id)
        ).scalar_one()
    )


class TestAccessRollup:
    def test_closed_hours_come_from_the_rollup_and_equal_the_raw_log(self, session, ids):
        a = ids["A"]
        times = [NOW - timedelta(hours=h, minutes=m) for h in range(1, 30) for m in (5, 35)] + [
            NOW - timedelta(minutes=3)
        ]
        _passages(session, a, times)
        report = _run(ACCESS, NOW)
        state = session.get(RollupState, ACCESS)
        assert state.rolled_until == hour_floor(NOW - timedelta(minutes=2)) == datetime(2026, 12, 6, 10, tzinfo=UTC)
        assert report.closed_hours > 0
        since = NOW - timedelta(hours=26, minutes=17)  # a partial hour at the start
        plan = split(session, ACCESS, since, NOW)
        assert plan.rolled == (datetime(2026, 12, 5, 9, tzinfo=UTC), datetime(2026, 12, 6, 10, tzinfo=UTC))
        assert _rolled_total(session, a) >= 2 * 29
        assert _entries(session, a, since, NOW) == _raw_entries(session, a, since, NOW) > 0

    def test_a_rerun_is_idempotent(self, session, ids):
        a = ids["A"]
        _passages(session, a, [NOW - timedelta(hours=h) for h in range(2, 8)])
        _run(ACCESS, NOW)
        first = _rolled_total(session, a)
        _run(ACCESS, NOW)
        _run(ACCESS, NOW + timedelta(minutes=5))
        assert _rolled_total(session, a) == first
        since = NOW - timedelta(days=2)
        assert _entries(session, a, since) == _raw_entries(session, a, since)

    def test_a_late_row_in_a_closed_hour_is_folded_in_by_the_next_run_once(self, session, ids):
        a = ids["A"]
        _passages(session, a, [NOW - timedelta(hours=5)])
        _run(ACCESS, NOW)
        since = NOW - timedelta(hours=8)
        before = _entries(session, a, since)
        _passages(session, a, [NOW - timedelta(hours=5, minutes=10)] * 3)  # arrives after its hour was rolled up
        _run(ACCESS, NOW + timedelta(minutes=5))
        assert _entries(session, a, since) == before + 3 == _raw_entries(session, a, since)
        _run(ACCESS, NOW + timedelta(minutes=10))  # the run after looks at those ids again: still no double
        _run(ACCESS, NOW + timedelta(minutes=15))
        assert _entries(session, a, since) == before + 3

    def test_compounds_stay_apart(self, session, ids):
        a, b = ids["A"], ids["B"]
        at = NOW - timedelta(hours=3, minutes=20)
        _passages(session, a, [at] * 4)
        _passages(session, b, [at] * 2)
        _run(ACCESS, NOW)
        cell = (AccessHourly.hour == hour_floor(at), AccessHourly.method == "card", AccessHourly.access_point_id == 0)
        rows = dict(session.execute(select(AccessHourly.compound_id, AccessHourly.n).where(*cell)).all())
        assert (rows.get(a, 0), rows.get(b, 0)) == (4, 2)
        since = NOW - timedelta(hours=4)
        assert _entries(session, b, since) == _raw_entries(session, b, since)


class TestAlarmRollup:
    def test_r_a8_a_closed_alarm_moves_from_open_to_its_outcome_in_its_hour(self, session, ids):
        a = ids["A"]
        at = NOW - timedelta(hours=6, minutes=15)
        alarm = _alarm(session, a, at, building_id=None)
        _run(ALARMS, NOW)
        hour = hour_floor(at)

        def outcomes() -> dict[str, int]:
            rows = session.execute(
                select(AlarmHourly.outcome, AlarmHourly.n).where(
                    AlarmHourly.compound_id == a, AlarmHourly.hour == hour, AlarmHourly.place == "p:test:rollup"
                )
            ).all()
            return dict(rows)

        assert outcomes() == {"open": 1}
        alarm.status, alarm.outcome, alarm.closed_at = AlarmStatus.resolved, "handled", NOW
        session.add(
            AlarmTransition(
                alarm_id=alarm.id, compound_id=a, action=AlarmAction.resolved, from_status="new", to_status="resolved"
            )
        )
        session.flush()
        _run(ALARMS, NOW + timedelta(minutes=5))
        assert outcomes() == {"handled": 1}

    def test_an_alarm_raised_late_with_its_device_time_counts_in_its_hour(self, session, ids):
        a = ids["A"]
        _run(ALARMS, NOW)
        since = NOW - timedelta(days=3)
        before = sum(
            c.count for c in alarm_hour_counts(session, compound_ids=[a], since=since, kinds=frozenset({"theft"}))
        )
        old = NOW - timedelta(days=2, hours=3)
        _alarm(session, a, old)
        _run(ALARMS, NOW + timedelta(minutes=5))
        counts = alarm_hour_counts(session, compound_ids=[a], since=since, kinds=frozenset({"theft"}))
        assert sum(c.count for c in counts) == before + 1
        assert any(c.hour == hour_floor(old) for c in counts)
        raw = session.execute(
            select(func.count()).where(Alarm.compound_id == a, Alarm.kind == "theft", Alarm.occurred_at >= since)
        ).scalar_one()
        assert sum(c.count for c in counts) == raw

    def test_hotspot_counts_read_the_rollup_and_the_open_hour(self, session, ids):
        a = ids["A"]
        _alarm(session, a, NOW - timedelta(hours=30), building_id=7)
        _run(ALARMS, NOW)
        _alarm(session, a, NOW - timedelta(minutes=1), building_id=7)  # the open hour: raw
        counts = alarm_hour_counts(
            session, compound_ids=[a], since=NOW - timedelta(days=2), until=NOW, kinds=frozenset({"theft"})
        )
        here = sorted((c.hour, c.count) for c in counts if c.place == "b:7")
        assert here == [(hour_floor(NOW - timedelta(hours=30)), 1), (hour_floor(NOW), 1)]


class TestDeviceRollup:
    def test_readings_per_hour_and_devices_heard(self, session, ids):
        a = ids["A"]
        devices = list(session.execute(select(Device.id).where(Device.compound_id == a).limit(2)).scalars())
        at = NOW - timedelta(hours=4, minutes=30)
        session.execute(
            insert(DeviceMessage),
            [
                {
                    "device_id": d,
                    "compound_id": a,
                    "event_id": uuid.uuid4().hex,
                    "kind": "telemetry",
                    "device_at": at,
                    "received_at": at + timedelta(seconds=i),
                    "data": {},
                }
                for i, d in enumerate(devices * 3)
            ],
        )
        session.flush()
        from anju.devices.rollups import NAME

        _run(NAME, NOW)
        rows = [
            r
            for r in reading_counts(session, compound_ids=[a], since=NOW - timedelta(hours=6), until=NOW)
            if r.hour == hour_floor(at) and r.kind == "telemetry"
        ]
        assert [(r.messages, r.devices) for r in rows] == [(6, len(devices))]


class TestTwoWorkers:
    def test_two_workers_running_the_rollup_at_once_never_double_a_count(self, tmp_path):
        from anju.core.db import new_session
        from anju.registry.models import Compound

        with dedicated_database(tmp_path, "rollup_race", seed=True) as (_url, _engine):
            with new_session() as s:
                a = s.execute(select(Compound.id).where(Compound.code == "SFXQ")).scalar_one()
                _passages(s, a, [NOW - timedelta(hours=h, minutes=m) for h in range(1, 50) for m in range(0, 60, 7)])
                s.commit()
            race(2, lambda i: _run(ACCESS, NOW))
            with new_session() as s:
                _passages(s, a, [NOW - timedelta(hours=9)] * 5)  # late rows, then both workers again
                s.commit()
            race(2, lambda i: _run(ACCESS, NOW + timedelta(minutes=5)))
            with new_session() as s:
                since = NOW - timedelta(days=3)
                assert _entries(s, a, since, NOW) == _raw_entries(s, a, since, NOW) == 49 * 9 + 5
                assert _rolled_total(s, a) == 49 * 9 + 5

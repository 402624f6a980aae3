"""Deadlines with a frozen clock: grade presets (R-W1), complaints (R-W3), business hours, pauses, the 80 %
warning, escalation L1–L3 with re-dispatch, and two workers that never escalate twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from anju.core.db import transaction
from anju.notify.models import Notification
from anju.registry.models import Compound
from anju.workorders.enums import OrderKind, Priority, SlaState
from anju.workorders.models import (
    SlaPolicy,
    WorkOrder,
    WorkOrderEvent,
    WorkTeam,
    WorkTeamMember,
)
from anju.workorders.schemas import OrderActionBody, OrderCreate
from anju.workorders.service import work_order_service
from anju.workorders.sla import CST, add_minutes
from anju.workorders.timers import fire_due
from tests.core.job_race import race
from tests.devices.helpers import DedicatedDatabase
from tests.workorders.conftest import principal

T0 = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)  # Wednesday 10:00 China time


def _open(
    session, who, ids, *, kind=OrderKind.common_repair, priority=Priority.emergency, category="plumbing", now=T0
) -> WorkOrder:
    return work_order_service.open(
        session,
        by=who,
        now=now,
        data=OrderCreate(compound_id=ids["A"], kind=kind, category=category, priority=priority, title="地下室水管爆裂"),
    )


def _act(session, who, order, action, now, **kw) -> WorkOrder:
    return work_order_service.act(
        session, by=who, order_id=order.id, body=OrderActionBody(action=action, **kw), now=now
    )


def _mine(fired, order):
    return [(d, lvl) for o, d, lvl in fired if o == order.id]


def _escalations(session, order):
    return [
        e.note
        for e in session.execute(
            select(WorkOrderEvent)
            .where(WorkOrderEvent.order_id == order.id, WorkOrderEvent.action.in_(["warned", "escalated"]))
            .order_by(WorkOrderEvent.id)
        ).scalars()
    ]


class TestGradePresets:
    def test_r_w1_grade_1_emergency_breaches_after_30_minutes(self, session, ids, who):
        order = _open(session, who("manager_wang"), ids)
        assert order.response_due_at == T0 + timedelta(minutes=30)
        assert _mine(fire_due(session, now=T0 + timedelta(minutes=23, seconds=59)), order) == []
        assert _mine(fire_due(session, now=T0 + timedelta(minutes=24)), order) == [("response", 0)]  # 80 %
        session.refresh(order)
        assert order.sla_state == SlaState.warning
        assert _mine(fire_due(session, now=T0 + timedelta(minutes=29, seconds=59)), order) == []
        assert _mine(fire_due(session, now=T0 + timedelta(minutes=30)), order) == [("response", 1)]
        session.refresh(order)
        assert (order.sla_state, order.escalation_level) == (SlaState.breached, 1)
        assert _mine(fire_due(session, now=T0 + timedelta(minutes=45)), order) == [("response", 2)]
        assert _mine(fire_due(session, now=T0 + timedelta(minutes=60)), order) == [("response", 3)]
        assert _mine(fire_due(session, now=T0 + timedelta(days=1)), order) == [
            ("resolution", 0),
            ("resolution", 1),
            ("resolution", 2),
            ("resolution", 3),
        ]
        assert _mine(fire_due(session, now=T0 + timedelta(days=9)), order) == []  # each timer once
        notes = [n.split(" / ")[0] for n in _escalations(session, order)]
        assert notes[:4] == [
            "到场时限已用 80%",
            "到场超时，升级 L1（主管）",
            "到场超时，升级 L2（经理）",
            "到场超时，升级 L3（公司）",
        ]

    def test_r_w1_escalation_levels_reach_supervisor_manager_company(self, session, ids, who):
        order = _open(session, who("manager_wang"), ids)
        fire_due(session, now=T0 + timedelta(minutes=60))
        uid = {u: who(u).user_id for u in ("staff_liu", "manager_wang", "admin")}
        titles = {
            u: [
                n.title
                for n in session.execute(
                    select(Notification).where(Notification.user_id == i, Notification.category == "workorder_sla")
                ).scalars()
                if f"#{order.id} " in n.title
            ]
            for u, i in uid.items()
        }
        assert len(titles["staff_liu"]) >= 2  # warning (no assignee: the supervisors) and L1
        assert len(titles["manager_wang"]) == 2  # L2 and L3
        assert len(titles["admin"]) == 1  # L3: the company

    def test_r_w1_grade_2_emergency_has_60_minutes(self, session, ids, who):
        session.get(Compound, ids["A"]).service_grade = 2
        session.flush()
        order = _open(session, who("manager_wang"), ids)
        assert order.response_due_at == T0 + timedelta(minutes=60)
        assert _mine(fire_due(session, now=T0 + timedelta(minutes=30)), order) == []
        assert _mine(fire_due(session, now=T0 + timedelta(minutes=60)), order) == [("response", 0), ("response", 1)]

    def test_r_w1_configurable_per_compound(self, session, ids, who):
        session.add(
            SlaPolicy(
                compound_id=ids["A"],
                category="plumbing",
                priority="emergency",
                response_minutes=15,
                resolution_minutes=120,
                calendar="24x7",
            )
        )
        session.flush()
        order = _open(session, who("manager_wang"), ids)
        assert order.response_due_at == T0 + timedelta(minutes=15)
        assert order.resolution_due_at == T0 + timedelta(minutes=120)

    def test_arriving_in_time_stops_the_response_clock(self, session, ids, who):
        wang, liu = who("manager_wang"), who("staff_liu")
        order = _open(session, wang, ids)
        _act(session, wang, order, "dispatched", T0 + timedelta(minutes=1), assignee_user_id=liu.user_id)
        _act(session, liu, order, "arrived", T0 + timedelta(minutes=20))
        assert order.response_met is True
        assert _mine(fire_due(session, now=T0 + timedelta(minutes=90)), order) == []
        _act(session, liu, order, "completed", T0 + timedelta(hours=5))  # resolution (240 min) missed
        assert order.resolution_met is False

    def test_r_s3_unfixed_fire_hazard_asks_for_a_report_at_l3(self, session, ids, who):
        order = _open(
            session, who("manager_wang"), ids, kind=OrderKind.hazard, category="fire_safety", priority=Priority.urgent
        )
        fire_due(session, now=T0 + timedelta(minutes=120))  # urgent: arrival 60 min, L3 at twice that
        assert any("上报主管部门" in n for n in _escalations(session, order))


class TestComplaints:
    def test_r_w3_complaints_are_answered_within_10_days(self, session, ids, who):
        order = _open(session, who("resident_li"), {"A": None}, kind=OrderKind.complaint, priority=Priority.normal)
        assert order.response_due_at is None
        assert order.resolution_due_at == T0 + timedelta(days=10)
        assert _mine(fire_due(session, now=T0 + timedelta(days=8)), order) == [("resolution", 0)]
        assert _mine(fire_due(session, now=T0 + timedelta(days=10)), order) == [("resolution", 1)]

    def test_r_w3_the_default_is_configurable(self, session, ids, who, monkeypatch):
        session.execute(text("DELETE FROM work_order_sla WHERE category='complaint'"))
        session.add(
            SlaPolicy(
                compound_id=ids["A"],
                category="complaint",
                priority="*",
                response_minutes=None,
                resolution_minutes=5 * 1440,
                calendar="24x7",
            )
        )
        session.flush()
        order = _open(session, who("resident_li"), {"A": None}, kind=OrderKind.complaint, priority=Priority.normal)
        assert order.resolution_due_at == T0 + timedelta(days=5)
        session.execute(text("DELETE FROM work_order_sla WHERE category='complaint'"))
        from anju.workorders import config

        monkeypatch.setenv("ANJU_WORKORDERS_COMPLAINT_ANSWER_DAYS", "15")
        config.wo_settings.cache_clear()
        try:
            order = _open(session, who("resident_li"), {"A": None}, kind=OrderKind.complaint, priority=Priority.normal)
            assert order.resolution_due_at == T0 + timedelta(days=15)
        finally:
            monkeypatch.delenv("ANJU_WORKORDERS_COMPLAINT_ANSWER_DAYS")
            config.wo_settings.cache_clear()

    def test_suggestions_have_no_deadline(self, session, ids, who):
        order = _open(session, who("resident_li"), {"A": None}, kind=OrderKind.suggestion, priority=Priority.low)
        assert (order.response_due_at, order.resolution_due_at, order.sla_state) == (None, None, SlaState.none)


class TestBusinessCalendar:
    def test_business_minutes_skip_nights_and_sundays(self):
        fri_1730 = datetime(2026, 11, 20, 17, 30, tzinfo=CST)
        assert add_minutes(fri_1730, 120, "business") == datetime(2026, 11, 21, 9, 30, tzinfo=CST)  # Saturday
        sat_1730 = datetime(2026, 11, 21, 17, 30, tzinfo=CST)
        assert add_minutes(sat_1730, 120, "business") == datetime(2026, 11, 23, 9, 30, tzinfo=CST)  # Monday
        night = datetime(2026, 11, 18, 23, 0, tzinfo=CST)
        assert add_minutes(night, 60, "business") == datetime(2026, 11, 19, 9, 0, tzinfo=CST)
        assert add_minutes(night, 60, "24x7") == datetime(2026, 11, 19, 0, 0, tzinfo=CST)

    def test_normal_repairs_use_business_hours(self, session, ids, who):
        fri_1730 = datetime(2026, 11, 20, 17, 30, tzinfo=CST).astimezone(UTC)
        order = _open(session, who("manager_wang"), ids, priority=Priority.normal, now=fri_1730)
        assert order.response_due_at == datetime(2026, 11, 21, 9, 30, tzinfo=CST)


class TestPause:
    def test_waiting_for_the_owner_stops_the_clock(self, session, ids, who):
        wang, liu = who("manager_wang"), who("staff_liu")
        order = _open(session, wang, ids)  # resolution 240 min
        _act(session, wang, order, "dispatched", T0, assignee_user_id=liu.user_id)
        _act(session, liu, order, "arrived", T0 + timedelta(minutes=10))
        _act(session, liu, order, "waiting_owner", T0 + timedelta(minutes=60), note="业主不在家")
        assert _mine(fire_due(session, now=T0 + timedelta(hours=10)), order) == []  # paused: nothing fires
        _act(session, liu, order, "resumed", T0 + timedelta(hours=10))
        assert order.resolution_due_at == T0 + timedelta(minutes=240) + timedelta(hours=9)
        assert order.paused_seconds == 9 * 3600
        assert _mine(fire_due(session, now=T0 + timedelta(hours=10, minutes=10)), order) == []
        assert _mine(fire_due(session, now=order.resolution_due_at), order) == [("resolution", 0), ("resolution", 1)]


class TestRedispatch:
    def test_l1_breach_redispatches_to_someone_else(self, session, ids, who):
        liu, wang = who("staff_liu"), who("manager_wang")
        team = WorkTeam(
            compound_id=ids["A"], name="给排水班", categories=["drainage"], strategy="least_loaded", rr_cursor=0
        )
        session.add(team)
        session.flush()
        session.add_all(
            [
                WorkTeamMember(team_id=team.id, user_id=liu.user_id),
                WorkTeamMember(team_id=team.id, user_id=wang.user_id),
            ]
        )
        session.flush()
        order = _open(session, wang, ids, category="drainage")
        first = order.assignee_user_id
        assert first in (liu.user_id, wang.user_id) and order.status == "dispatched"
        fire_due(session, now=T0 + timedelta(minutes=30))
        session.refresh(order)
        assert order.assignee_user_id not in (None, first) and order.status == "dispatched"
        assert any(
            e.note and "re-dispatched" in e.note
            for e in session.execute(select(WorkOrderEvent).where(WorkOrderEvent.order_id == order.id)).scalars()
        )

    def test_round_robin_takes_turns(self, session, ids, who):
        liu, zhou = who("staff_liu"), who("grid_zhou")
        team = WorkTeam(compound_id=ids["A"], name="保洁", categories=["cleaning"], strategy="round_robin", rr_cursor=0)
        session.add(team)
        session.flush()
        session.add_all(
            [
                WorkTeamMember(team_id=team.id, user_id=liu.user_id),
                WorkTeamMember(team_id=team.id, user_id=zhou.user_id),
            ]
        )
        session.flush()
        got = [_open(session, liu, ids, category="cleaning", priority=Priority.low).assignee_user_id for _ in range(4)]
        assert got == sorted([liu.user_id, zhou.user_id]) * 2


@pytest.fixture(scope="module")
def real_db(tmp_path_factory):
    db = DedicatedDatabase(tmp_path_factory.mktemp("wosla"), "wosla")
    yield db
    db.close()


def test_two_workers_never_escalate_twice(real_db):
    with transaction() as s:
        wang = principal(s, "manager_wang")
        compound = next(iter(wang.compound_ids))
        order_ids = [
            work_order_service.open(
                s,
                by=wang,
                now=T0,
                data=OrderCreate(
                    compound_id=compound,
                    kind=OrderKind.common_repair,
                    category="plumbing",
                    priority=Priority.emergency,
                    title=f"并发升级 {k}",
                ),
            ).id
            for k in range(12)
        ]
    results: dict[str, list[tuple[int, str, int]]] = {}

    def work(name: str) -> None:
        fired: list[tuple[int, str, int]] = []
        for minutes in (24, 30, 45, 60, 24 * 60):  # both workers walk the same frozen clock
            with transaction() as s:
                fired += fire_due(s, now=T0 + timedelta(minutes=minutes), worker_id=name)
        results[name] = fired

    race(2, lambda i: work(("w1", "w2")[i]))
    everything = [f for f in results["w1"] + results["w2"] if f[0] in order_ids]
    expected = [(o, d, lvl) for o in order_ids for d in ("response", "resolution") for lvl in range(4)]
    assert sorted(everything) == sorted(expected)  # every timer fired, none twice
    with transaction() as s:
        n = s.execute(
            select(func.count())
            .select_from(WorkOrderEvent)
            .where(WorkOrderEvent.order_id.in_(order_ids), WorkOrderEvent.action == "escalated")
        ).scalar_one()
        assert n == len(order_ids) * 6

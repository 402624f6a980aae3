"""R-S1 and R-S3 end to end: an alarm request → alarm → linkage → a fire-safety-violation work order."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from anju.alarms.events import AlarmRequested
from anju.alarms.models import AlarmPolicy
from anju.alarms.policies import EBIKE_KINDS
from anju.alarms.service import alarm_service
from anju.core.db import utcnow
from anju.workorders import timers
from anju.workorders.enums import Priority
from anju.workorders.models import WorkOrder, WorkOrderEvent
from tests.conftest import run_worker_once


def _alarm(session, compound_id: int, kind: str, severity: str = "minor", title: str = "电动车进入电梯") -> int:
    request = AlarmRequested(
        compound_id=compound_id,
        kind=kind,
        severity=severity,
        source="vision:camera:7",
        dedupe_key=f"t:{uuid.uuid4().hex}",
        title=title,
        floor=1,
    )
    alarm_id = alarm_service.raise_or_refresh(session, request=request).alarm_id
    session.flush()
    run_worker_once()  # AlarmRaised → linkage → WorkOrderRequested → the work-order handler
    return alarm_id


def _order(session, alarm_id: int) -> WorkOrder:
    return session.execute(select(WorkOrder).where(WorkOrder.alarm_id == alarm_id)).scalar_one()


def test_r_s1_every_ebike_location_opens_a_fire_safety_violation_citing_article_37(session, ids):
    for kind in EBIKE_KINDS:  # corridor, stairwell, lobby, exit, lift
        order = _order(session, _alarm(session, ids["A"], kind))
        assert order.category == "fire_safety" and order.kind == "alarm", kind
        assert "【消防违规】" in order.description and "高层民用建筑消防安全管理规定》第37条" in order.description
        assert order.priority in (Priority.urgent, Priority.emergency)  # never routine, even for a minor alarm


def test_r_s1_the_local_rule_is_configured_per_compound(session, ids):
    session.add(
        AlarmPolicy(
            compound_id=ids["A"],
            kind="ebike_in_lift",
            severity="*",
            policy={"local_rule": "《广东省高层民用建筑消防安全管理办法》第25条"},
        )
    )
    session.flush()
    here = _order(session, _alarm(session, ids["A"], "ebike_in_lift"))
    assert "第37条；《广东省高层民用建筑消防安全管理办法》第25条" in here.description
    other = _order(session, _alarm(session, ids["B"], "ebike_in_lift"))
    assert "第37条" in other.description and "广东省" not in other.description  # compound B has no local rule


def test_r_s1_the_local_rule_is_not_cited_for_a_smoke_alarm(session, ids):
    session.add(AlarmPolicy(compound_id=ids["A"], kind="*", severity="*", policy={"local_rule": "地方规定第1条"}))
    session.flush()
    smoke = _order(session, _alarm(session, ids["A"], "smoke", "critical", "烟感报警"))
    assert "地方规定" not in smoke.description and "【消防违规】" not in smoke.description
    ebike = _order(session, _alarm(session, ids["A"], "ebike_in_corridor"))
    assert "地方规定第1条" in ebike.description


def test_r_s3_fire_lane_obstruction_is_an_emergency_order_that_escalates_to_the_authorities(session, ids):
    alarm_id = _alarm(session, ids["A"], "fire_lane_blocked", "minor", "消防通道被车辆占用")
    order = _order(session, alarm_id)
    assert order.category == "fire_safety" and order.priority == Priority.emergency  # a minor alarm still
    assert "《消防法》第28条" in order.description and order.response_due_at is not None
    # nobody clears it: the resolution deadline passes through L1, L2 and L3
    fired = timers.fire_due(session, now=order.resolution_due_at + timedelta(days=2), limit=1_000_000)
    assert (order.id, "resolution", 3) in fired
    notes = [
        e.note
        for e in session.execute(
            select(WorkOrderEvent).where(WorkOrderEvent.order_id == order.id, WorkOrderEvent.action == "escalated")
        ).scalars()
    ]
    assert any("上报主管部门" in (n or "") for n in notes)
    # the report itself is a logged human action (R-W4), allowed for this order
    from anju.workorders.enums import ALLOWED_FROM, AUTHORITY_CATEGORIES, OrderAction

    assert order.category in AUTHORITY_CATEGORIES and order.status in ALLOWED_FROM[OrderAction.reported_authority]


def test_r_s3_evacuation_route_obstruction_is_linked_too(session, ids):
    order = _order(session, _alarm(session, ids["A"], "evacuation_blocked", "major", "3号楼安全出口堆放杂物"))
    assert order.priority == Priority.emergency and order.created_at <= utcnow()

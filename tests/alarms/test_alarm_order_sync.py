"""Issue 17 item 3: an alarm and its linked work order stay in step, through outbox events both ways."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from anju.accounts.models import User
from anju.alarms.events import AlarmRequested
from anju.alarms.models import Alarm, AlarmTransition
from anju.alarms.service import alarm_service
from anju.workorders.enums import OrderStatus
from anju.workorders.models import WorkOrder, WorkOrderEvent
from tests.conftest import run_worker_once

API = "/api/v1/work-orders"


def _gas_alarm(session, ids) -> int:
    req = AlarmRequested(
        compound_id=ids["A"],
        kind="gas",
        severity="critical",
        source="test:gas",
        dedupe_key=f"test:{uuid.uuid4().hex}",
        title="3号楼燃气浓度超限",
        house_id=ids["li_house"],
    )
    alarm_id = alarm_service.raise_or_refresh(session, request=req).alarm_id
    session.flush()
    run_worker_once()  # linkage: the work-order request, then the order
    return alarm_id


def _order(session, alarm_id: int) -> WorkOrder:
    session.expire_all()
    return session.execute(select(WorkOrder).where(WorkOrder.alarm_id == alarm_id)).scalar_one()


def _links(session, alarm_id: int) -> list[str | None]:
    return list(
        session.execute(
            select(AlarmTransition.reason_key).where(
                AlarmTransition.alarm_id == alarm_id, AlarmTransition.action == "linked"
            )
        ).scalars()
    )


def test_resolving_a_gas_alarm_closes_its_dispatched_order(client, login, session, ids):
    alarm_id = _gas_alarm(session, ids)
    order = _order(session, alarm_id)
    assert order.status in (OrderStatus.new, OrderStatus.dispatched)
    assert "gas" not in (order.description or "") and "critical" not in (order.description or "")
    r = client.post(
        f"/api/v1/alarms/{alarm_id}/resolve",
        json={"reason": "关闭燃气总阀，通风后复测正常", "outcome": "handled"},
        headers=login("guard_chen"),
    )
    assert r.status_code == 200, r.text
    run_worker_once()
    order = _order(session, alarm_id)
    assert order.status == OrderStatus.closed
    notes = session.execute(
        select(WorkOrderEvent.note).where(WorkOrderEvent.order_id == order.id, WorkOrderEvent.action == "closed")
    ).scalars()
    assert any(f"告警 #{alarm_id}" in (n or "") for n in notes)
    assert _links(session, alarm_id) == ["alarms.hist.order_closed"]
    run_worker_once()  # a second delivery records nothing more
    assert _links(session, alarm_id) == ["alarms.hist.order_closed"]


def test_false_alarm_closes_the_order_too(client, login, session, ids):
    alarm_id = _gas_alarm(session, ids)
    r = client.post(f"/api/v1/alarms/{alarm_id}/false-alarm", json={"reason": "探头受潮"}, headers=login("guard_chen"))
    assert r.status_code == 200
    run_worker_once()
    assert _order(session, alarm_id).status == OrderStatus.closed


def test_completing_the_order_asks_the_operator_to_resolve(client, login, session, ids, persona):
    alarm_id = _gas_alarm(session, ids)
    order = _order(session, alarm_id)
    liu = session.execute(select(User.id).where(User.username == "staff_liu")).scalar_one()
    steps = [("manager_wang", "dispatched", {"assignee_user_id": liu})] if order.status == OrderStatus.new else []
    if order.assignee_user_id not in (None, liu):
        steps = [("manager_wang", "transferred", {"assignee_user_id": liu})]
    steps += [
        ("staff_liu", "accepted", {}),
        ("staff_liu", "arrived", {}),
        ("staff_liu", "completed", {"note": "已换阀"}),
    ]
    for user, action, body in steps:
        r = client.post(f"{API}/{order.id}/actions", json={"action": action, **body}, headers=login(user))
        assert r.status_code == 200, (action, r.text)
    run_worker_once()
    assert _links(session, alarm_id) == ["alarms.hist.order_completed"]
    assert session.get(Alarm, alarm_id).closed_at is None  # offered, not decided for the operator
    client.headers.pop("Authorization", None)
    persona("guard_chen").web(client)
    panel = client.get(f"/console/alarms/{alarm_id}", headers={"HX-Request": "true"}).text
    assert 'data-testid="cr-order-done"' in panel and f"#{order.id}" in panel


def test_both_timelines_show_the_link(client, session, ids, persona):
    alarm_id = _gas_alarm(session, ids)
    order = _order(session, alarm_id)
    persona("manager_wang").web(client)
    page = client.get(f"/console/workorders/{order.id}").text
    assert f'href="/console/alarms?alarm={alarm_id}&amp;state=all"' in page or f"alarm={alarm_id}" in page
    panel = client.get(f"/console/alarms/{alarm_id}", headers={"HX-Request": "true"}).text
    assert 'data-testid="detail-order"' in panel and f"/console/workorders/{order.id}" in panel

"""Issue 17: the technician calls the household through the platform. The technician holds no unmask right; the
server resolves the number only for the assignee of an open order, hands it to the phone's dialer (tel:), never
puts it on a page, and logs the access with the order as its reason (R-P6)."""

from __future__ import annotations

from sqlalchemy import select

from anju.core.audit import PiiAccess
from anju.core.crypto import decrypt
from anju.registry.models import Person
from anju.workorders.enums import OrderAction, OrderKind, OrderStatus
from anju.workorders.schemas import OrderActionBody, OrderCreate
from anju.workorders.service import work_order_service
from tests.web.conftest import ORIGIN


def _order_for(session, persona, ids, assignee: str):
    """A household repair at resident Li's house, dispatched to `assignee`."""
    order = work_order_service.open(
        session,
        by=persona("manager_wang").who,
        data=OrderCreate(
            compound_id=ids["A"],
            kind=OrderKind.household_repair,
            category="plumbing",
            title="厨房水管漏水",
            house_id=ids["li_house"],
            reporter_person_id=ids["li_person"],
        ),
    )
    who = persona("manager_wang").who
    if order.status == OrderStatus.new:
        work_order_service.act(
            session,
            by=who,
            order_id=order.id,
            body=OrderActionBody(action=OrderAction.dispatched, assignee_user_id=persona(assignee).user_id),
        )
    elif order.assignee_user_id != persona(assignee).user_id:
        work_order_service.act(
            session,
            by=who,
            order_id=order.id,
            body=OrderActionBody(action=OrderAction.transferred, assignee_user_id=persona(assignee).user_id),
        )
    session.flush()
    session.refresh(order)
    assert order.assignee_user_id == persona(assignee).user_id
    return order


def _call(client, order_id: int):
    """POST the call button without httpx turning the answer into a next request (it cannot parse a tel: URL)."""
    request = client.build_request("POST", f"/field/tasks/{order_id}/call", headers=ORIGIN)
    response = client._transport.handle_request(request)
    response.read()
    return response


def _logged(session, user_id: int) -> list[PiiAccess]:
    return list(session.execute(select(PiiAccess).where(PiiAccess.user_id == user_id)).scalars())


def test_r_p6_assigned_technician_calls_without_seeing_the_number(client, web_login, persona, ids, session):
    order = _order_for(session, persona, ids, "tech_ma")
    li = session.get(Person, ids["li_person"])
    number = decrypt(li.phone_enc, context="person.phone")
    web_login("tech_ma")
    tasks = client.get("/field/tasks").text
    card = tasks.split(f'data-order-id="{order.id}"', 1)[1].split("</section>", 1)[0]
    assert 'data-testid="task-call"' in card and number not in tasks  # the page shows the masked number only
    assert li.phone_masked in card
    before = len(_logged(session, persona("tech_ma").user_id))
    r = _call(client, order.id)
    assert r.status_code == 303 and r.headers["location"] == "tel:" + "".join(
        c for c in number if c.isdigit() or c == "+"
    )
    logs = _logged(session, persona("tech_ma").user_id)
    assert len(logs) == before + 1
    assert logs[-1].subject == f"person:{li.id}" and logs[-1].field == "phone" and f"#{order.id}" in logs[-1].reason


def test_r_p6_only_the_assignee_of_an_open_order_may_call(client, web_login, persona, ids, session):
    order = _order_for(session, persona, ids, "staff_liu")
    web_login("tech_ma")  # not the assignee
    r = _call(client, order.id)
    assert r.status_code == 303 and "err=" in r.headers["location"]
    assert _logged(session, persona("tech_ma").user_id) == []
    web_login("guard_chen")  # a guard works no orders
    r = _call(client, order.id)
    assert r.status_code == 403


def test_a_completed_order_no_longer_reaches_the_household(client, web_login, persona, ids, session):
    order = _order_for(session, persona, ids, "tech_ma")
    order.status = OrderStatus.completed  # the job is done: the phone has no more reason to call
    session.flush()
    web_login("tech_ma")
    r = _call(client, order.id)
    assert "err=" in r.headers["location"] and not r.headers["location"].startswith("tel:")
    assert _logged(session, persona("tech_ma").user_id) == []

"""Issue 20 item 7 in work orders: a reporter from another compound is not found (404)."""

from __future__ import annotations

from sqlalchemy import select

from anju.registry.models import Person

API = "/api/v1/work-orders"


def test_references_into_another_compound_work_order_reporter_is_404(client, login, ids, session):
    outsider = session.execute(select(Person.id).where(Person.compound_id == ids["B"])).scalars().first()
    m = login("manager_wang")
    body = {"compound_id": ids["A"], "kind": "common_repair", "title": "路灯不亮", "reporter_person_id": outsider}
    r = client.post(API, json=body, headers=m)
    assert r.status_code == 404 and r.json()["error"]["code"] == "workorder_reporter_not_found", r.text
    r = client.post(API, json={**body, "reporter_person_id": 2**31 - 1}, headers=m)
    assert r.status_code == 404
    ok = client.post(API, json={**body, "reporter_person_id": ids["li_person"]}, headers=m)
    assert ok.status_code == 201, ok.text

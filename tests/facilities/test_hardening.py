"""Issue 20 item 7 in facilities: equipment in another compound's building is not found (404)."""

from __future__ import annotations

from sqlalchemy import select

from anju.registry.models import Building

API = "/api/v1/facilities"


def test_references_into_another_compound_equipment_building_is_404(client, login, ids, session):
    theirs = session.execute(select(Building.id).where(Building.compound_id == ids["B"])).scalars().first()
    ours = session.execute(select(Building.id).where(Building.compound_id == ids["A"])).scalars().first()
    m = login("manager_wang")
    body = {"compound_id": ids["A"], "kind": "lift", "name": "3号梯"}
    r = client.post(f"{API}/equipment", json={**body, "building_id": theirs}, headers=m)
    assert r.status_code == 404, r.text
    r = client.post(f"{API}/equipment", json={**body, "building_id": 2**31 - 1}, headers=m)
    assert r.status_code == 404
    ok = client.post(f"{API}/equipment", json={**body, "building_id": ours}, headers=m)
    assert ok.status_code == 201, ok.text

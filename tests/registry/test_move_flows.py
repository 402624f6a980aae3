"""Move-in and move-out flows through the API, with their events."""

from __future__ import annotations

from sqlalchemy import select

from anju.core.events import OutboxEvent
from anju.registry.models import Occupancy
from tests.conftest import run_worker_once


class TestMoveOut:
    def test_ends_links_and_publishes_event(self, client, login, session, ids):
        h = login("manager_wang")
        r = client.post(
            f"/api/v1/houses/{ids['li_house']}/move-out", headers=h, json={"on": "2026-11-20", "reason": "sold"}
        )
        assert r.status_code == 200, r.text
        assert all(o["ended_on"] == "2026-11-20" for o in r.json())
        topics = session.execute(select(OutboxEvent.topic).where(OutboxEvent.status == "pending")).scalars().all()
        assert "registry.ResidentMovedOut" in topics
        assert (
            session.execute(
                select(Occupancy).where(Occupancy.house_id == ids["li_house"], Occupancy.ended_on.is_(None))
            ).first()
            is None
        )

    def test_moved_out_resident_loses_api_token(self, client, login, ids):
        li = login("resident_li")
        assert client.get("/api/v1/me/household", headers=li).status_code == 200
        r = client.post(
            f"/api/v1/houses/{ids['li_house']}/move-out", headers=login("manager_wang"), json={"on": "2026-11-20"}
        )
        assert r.status_code == 200
        run_worker_once()
        assert client.get("/api/v1/me/household", headers=li).status_code == 401

    def test_other_compound_house_is_not_found(self, client, login, ids):
        r = client.post(
            f"/api/v1/houses/{ids['li_house']}/move-out", headers=login("outsider_zhao"), json={"on": "2026-11-20"}
        )
        assert r.status_code == 404


class TestMoveIn:
    def test_tenant_needs_lease_end(self, client, login, ids):
        r = client.post(
            f"/api/v1/houses/{ids['li_house']}/move-in",
            headers=login("manager_wang"),
            json={
                "role": "tenant",
                "on": "2026-11-20",
                "person": {"compound_id": ids["A"], "name": "租客甲", "phone": "13912345678"},
            },
        )
        assert r.status_code == 422
        assert r.json()["error"]["fields"][0]["field"] == "lease_end"

    def test_new_person_moves_in_and_house_becomes_rented(self, client, login, ids):
        h = login("manager_wang")
        r = client.post(
            f"/api/v1/houses/{ids['li_house']}/move-in",
            headers=h,
            json={
                "role": "tenant",
                "on": "2026-11-20",
                "lease_end": "2027-11-19",
                "person": {"compound_id": ids["A"], "name": "租客甲", "phone": "13912345678"},
            },
        )
        assert r.status_code == 201, r.text
        house = client.get(f"/api/v1/houses/{ids['li_house']}", headers=h).json()
        assert house["status"] == "rented"

"""One audited-update helper (issue 10, item 1): snapshot, change, flush, one change record."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from anju.core.audit import ObjectChange, audited_update
from anju.registry.enums import HouseStatus
from anju.registry.models import House
from anju.registry.service import house_snapshot


def _changes(session, house_id: int) -> list[ObjectChange]:
    return list(
        session.execute(
            select(ObjectChange).where(ObjectChange.entity == "house", ObjectChange.entity_id == house_id)
        ).scalars()
    )


class TestAuditedUpdate:
    def test_audited_update_records_before_and_after(self, session, ids):
        house = session.get(House, ids["li_house"])
        old = house.status
        new = HouseStatus.vacant if old != HouseStatus.vacant else HouseStatus.self_occupied
        with audited_update(session, house, user_id=None, entity="house", snapshot=house_snapshot):
            house.status = new
        (change,) = _changes(session, house.id)
        assert (change.action, change.before["status"], change.after["status"]) == ("update", old.value, new.value)
        assert change.compound_id == house.compound_id

    def test_audited_update_without_a_change_records_nothing(self, session, ids):
        house = session.get(House, ids["li_house"])
        with audited_update(session, house, user_id=None, entity="house", snapshot=house_snapshot):
            house.status = house.status
        assert _changes(session, house.id) == []

    def test_audited_update_abandoned_by_an_error_records_nothing(self, session, ids):
        house = session.get(House, ids["li_house"])
        before = session.execute(select(func.count()).select_from(ObjectChange)).scalar_one()
        with (
            pytest.raises(RuntimeError),
            audited_update(session, house, user_id=None, entity="house", snapshot=house_snapshot),
        ):
            house.status = HouseStatus.vacant
            raise RuntimeError("refused")
        assert session.execute(select(func.count()).select_from(ObjectChange)).scalar_one() == before

    def test_house_patch_through_the_api_writes_one_record(self, client, login, session, ids):
        # Status, not area: areas are frozen while a vote is open, and the demo compound has one.
        old = session.get(House, ids["li_house"]).status
        new = "rented" if old != HouseStatus.rented else "self_occupied"
        r = client.patch(f"/api/v1/houses/{ids['li_house']}", headers=login("manager_wang"), json={"status": new})
        assert r.status_code == 200, r.text
        (change,) = _changes(session, ids["li_house"])
        assert (change.before["status"], change.after["status"]) == (old.value, new)

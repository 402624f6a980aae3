"""Issue 11 item 3: compound structure through the API, and the generator (preview, limit, clashes)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from anju.core.audit import ObjectChange
from anju.core.db import utcnow
from anju.registry.models import Building, Compound, House, Unit
from anju.registry.schemas import CompoundCreate
from anju.registry.structure_service import CONFIRM_ABOVE, structure_service

SPEC = {
    "buildings_from": 1,
    "buildings_to": 3,
    "units": 2,
    "floors_from": 1,
    "floors_to": 4,
    "houses_per_floor": 2,
    "label_pattern": "{b}-{u}-{f:02d}{n:02d}",
    "areas": {"1": "89.50", "2": "120.00"},
    "area_source": "surveyed",
}


def _new_compound(session: Session, code: str = "NEW1") -> Compound:
    c = structure_service.create_compound(
        session, who=None, data=CompoundCreate(code=code, name="新建小区", address="新建路1号")
    )
    session.flush()
    return c


def _count(session: Session, model: Any, compound_id: int) -> int:
    return int(session.execute(select(func.count()).where(model.compound_id == compound_id)).scalar_one())


def test_generator_preview_then_create_whole_structure(session: Session, client: Any, login: Any) -> None:
    c = _new_compound(session)
    h = login("admin")
    r = client.post(f"/api/v1/compounds/{c.id}/generate?dry_run=true", json=SPEC, headers=h)
    assert r.status_code == 200, r.text
    preview = r.json()
    assert (preview["buildings"], preview["units"], preview["houses"]) == (3, 6, 48)
    assert preview["sample_labels"][:3] == ["1-1-0101", "1-1-0102", "1-1-0201"]
    assert preview["created"] is False
    assert _count(session, House, c.id) == 0  # a preview writes nothing
    r = client.post(f"/api/v1/compounds/{c.id}/generate", json=SPEC, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["created"] is True
    assert (_count(session, Building, c.id), _count(session, Unit, c.id), _count(session, House, c.id)) == (3, 6, 48)
    house = session.execute(select(House).where(House.compound_id == c.id, House.label == "3-2-0402")).scalar_one()
    assert (house.floor, house.number, str(house.surveyed_area), house.registered_area) == (4, "0402", "120.00", None)
    session.expire_all()
    assert len(session.get(Compound, c.id).site_plan["buildings"]) == 3  # type: ignore[union-attr]
    change = session.execute(
        select(ObjectChange).where(ObjectChange.entity == "compound", ObjectChange.action == "generate")
    ).scalar_one()
    assert change.after["houses"] == 48


def test_generator_label_clash_is_409_and_nothing_written(session: Session, client: Any, login: Any) -> None:
    c = _new_compound(session)
    h = login("admin")
    b = client.post(f"/api/v1/compounds/{c.id}/buildings", json={"number": "9", "floors": 3}, headers=h).json()
    u = client.post(f"/api/v1/buildings/{b['id']}/units", json={"number": "1", "floors": 3}, headers=h).json()
    r = client.post(
        f"/api/v1/units/{u['id']}/houses", json={"floor": 1, "number": "0101", "label": "2-1-0101"}, headers=h
    )
    assert r.status_code == 201, r.text
    r = client.post(
        f"/api/v1/units/{u['id']}/houses", json={"floor": 1, "number": "0101", "label": "2-1-0101"}, headers=h
    )
    assert r.status_code == 409
    r = client.post(f"/api/v1/compounds/{c.id}/generate", json=SPEC, headers=h)
    assert r.status_code == 409, r.text
    assert "2-1-0101" in r.json()["error"]["message"]["en"]
    assert _count(session, Building, c.id) == 1 and _count(session, House, c.id) == 1


def test_generator_pattern_that_repeats_labels_is_422(session: Session, client: Any, login: Any) -> None:
    c = _new_compound(session)
    for pattern in ("{b}-{f:02d}{n:02d}", "{x}-{n}", "{b:q}"):
        r = client.post(
            f"/api/v1/compounds/{c.id}/generate", json={**SPEC, "label_pattern": pattern}, headers=login("admin")
        )
        assert r.status_code == 422, (pattern, r.text)
    assert _count(session, Building, c.id) == 0


def test_generator_above_the_limit_asks_for_confirmation(session: Session, client: Any, login: Any) -> None:
    c = _new_compound(session)
    big = {**SPEC, "buildings_to": 100, "units": 4, "floors_to": 26, "houses_per_floor": 4, "areas": {}}
    assert CONFIRM_ABOVE < 100 * 4 * 26 * 4
    r = client.post(f"/api/v1/compounds/{c.id}/generate?dry_run=true", json=big, headers=login("admin"))
    assert r.status_code == 200 and r.json()["needs_confirmation"] is True
    r = client.post(f"/api/v1/compounds/{c.id}/generate", json=big, headers=login("admin"))
    assert r.status_code == 409 and r.json()["error"]["fields"][0]["field"] == "confirm"
    assert _count(session, Building, c.id) == 0
    huge = {**big, "buildings_to": 999, "units": 20, "floors_to": 100}
    r = client.post(f"/api/v1/compounds/{c.id}/generate", json={**huge, "confirm": True}, headers=login("admin"))
    assert r.status_code == 422


def test_generator_manager_of_another_compound_gets_404(session: Session, client: Any, login: Any) -> None:
    c = _new_compound(session)
    r = client.post(f"/api/v1/compounds/{c.id}/generate", json=SPEC, headers=login("manager_wang"))
    assert r.status_code == 404
    r = client.post(f"/api/v1/compounds/{c.id}/generate", json=SPEC, headers=login("staff_liu"))
    assert r.status_code == 403


def test_compound_edit_records_the_change_and_checks_the_street_office(
    session: Session, client: Any, login: Any, ids: dict[str, int]
) -> None:
    h = login("manager_wang")
    r = client.patch(f"/api/v1/compounds/{ids['A']}", json={"address": "新地址 8 号"}, headers=h)
    assert r.status_code == 200 and r.json()["address"] == "新地址 8 号"
    r = client.patch(f"/api/v1/compounds/{ids['A']}", json={"street_org_id": 999999}, headers=h)
    assert r.status_code == 422
    r = client.patch(f"/api/v1/compounds/{ids['A']}", json={"site_plan": {"width": 5}}, headers=h)
    assert r.status_code == 422


def test_house_area_edit_during_open_vote_is_refused(session: Session, client: Any, login: Any) -> None:
    from anju.governance.enums import MatterType, VoteState
    from anju.governance.models import Vote
    from anju.registry.structure_schemas import GeneratorSpec

    c = _new_compound(session)
    structure_service.generate(session, who=None, compound=c, spec=GeneratorSpec.model_validate(SPEC))
    house_id = session.execute(
        select(House.id).where(House.compound_id == c.id, House.label == "1-1-0101")
    ).scalar_one()
    h = login("admin")
    r = client.patch(f"/api/v1/houses/{house_id}", json={"surveyed_area": "101.25"}, headers=h)
    assert r.status_code == 200, r.text
    now = utcnow()
    session.add(
        Vote(
            compound_id=c.id,
            title="更换物业",
            matter_type=next(iter(MatterType)),
            state=VoteState.open,
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=6),
        )
    )
    session.flush()
    r = client.patch(f"/api/v1/houses/{house_id}", json={"surveyed_area": "99.00"}, headers=h)
    assert r.status_code == 409, r.text
    assert r.json()["error"]["fields"][0]["message"] == "electorate frozen"
    r = client.patch(f"/api/v1/houses/{house_id}", json={"status": "self_occupied"}, headers=h)
    assert r.status_code == 200  # only areas are frozen


def test_site_plan_carries_its_scale_and_path_width_and_refuses_odd_ones(
    session: Session, client: Any, login: Any, ids: dict[str, int]
) -> None:
    """The evacuation estimate and the cameras' field of view read the plan's scale and footpath width."""
    h = login("admin")
    plan = {"width": 1000, "height": 800, "metres_per_unit": 0.25, "path_width_m": 3}
    r = client.patch(f"/api/v1/compounds/{ids['A']}", json={"site_plan": plan}, headers=h)
    assert r.status_code == 200, r.text
    session.expire_all()
    stored = session.get(Compound, ids["A"]).site_plan  # type: ignore[union-attr]
    assert (stored["metres_per_unit"], stored["path_width_m"]) == (0.25, 3)
    for key, value in (
        ("metres_per_unit", 0),
        ("metres_per_unit", "0.5"),
        ("path_width_m", 100),
        ("path_width_m", True),
    ):
        r = client.patch(f"/api/v1/compounds/{ids['A']}", json={"site_plan": {**plan, key: value}}, headers=h)
        assert r.status_code == 422 and key in r.text, (key, value, r.text)

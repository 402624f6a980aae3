"""The floor editor on the 疏散模拟 page (issue 16): a drawn floor is checked on the server and a bad drawing is
refused with the reason (a crossing outline, an exit off the outline or outside the floor, overlapping exits, a
floor too large or with no exit), nothing stored; a good drawing is stored and simulated."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from anju.emergency import evacuation as ev
from anju.emergency.exceptions import BadGeometry
from anju.emergency.models import BuildingFloorPlan
from anju.registry.models import Building

ROOM = [[0, 0], [12, 0], [12, 8], [0, 8]]
DOOR = {"key": "e1", "name": "东门", "area": [[11, 3], [12, 3], [12, 4.5], [11, 4.5]], "width": 1.2, "kind": "door"}


def _geo(**kw):
    return {"outline": ROOM, "exits": [DOOR], "spawn": [], **kw}


@pytest.mark.parametrize(
    ("geometry", "reason"),
    [
        (_geo(outline=[[0, 0], [8, 8], [8, 0], [0, 8]]), "crosses itself near (4.0, 4.0)"),
        (_geo(exits=[{**DOOR, "area": [[5, 3], [6, 3], [6, 4], [5, 4]]}]), "off the outline"),
        (_geo(exits=[{**DOOR, "area": [[11, 3], [13, 3], [13, 4], [11, 4]]}]), "not inside the floor"),
        (_geo(exits=[DOOR, {**DOOR, "key": "e2", "name": "北门"}]), "overlap"),
        (_geo(outline=[[0, 0], [900, 0], [900, 8], [0, 8]]), "larger than 500 m"),
        (_geo(outline=[[0, 0], [1, 0], [1, 1], [0, 1]], exits=[]), "no exit"),
    ],
)
def test_a_bad_drawing_is_refused_with_the_reason(geometry, reason):
    with pytest.raises(BadGeometry) as caught:
        ev.parse(geometry)
    assert reason in str(caught.value) and caught.value.zh


def test_a_good_drawing_parses():
    plan = ev.parse(_geo(spawn=[[[0.5, 0.5], [10, 0.5], [10, 7.5], [0.5, 7.5]]]))
    assert [e.key for e in plan.exits] == ["e1"] and plan.exits[0].kind == "door"


def test_the_page_stores_a_good_drawing_and_refuses_a_bad_one_with_its_reason(client, session, ids, web_login):
    b = (
        session.execute(select(Building).where(Building.compound_id == ids["A"]).order_by(Building.id))
        .scalars()
        .first()
    )
    web_login("manager_wang")
    origin = {"Origin": "http://testserver"}
    page = f"/console/emergency/evacuation?building_id={b.id}"
    text = client.get(page).text
    assert 'id="fe-svg"' in text and "floor_editor.js" in text and "绘制楼层" in text
    url = f"/console/emergency/evacuation/{b.id}/floor-plan/draw"

    def post(geometry, people="20"):
        data = {"geometry": geometry if isinstance(geometry, str) else json.dumps(geometry), "people_per_floor": people}
        r = client.post(url, data={**data, "elderly_percent": "0"}, headers=origin, follow_redirects=False)
        assert r.status_code == 303
        return parse_qs(urlsplit(r.headers["location"]).query)

    bowtie = post(_geo(outline=[[0, 0], [8, 8], [8, 0], [0, 8]]))
    assert "自相交" in bowtie["err"][0]
    off = post(_geo(exits=[{**DOOR, "area": [[5, 3], [6, 3], [6, 4], [5, 4]]}]))
    assert "不在楼层轮廓上" in off["err"][0]
    assert "err" in post("not json") and "err" in post(_geo(), people="-3")
    assert session.execute(select(BuildingFloorPlan).where(BuildingFloorPlan.building_id == b.id)).first() is None
    good = post(_geo(spawn=[[[0.5, 0.5], [10, 0.5], [10, 7.5], [0.5, 7.5]]]))
    assert "err" not in good and good["ok"]
    fp = session.execute(select(BuildingFloorPlan).where(BuildingFloorPlan.building_id == b.id)).scalar_one()
    assert fp.template == "custom" and fp.geometry["exits"][0]["name"] == "东门" and fp.people_per_floor == 20
    # The stored drawing is what the editor opens with, and what the simulation runs.
    assert "东门" in client.get(page).text
    r = client.post(f"/console/emergency/evacuation/{b.id}/run", data={}, headers=origin, follow_redirects=False)
    assert r.status_code == 303 and "err=" not in r.headers["location"]

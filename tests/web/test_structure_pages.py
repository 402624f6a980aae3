"""Issue 11 item 3 in the console: a new compound, its details, the generator's preview and one-step creation."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from anju.registry.models import Building, Compound, House
from tests.web.conftest import ORIGIN

GEN = {
    "buildings_from": "1",
    "buildings_to": "2",
    "units": "2",
    "floors_from": "1",
    "floors_to": "3",
    "houses_per_floor": "2",
    "label_pattern": "{b}-{u}-{f:02d}{n:02d}",
    "areas": "1=89.5，2=120",
    "area_source": "surveyed",
}


def _houses(session: Session, compound_id: int) -> int:
    return int(session.execute(select(func.count()).where(House.compound_id == compound_id)).scalar_one())


def test_generator_page_creates_compound_then_previews_and_generates(
    session: Session, client: Any, web_login: Any
) -> None:
    web_login("admin")
    r = client.post(
        "/console/structure/compounds",
        data={"code": "WALK1", "name": "新生小区", "address": "新生路 9 号", "district": "海淀区"},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    c = session.execute(select(Compound).where(Compound.code == "WALK1")).scalar_one()
    assert f"compound_id={c.id}" in r.headers["location"]
    page = client.get(r.headers["location"])
    assert page.status_code == 200 and "已创建小区：新生小区" in page.text

    r = client.post(
        f"/console/structure/generate?compound_id={c.id}", data={**GEN, "action": "preview"}, headers=ORIGIN
    )
    assert r.status_code == 200 and 'data-testid="preview-houses">24<' in r.text
    assert "1-1-0101" in r.text and _houses(session, c.id) == 0

    r = client.post(
        f"/console/structure/generate?compound_id={c.id}",
        data={**GEN, "action": "generate"},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    assert _houses(session, c.id) == 24
    house = session.execute(select(House).where(House.compound_id == c.id, House.label == "2-2-0302")).scalar_one()
    assert str(house.surveyed_area) == "120.00"

    # the same again: the buildings exist, a clear refusal on the page and nothing written
    r = client.post(
        f"/console/structure/generate?compound_id={c.id}", data={**GEN, "action": "generate"}, headers=ORIGIN
    )
    assert r.status_code == 409 and "楼栋已存在" in r.text
    assert _houses(session, c.id) == 24
    assert session.execute(select(func.count()).where(Building.compound_id == c.id)).scalar_one() == 2


def test_generator_page_bad_pattern_and_bad_area_are_shown_not_500(
    session: Session, client: Any, web_login: Any, ids: dict[str, int]
) -> None:
    web_login("manager_wang")
    for bad in ({"label_pattern": "{x}"}, {"areas": "1=abc"}, {"buildings_to": ""}):
        r = client.post(
            f"/console/structure/generate?compound_id={ids['A']}",
            data={**GEN, "buildings_from": "50", "buildings_to": "51", **bad, "action": "preview"},
            headers=ORIGIN,
        )
        assert r.status_code == 422, (bad, r.status_code)
        assert 'data-testid="structure-error"' in r.text


def test_structure_page_staff_forbidden_manager_cannot_create_compound(client: Any, web_login: Any) -> None:
    web_login("staff_liu")
    assert client.get("/console/structure").status_code == 403
    web_login("manager_wang")
    page = client.get("/console/structure")
    assert page.status_code == 200 and 'data-testid="compound-create"' not in page.text
    r = client.post(
        "/console/structure/compounds",
        data={"code": "X1", "name": "x", "address": "y"},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert r.status_code == 303 and "err=" in r.headers["location"]


def test_structure_page_house_file_import_shows_row_report(session: Session, client: Any, web_login: Any) -> None:
    import io

    from openpyxl import Workbook

    web_login("admin")
    r = client.post(
        "/console/structure/compounds",
        data={"code": "HFW1", "name": "面积页", "address": "x"},
        headers=ORIGIN,
        follow_redirects=False,
    )
    c = session.execute(select(Compound).where(Compound.code == "HFW1")).scalar_one()
    client.post(f"/console/structure/generate?compound_id={c.id}", data={**GEN, "action": "generate"}, headers=ORIGIN)
    wb = Workbook()
    wb.active.append(["房屋编号", "实测面积"])
    wb.active.append(["1-1-0101", "90.5"])
    wb.active.append(["8-8-0808", "90.5"])
    buf = io.BytesIO()
    wb.save(buf)
    r = client.post(
        f"/console/structure/houses-import?compound_id={c.id}",
        files={"file": ("h.xlsx", buf.getvalue(), "application/octet-stream")},
        headers=ORIGIN,
    )
    assert r.status_code == 200 and 'data-testid="house-report"' in r.text and "8-8-0808" in r.text
    house = session.execute(select(House).where(House.compound_id == c.id, House.label == "1-1-0101")).scalar_one()
    session.refresh(house)
    assert str(house.surveyed_area) == "90.50"

"""Issue 11 item 3: houses in Excel — export with areas and area source, a template, an import of areas with
the row-by-row report, creating a house in an existing unit, and no area change while a vote is open."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook, load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.registry.models import House
from anju.registry.schemas import CompoundCreate
from anju.registry.structure_schemas import GeneratorSpec
from anju.registry.structure_service import structure_service


def _xlsx(rows: list[list[Any]]) -> bytes:
    wb = Workbook()
    for r in rows:
        wb.active.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _compound(session: Session) -> int:
    c = structure_service.create_compound(
        session, who=None, data=CompoundCreate(code="HF1", name="面积小区", address="x")
    )
    spec = {
        "buildings_from": 1,
        "buildings_to": 1,
        "units": 1,
        "floors_to": 2,
        "houses_per_floor": 2,
        "areas": {"1": "80"},
    }
    structure_service.generate(session, who=None, compound=c, spec=GeneratorSpec.model_validate(spec))
    session.flush()
    return c.id


def test_house_file_export_template_and_import_with_row_report(session: Session, client: Any, login: Any) -> None:
    cid = _compound(session)
    h = login("admin")
    r = client.get(f"/api/v1/compounds/{cid}/houses/export", headers=h)
    assert r.status_code == 200
    rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "房屋编号*" and len(rows) == 5
    assert rows[1][:7] == ("1-1-0101", "1", "1", 1, "0101", None, "80.00") and rows[1][8] == "实测"
    t = client.get(f"/api/v1/compounds/{cid}/houses/template", headers=h)
    assert len(list(load_workbook(io.BytesIO(t.content)).active.iter_rows())) == 1

    data = _xlsx(
        [
            ["房屋编号", "楼栋", "单元", "楼层", "房号", "不动产登记面积", "实测面积"],
            ["1-1-0101", None, None, None, None, "81.25", None],  # updated
            ["1-1-0102", None, None, None, None, None, None],  # unchanged
            ["1-1-0301", "1", "1", 3, "0301", "95", None],  # created in the existing unit
            ["9-9-0101", "9", "9", 1, "0101", "95", None],  # no such unit: row error
            ["1-1-0201", None, None, None, None, "-3", None],  # bad area: row error
        ]
    )
    files = {"file": ("houses.xlsx", data, "application/octet-stream")}
    r = client.post(f"/api/v1/compounds/{cid}/houses/import", files=files, data={"dry_run": "true"}, headers=h)
    assert r.status_code == 200 and r.json()["committed"] is False
    assert session.execute(select(House).where(House.compound_id == cid, House.label == "1-1-0301")).first() is None
    r = client.post(f"/api/v1/compounds/{cid}/houses/import", files=files, headers=h)
    report = r.json()
    assert (report["updated"], report["created"], report["unchanged"], report["rejected"]) == (1, 1, 1, 2), report
    assert [e["row"] for e in report["errors"]] == [5, 6]
    house = session.execute(select(House).where(House.compound_id == cid, House.label == "1-1-0101")).scalar_one()
    session.refresh(house)
    assert str(house.registered_area) == "81.25"


def test_house_file_import_refused_while_a_vote_is_open(client: Any, login: Any, ids: dict[str, int]) -> None:
    data = _xlsx([["房屋编号", "实测面积"], ["3-1-0802", "77.70"]])
    files = {"file": ("houses.xlsx", data, "application/octet-stream")}
    r = client.post(f"/api/v1/compounds/{ids['A']}/houses/import", files=files, headers=login("manager_wang"))
    assert r.status_code == 409 and r.json()["error"]["fields"][0]["message"] == "electorate frozen"
    r = client.post(f"/api/v1/compounds/{ids['A']}/houses/import", files=files, headers=login("guard_chen"))
    assert r.status_code == 403

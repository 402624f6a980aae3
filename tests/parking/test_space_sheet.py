"""Parking spaces in Excel (issue 11's parking-spaces item): template round trip, update by code, row report,
dry run."""

from __future__ import annotations

import io

from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from anju.parking.models import ParkingSpace
from anju.parking.space_sheet import export_spaces, import_spaces


def _xlsx(rows):
    wb = Workbook()
    for r in rows:
        wb.active.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_the_template_imports_as_is_and_a_second_import_updates(session, park):
    data = export_spaces(session, by=park.manager, car_park_id=park.cp.id, template=True)
    rows = list(load_workbook(io.BytesIO(data)).worksheets[0].values)
    assert rows[0][0] == "车位编号*" and rows[1][1] == "产权车位"
    rep = import_spaces(session, by=park.manager, car_park_id=park.cp.id, filename="t.xlsx", data=data)
    assert (rep.created, rep.updated, rep.errors) == (1, 0, [])
    sp = session.execute(select(ParkingSpace).where(ParkingSpace.car_park_id == park.cp.id)).scalar_one()
    assert (sp.code, sp.kind, sp.plan_x) == ("B1-001", "owned", 0.25) and sp.house_id is not None
    again = import_spaces(session, by=park.manager, car_park_id=park.cp.id, filename="t.xlsx", data=data)
    assert (again.created, again.updated) == (0, 1)
    out = list(
        load_workbook(io.BytesIO(export_spaces(session, by=park.manager, car_park_id=park.cp.id))).worksheets[0].values
    )
    assert out[1][:3] == ("B1-001", "产权车位", "3-1-0802")


def test_bad_rows_are_reported_by_row_and_the_good_ones_kept(session, park):
    data = _xlsx(
        [
            ["车位编号", "类型", "所属房屋", "平面图横坐标", "平面图纵坐标"],
            ["D-01", "公共车位", None, 0.1, 0.2],
            ["D-02", "飞行车位", None, None, None],
            ["D-03", "产权车位", "99-9-9999", None, None],
            ["D-04", "产权车位", None, None, None],
            ["D-05", "fire_lane", None, 2, 0.5],
            ["XF-01", "消防通道禁停区", None, 0.5, 0.5],
        ]
    )
    rep = import_spaces(session, by=park.manager, car_park_id=park.cp.id, filename="s.xlsx", data=data)
    assert rep.created == 2 and [r for r, _, _ in rep.errors] == [3, 4, 5, 6]


def test_a_dry_run_writes_nothing(session, park):
    data = _xlsx([["车位编号", "类型"], ["D-01", "公共车位"]])
    rep = import_spaces(session, by=park.manager, car_park_id=park.cp.id, filename="s.xlsx", data=data, dry_run=True)
    assert rep.created == 1 and rep.dry_run
    assert session.execute(select(ParkingSpace).where(ParkingSpace.car_park_id == park.cp.id)).first() is None

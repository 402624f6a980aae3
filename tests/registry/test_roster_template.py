"""Issue 11 item 4: the roster template (with column help) and the "create missing houses" option."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import select

from anju.registry.models import House, Occupancy
from anju.registry.roster import import_roster
from anju.registry.roster_columns import COLUMNS, map_header
from tests.registry.test_roster import phone, xlsx

HEADER = ["姓名", "手机", "房屋", "关系"]


def test_roster_template_download_has_every_column_and_help(client: Any, login: Any) -> None:
    r = client.get("/api/v1/roster/template", headers=login("manager_wang"))
    assert r.status_code == 200 and "roster-template.xlsx" in r.headers["content-disposition"]
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["住户名册", "填写说明"]
    header = [c.value for c in wb["住户名册"][1]]
    columns, ignored = map_header(header)
    assert set(columns) == {c.key for c in COLUMNS} and ignored == []  # the import reads every template column
    assert wb["住户名册"]["A1"].value == "姓名*"
    help_text = " ".join(str(c.value) for row in wb["填写说明"].iter_rows() for c in row if c.value)
    assert "业主" in help_text and "租约到期" in help_text
    assert client.get("/api/v1/roster/template", headers=login("staff_liu")).status_code == 403


def _labels(session: Any, compound_id: int) -> set[str]:
    return set(session.execute(select(House.label).where(House.compound_id == compound_id)).scalars())


def test_roster_create_missing_houses_only_when_ticked(session: Any, persona: Any, ids: dict[str, int]) -> None:
    who = persona("manager_wang").who
    data = xlsx([["新住户甲", phone(801), "77-1-0305", "业主"], ["新住户乙", phone(802), "楼下车库", "业主"]], HEADER)
    report = import_roster(session, who=who, compound_id=ids["A"], filename="r.xlsx", data=data)
    assert report.created == 0 and {e.row for e in report.errors} == {2, 3}
    assert "77-1-0305" not in _labels(session, ids["A"])

    report = import_roster(
        session, who=who, compound_id=ids["A"], filename="r.xlsx", data=data, dry_run=True, create_missing_houses=True
    )
    assert report.created == 1 and report.houses_created == ["77-1-0305"]
    assert "77-1-0305" not in _labels(session, ids["A"])  # a dry run leaves no house behind

    report = import_roster(
        session,
        who=who,
        compound_id=ids["A"],
        filename="r.xlsx",
        data=data,
        all_or_nothing=True,
        create_missing_houses=True,
    )
    assert not report.committed and "77-1-0305" not in _labels(session, ids["A"])  # nothing half-written

    report = import_roster(
        session, who=who, compound_id=ids["A"], filename="r.xlsx", data=data, create_missing_houses=True
    )
    assert report.committed and report.created == 1 and [e.row for e in report.errors] == [3]
    house = session.execute(select(House).where(House.compound_id == ids["A"], House.label == "77-1-0305")).scalar_one()
    assert (house.floor, house.number) == (3, "0305")
    assert session.execute(select(Occupancy).where(Occupancy.house_id == house.id)).scalar_one().role.value == "owner"


def test_roster_create_missing_houses_needs_the_structure_permission(
    session: Any, persona: Any, ids: dict[str, int]
) -> None:
    import pytest

    from anju.core.errors import Forbidden

    data = xlsx([["新住户丙", phone(803), "78-1-0101", "业主"]], HEADER)
    with pytest.raises(Forbidden):
        import_roster(
            session,
            who=persona("staff_liu").who,
            compound_id=ids["A"],
            filename="r.xlsx",
            data=data,
            create_missing_houses=True,
        )

"""Houses in Excel (issue 11 item 3): export a compound's houses with their areas and area source, a
template, and an import that updates areas (or creates a house whose building and unit exist), with the
roster import's row-by-row report. Areas cannot change while a vote of the compound is open."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.core import sheets
from anju.core.audit import batched_changes
from anju.core.auth import Principal
from anju.core.errors import AppError
from anju.registry.models import Building, House, Unit
from anju.registry.permissions import RegistryPerm
from anju.registry.roster_columns import XLSX_MEDIA_TYPE, ImportReport, RosterFile, RowError, _invalid, read_table
from anju.registry.roster_queries import check_scope
from anju.registry.schemas import HouseUpdate
from anju.registry.service import house_service
from anju.registry.structure_schemas import HouseCreate
from anju.registry.structure_service import refuse_area_change_during_vote, structure_service

COLUMNS = (
    ("label", "房屋编号", True),
    ("building", "楼栋", False),
    ("unit", "单元", False),
    ("floor", "楼层", False),
    ("number", "房号", False),
    ("registered_area", "不动产登记面积", False),
    ("surveyed_area", "实测面积", False),
    ("contract_area", "合同面积", False),
    ("area_source", "计票面积来源", False),  # export only: which area counts (R-V7)
)
AREAS = ("registered_area", "surveyed_area", "contract_area")
SOURCE_ZH = {"registered": "不动产登记", "surveyed": "实测", "contract": "合同"}
_ALIASES = {"房屋": "label", "label": "label", "building": "building", "unit": "unit", "floor": "floor"}


def _norm(text: Any) -> str:
    return re.sub(r"[\s*]+", "", unicodedata.normalize("NFKC", str(text or ""))).lower()


def _map_header(header: tuple[Any, ...]) -> tuple[dict[str, tuple[int, str]], list[str]]:
    names = {_norm(zh): key for key, zh, _ in COLUMNS} | {_norm(k): v for k, v in _ALIASES.items()}
    names |= {_norm(key): key for key, _, _ in COLUMNS}
    found: dict[str, tuple[int, str]] = {}
    ignored: list[str] = []
    for i, h in enumerate(header):
        key = names.get(_norm(h))
        if key is None or key in found:
            if h not in (None, ""):
                ignored.append(str(h))
            continue
        found[key] = (i, str(h))
    if "label" not in found:
        raise _invalid("缺少“房屋编号”列", 'the "房屋编号" (house label) column is missing')
    if not any(a in found for a in AREAS):
        raise _invalid("至少需要一列面积：不动产登记面积、实测面积或合同面积", "no area column found")
    return found, ignored


def export_houses(session: Session, *, who: Principal | None, compound_id: int, template: bool = False) -> RosterFile:
    """The compound's houses with their three areas and which one counts (`template`: the header only)."""
    compound = check_scope(session, who, compound_id, RegistryPerm.read)
    rows: list[list[Any]] = [[zh + ("*" if required else "") for _, zh, required in COLUMNS]]
    stmt = (
        select(House, Building.number, Unit.number)
        .join(Building, Building.id == House.building_id)
        .join(Unit, Unit.id == House.unit_id)
        .where(House.compound_id == compound_id)
        .order_by(House.id)
    )
    for h, b, u in [] if template else session.execute(stmt):
        _, source = h.exclusive_area
        rows.append(
            [
                h.label,
                b,
                u,
                h.floor,
                h.number,
                *(str(getattr(h, a)) if getattr(h, a) is not None else "" for a in AREAS),
                SOURCE_ZH[source.value] if source else "",
            ]
        )
    code = re.sub(r"[^A-Za-z0-9_-]", "", compound.code) or str(compound.id)
    data = sheets.xlsx_bytes([("房屋", rows, (14, 8, 8, 6, 8, 16, 12, 12, 14))])
    name = "houses-template.xlsx" if template else f"houses-{code}.xlsx"
    return RosterFile(filename=name, media_type=XLSX_MEDIA_TYPE, data=data)


def _area(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    d = Decimal(str(value).strip())
    if not d.is_finite() or d <= 0 or d >= Decimal("100000000"):
        raise InvalidOperation
    return d.quantize(Decimal("0.01"))


def import_houses(
    session: Session, *, who: Principal | None, compound_id: int, filename: str, data: bytes, dry_run: bool = False
) -> ImportReport:
    """Update the areas of the houses a file lists (empty cells leave an area as it is); a row whose label is new
    and names an existing building and unit, floor and number creates the house. Row errors are reported; the
    valid rows are written (never in a dry run). While a vote is open no area may change (409)."""
    check_scope(session, who, compound_id, RegistryPerm.write)
    table = read_table(filename, data)
    if not table:
        raise _invalid("文件为空", "the file is empty")
    (_, header), body = table[0], table[1:]
    columns, ignored = _map_header(header)
    report = ImportReport(total_rows=len(body), dry_run=dry_run, ignored_columns=ignored)
    errors: list[RowError] = []
    houses = {h.label: h for h in session.execute(select(House).where(House.compound_id == compound_id)).scalars()}
    units = {
        (b, u): unit
        for unit, b, u in session.execute(
            select(Unit, Building.number, Unit.number)
            .join(Building, Building.id == Unit.building_id)
            .where(Unit.compound_id == compound_id)
        )
    }

    def cell(values: tuple[Any, ...], key: str) -> Any:
        i = columns.get(key, (None, ""))[0]
        return values[i] if i is not None and i < len(values) else None

    def fail(row: int, key: str, zh: str, en: str) -> None:
        errors.append(RowError(row=row, column=columns.get(key, (0, key))[1], message=f"{zh} / {en}"))

    seen: set[str] = set()
    todo: list[tuple[int, str, dict[str, Decimal | None], tuple[Any, ...]]] = []
    for n, values in body:
        label = str(cell(values, "label") or "").strip()
        if not label:
            fail(n, "label", "房屋编号不能为空", "the house label is required")
            continue
        if label in seen:
            fail(n, "label", f"房屋“{label}”重复", f"house {label} appears twice")
            continue
        seen.add(label)
        areas: dict[str, Decimal | None] = {}
        bad = False
        for a in AREAS:
            if a in columns:
                try:
                    areas[a] = _area(cell(values, a))
                except (InvalidOperation, ValueError):
                    fail(n, a, "面积应为大于0的数字", "the area must be a number above 0")
                    bad = True
        if not bad:
            todo.append((n, label, areas, values))
    changing = [
        (n, label, areas, values)
        for n, label, areas, values in todo
        if label not in houses or any(v is not None and v != getattr(houses[label], a) for a, v in areas.items())
    ]
    if any(label in houses for _, label, _, _ in changing):
        refuse_area_change_during_vote(session, compound_id)
    report.unchanged = len(todo) - len(changing)
    with session.begin_nested() as sp:
        with batched_changes(session):
            for n, label, areas, values in changing:
                try:
                    with session.begin_nested():
                        if label in houses:
                            fields = {a: v for a, v in areas.items() if v is not None}
                            if who is None:
                                for a, v in fields.items():
                                    setattr(houses[label], a, v)
                            else:
                                house_service.update(session, who=who, house=houses[label], data=HouseUpdate(**fields))
                            report.updated += 1
                        else:
                            unit = units.get(
                                (str(cell(values, "building") or "").strip(), str(cell(values, "unit") or "").strip())
                            )
                            floor, number = cell(values, "floor"), str(cell(values, "number") or "").strip()
                            if unit is None or floor in (None, "") or not number:
                                fail(
                                    n,
                                    "label",
                                    f"本小区没有房屋“{label}”；新建房屋须填写已有的楼栋、单元及楼层、房号",
                                    f"unknown house {label}; to create it give an existing building and unit, a floor "
                                    "and a number",
                                )
                                continue
                            structure_service.add_house(
                                session,
                                who=who,
                                unit=unit,
                                data=HouseCreate(floor=int(str(floor)), number=number, label=label, **areas),
                            )
                            report.created += 1
                except (AppError, ValueError) as e:
                    text = f"{e.zh or e.message_zh} / {e.detail or e.message_en}" if isinstance(e, AppError) else str(e)
                    errors.append(RowError(row=n, column=columns["label"][1], message=text[:300]))
        if dry_run:
            sp.rollback()
    report.errors = sorted(errors, key=lambda e: e.row)
    report.rejected = len({e.row for e in errors})
    report.imported = report.created + report.updated
    report.committed = not dry_run and report.imported > 0
    return report

"""Parking spaces in Excel (closes issue 11's "parking spaces" item): export a car park's spaces, a template,
and an import that adds or updates spaces by code, with a row-by-row report; a dry run writes nothing.

Columns (header in the first row, Chinese or the English keys): 车位编号* (code), 类型* (a label such as
产权车位, or the key), 所属房屋 (house label, owned/rented spaces), 平面图横坐标 / 平面图纵坐标 (0–1).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from anju.core import sheets
from anju.core.auth import Principal
from anju.core.errors import AppError
from anju.parking.enums import SpaceKind
from anju.parking.models import ParkingSpace
from anju.parking.repository import ParkingRepository
from anju.parking.schemas import SpaceCreate
from anju.parking.service import parking_service

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COLUMNS = (
    ("code", "车位编号", True),
    ("kind", "类型", True),
    ("house", "所属房屋", False),
    ("plan_x", "平面图横坐标", False),
    ("plan_y", "平面图纵坐标", False),
)
KIND_ZH = {
    SpaceKind.owned: "产权车位",
    SpaceKind.rented: "租赁车位",
    SpaceKind.public: "公共车位",
    SpaceKind.visitor: "访客车位",
    SpaceKind.charging: "充电车位",
    SpaceKind.accessible: "无障碍车位",
    SpaceKind.fire_lane: "消防通道禁停区",
}
_KIND_IN = {v: k for k, v in KIND_ZH.items()} | {k.value: k for k in SpaceKind}


def _norm(text: Any) -> str:
    return re.sub(r"[\s*]+", "", unicodedata.normalize("NFKC", str(text if text is not None else ""))).lower()


@dataclass
class SpaceImportReport:
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # (row, zh, en)
    dry_run: bool = False


def export_spaces(session: Session, *, by: Principal, car_park_id: int, template: bool = False) -> bytes:
    """The car park's spaces (`template`: the header and one example row), with a sheet of column help."""
    from anju.registry.service import house_service

    cp = parking_service.car_park(session, by=by, car_park_id=car_park_id)
    rows: list[list[Any]] = [[zh + ("*" if req else "") for _, zh, req in COLUMNS]]
    if template:
        rows.append(["B1-001", KIND_ZH[SpaceKind.owned], "3-1-0802", 0.25, 0.8])
    else:
        spaces = parking_service.spaces(session, by=by, car_park_id=cp.id)
        labels = house_service.labels(session, house_ids={s.house_id for s in spaces if s.house_id})
        rows += [[s.code, KIND_ZH[s.kind], labels.get(s.house_id or 0, ""), s.plan_x, s.plan_y] for s in spaces]
    help_rows = [
        ["列", "说明"],
        ["车位编号", "必填；同一停车场内唯一，已存在的编号会被更新"],
        ["类型", "必填：" + "、".join(KIND_ZH.values())],
        ["所属房屋", "产权车位、租赁车位必填，写房屋编号，如 3-1-0802"],
        ["平面图横坐标/纵坐标", "可选，0 到 1 之间的小数（占平面图宽度、高度的比例）"],
    ]
    return sheets.xlsx_bytes([(cp.name, rows, (14, 16, 14, 14, 14)), ("填写说明", help_rows, (20, 60))])


def import_spaces(
    session: Session, *, by: Principal, car_park_id: int, filename: str, data: bytes, dry_run: bool = False
) -> SpaceImportReport:
    """Add or update spaces row by row; a bad row is reported and skipped, the others are kept."""
    from anju.registry.roster_columns import read_table
    from anju.registry.service import house_service

    cp = parking_service.car_park(session, by=by, car_park_id=car_park_id)
    rows = read_table(filename, data)  # 422 for a file that is not .xlsx/.csv or too large
    report = SpaceImportReport(dry_run=dry_run)
    if not rows:
        return report
    names = {_norm(zh): key for key, zh, _ in COLUMNS} | {key: key for key, _, _ in COLUMNS}
    index = {names[_norm(h)]: i for i, h in enumerate(rows[0][1]) if _norm(h) in names}
    missing = [zh for key, zh, req in COLUMNS if req and key not in index]
    if missing:
        report.errors.append(
            (rows[0][0], "缺少必填列：" + "、".join(missing), "missing columns: " + ", ".join(missing))
        )
        return report
    repo = ParkingRepository(session)
    outer = session.begin_nested() if dry_run else None
    for n, values in rows[1:]:

        def cell(key: str, values: tuple[Any, ...] = values) -> Any:
            i = index.get(key)
            return values[i] if i is not None and i < len(values) else None

        code = str(cell("code") or "").strip()
        kind = _KIND_IN.get(_norm(cell("kind"))) or _KIND_IN.get(str(cell("kind") or "").strip())
        if not code or kind is None:
            report.errors.append((n, "车位编号或类型缺失/无法识别", "code or kind missing or unknown"))
            continue
        house_id = None
        label = str(cell("house") or "").strip()
        if label:
            house = house_service.find_by_label(session, compound_id=cp.compound_id, label=label)
            if house is None:
                report.errors.append((n, f"房屋不存在：{label}", f"no such house: {label}"))
                continue
            house_id = house.id
        try:
            px = float(cell("plan_x")) if cell("plan_x") not in (None, "") else None
            py = float(cell("plan_y")) if cell("plan_y") not in (None, "") else None
            body = SpaceCreate(code=code, kind=kind, house_id=house_id, plan_x=px, plan_y=py)
        except (ValueError, TypeError):
            report.errors.append((n, "坐标须为 0 到 1 之间的数字", "plan points are numbers between 0 and 1"))
            continue
        existing = repo.space_by_code(cp.id, code)
        try:
            with session.begin_nested():
                if existing is None:
                    parking_service.add_space(session, by=by, car_park_id=cp.id, data=body)
                    report.created += 1
                else:
                    _update(existing, body)
                    session.flush()
                    report.updated += 1
        except (AppError, IntegrityError) as e:
            zh = e.zh or e.message_zh if isinstance(e, AppError) else "与已有数据冲突"
            report.errors.append((n, str(zh), str(e)))
    if outer is not None:
        outer.rollback()
    return report


def _update(space: ParkingSpace, body: SpaceCreate) -> None:
    if body.kind in (SpaceKind.owned, SpaceKind.rented) and body.house_id is None:
        from anju.core.errors import Invalid

        raise Invalid("an owned or rented space names its house", zh="产权车位或租赁车位须指定所属房屋")
    space.kind, space.house_id, space.plan_x, space.plan_y = body.kind, body.house_id, body.plan_x, body.plan_y

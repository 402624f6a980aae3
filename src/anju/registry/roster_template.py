"""The roster template: the header row as the import reads it, an example row, and a sheet of column help;
and the import's "create missing houses" option (issue 11 item 4)."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.core import sheets
from anju.core.auth import Principal
from anju.registry.models import Building, Compound, Unit
from anju.registry.roster_columns import (
    COLUMNS,
    CONTACTS_MAX,
    GENDER_ZH,
    POPULATION_ZH,
    ROLE_ZH,
    TAG_ZH,
    XLSX_MEDIA_TYPE,
    RosterFile,
    _norm_header,
)
from anju.registry.structure_schemas import BuildingCreate, HouseCreate, UnitCreate
from anju.registry.structure_service import structure_service

_HELP: dict[str, str] = {
    "name": "必填。住户姓名。",
    "phone": "11位手机号。有手机号时按“姓名+手机号”识别同一人。",
    "id_number": "18位身份证号（校验位须正确）。有身份证号时按身份证号识别同一人。",
    "house": "必填。房屋编号，与系统中一致，例如 3-1-0802。",
    "role": "与房屋关系：" + "、".join(ROLE_ZH.values()) + "；不填为家属。",
    "population_type": "人口类型：" + "、".join(POPULATION_ZH.values()) + "；不填为户籍。",
    "gender": "性别：" + "、".join(GENDER_ZH.values()) + "。",
    "birth_date": "出生日期，例如 1990-01-31。",
    "tags": "标签，可多个，用顿号分隔：" + "、".join(TAG_ZH.values()) + "。",
    "lease_end": "租户必填：租约到期日，例如 2027-06-30。",
    "contact_name": f"紧急联系人姓名（每人最多{CONTACTS_MAX}个）。",
    "contact_phone": "紧急联系人手机号。",
}
_EXAMPLE: dict[str, str] = {
    "name": "张三",
    "phone": "13800138000",
    "id_number": "",
    "house": "3-1-0802",
    "role": "业主",
    "population_type": "户籍",
    "gender": "男",
    "birth_date": "1980-05-20",
    "tags": "",
    "lease_end": "",
    "contact_name": "",
    "contact_phone": "",
}


def roster_template() -> RosterFile:
    """An .xlsx with the columns the import reads (required ones marked *), an example row and column help."""
    header = [f"{c.zh}*" if c.required else c.zh for c in COLUMNS]
    rows = [header, [_EXAMPLE[c.key] for c in COLUMNS]]
    help_rows = [["列名", "必填", "其他可用列名", "说明"]] + [
        [c.zh, "是" if c.required else "", "、".join((c.en, *c.aliases)), _HELP[c.key]] for c in COLUMNS
    ]
    help_rows.append(["", "", "", "第2行为示例，导入前请删除。列的顺序可以调整；无法识别的列会被忽略并在结果中列出。"])
    data = sheets.xlsx_bytes([("住户名册", rows, [12] * len(COLUMNS)), ("填写说明", help_rows, (14, 6, 30, 80))])
    return RosterFile(filename="roster-template.xlsx", media_type=XLSX_MEDIA_TYPE, data=data)


LABEL_RE = re.compile(r"^(?P<b>[0-9A-Za-z]{1,8})-(?P<u>[0-9A-Za-z]{1,8})-(?P<f>\d{1,3})(?P<n>\d{2})$")


def house_column_values(header: tuple[object, ...], body: list[tuple[int, tuple[object, ...]]]) -> list[str]:
    """The house labels of a roster's rows (the house column found as the import finds it)."""
    names = {_norm_header(str(a)) for c in COLUMNS if c.key == "house" for a in (c.zh, c.en, *c.aliases)}
    index = next((i for i, h in enumerate(header) if h is not None and _norm_header(str(h)) in names), None)
    if index is None:
        return []
    return [str(values[index]).strip() for _, values in body if index < len(values) and values[index] not in (None, "")]


def create_missing_houses(
    session: Session, *, who: Principal | None, compound: Compound, labels: list[str], known: set[str]
) -> list[str]:
    """Create the houses named "{building}-{unit}-{floor}{nn}" that the compound lacks (and their building and
    unit); other unknown labels are left for the row errors. Returns the labels created."""
    created: list[str] = []
    buildings = {
        b.number: b for b in session.execute(select(Building).where(Building.compound_id == compound.id)).scalars()
    }
    units = {
        (u.building_id, u.number): u
        for u in session.execute(select(Unit).where(Unit.compound_id == compound.id)).scalars()
    }
    for label in dict.fromkeys(labels):
        m = LABEL_RE.match(label)
        if label in known or m is None or int(m["f"]) == 0:
            continue
        floor = int(m["f"])
        b = buildings.get(m["b"])
        if b is None:
            b = buildings[m["b"]] = structure_service.add_building(
                session, who=who, compound=compound, data=BuildingCreate(number=m["b"], floors=max(floor, 1))
            )
        u = units.get((b.id, m["u"]))
        if u is None:
            u = units[(b.id, m["u"])] = structure_service.add_unit(
                session, who=who, building=b, data=UnitCreate(number=m["u"], floors=max(floor, b.floors))
            )
        structure_service.add_house(
            session, who=who, unit=u, data=HouseCreate(floor=floor, number=f"{m['f']}{m['n']}", label=label)
        )
        created.append(label)
    return created

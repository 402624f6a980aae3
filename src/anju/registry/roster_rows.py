"""Roster rows: parse and validate one spreadsheet row into a RosterRow."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from openpyxl.utils.datetime import from_excel

from anju.registry.enums import Gender, OccupancyRole, PersonTagKind, PopulationType
from anju.registry.roster_columns import (
    _BY_KEY,
    _DASHES,
    _DATE_RE,
    _TAG_SPLIT,
    GENDER_IN,
    NAME_MAX,
    POPULATION_IN,
    ROLE_IN,
    TAG_IN,
    TAG_ZH,
    RowError,
    _blank,
    _text,
)
from anju.registry.schemas import (
    validate_id_number,
    validate_phone,
)

# --- parsing one row --------------------------------------------------------------------------------------


@dataclass
class RosterRow:
    """A validated row; None in an optional field means "not given, leave as is"."""

    row: int
    name: str = ""
    phone: str | None = None
    id_number: str | None = None
    house_label: str = ""
    house_id: int = 0
    role: OccupancyRole | None = None
    population_type: PopulationType | None = None
    gender: Gender | None = None
    birth_date: date | None = None
    tags: list[PersonTagKind] | None = None
    lease_end: date | None = None
    contact_name: str | None = None
    contact_phone: str | None = None


class RowParser:
    """Turns one spreadsheet row into a RosterRow, collecting every error on the way."""

    def __init__(
        self, columns: dict[str, tuple[int, str]], houses: dict[str, int], on: date, errors: list[RowError]
    ) -> None:
        self.columns = columns
        self.houses = houses
        self.on = on
        self.errors = errors

    def header(self, key: str) -> str:
        return self.columns[key][1] if key in self.columns else _BY_KEY[key].zh

    def fail(self, row: int, key: str, zh: str, en: str) -> None:
        self.errors.append(RowError(row=row, column=self.header(key), message=f"{zh} / {en}"))

    def parse(self, row: int, values: tuple[Any, ...]) -> RosterRow | None:
        before = len(self.errors)
        cells = {k: (values[i] if i < len(values) else None) for k, (i, _) in self.columns.items()}
        r = RosterRow(row=row)
        r.name = self._name(row, cells.get("name"))
        r.phone = self._number(row, "phone", cells.get("phone"))
        r.id_number = self._number(row, "id_number", cells.get("id_number"))
        r.house_label, r.house_id = self._house(row, cells.get("house"))
        r.role = self._choice(row, "role", cells.get("role"), ROLE_IN, "关系", "role")
        r.population_type = self._choice(
            row, "population_type", cells.get("population_type"), POPULATION_IN, "人口类型", "population type"
        )
        r.gender = self._choice(row, "gender", cells.get("gender"), GENDER_IN, "性别", "gender")
        r.birth_date = self._date(row, "birth_date", cells.get("birth_date"))
        if r.birth_date is not None and not date(1900, 1, 1) <= r.birth_date <= self.on:
            self.fail(row, "birth_date", "出生日期不合理", "birth date out of range")
        r.tags = self._tags(row, cells.get("tags"))
        r.lease_end = self._date(row, "lease_end", cells.get("lease_end"))
        if r.role == OccupancyRole.tenant and r.lease_end is None:
            self.fail(row, "lease_end", "租户须填写租约到期日", "lease end is required for tenants")
        contact = _text(cells.get("contact_name"))
        r.contact_phone = self._number(row, "contact_phone", cells.get("contact_phone"))
        if contact:
            if len(contact) > NAME_MAX:
                self.fail(
                    row,
                    "contact_name",
                    f"紧急联系人姓名过长（最多{NAME_MAX}字）",
                    f"emergency contact name too long (at most {NAME_MAX} characters)",
                )
            r.contact_name = contact
        elif r.contact_phone:
            self.fail(
                row, "contact_name", "填写紧急联系电话时须填写紧急联系人", "an emergency phone needs the contact's name"
            )
        return r if len(self.errors) == before else None

    def _name(self, row: int, v: Any) -> str:
        name = _text(v)
        if not name:
            self.fail(row, "name", "姓名不能为空", "name is required")
        elif len(name) > NAME_MAX:
            self.fail(row, "name", f"姓名过长（最多{NAME_MAX}字）", f"name too long (at most {NAME_MAX} characters)")
        elif name.startswith(("=", "+", "@")) or any(unicodedata.category(ch) == "Cc" for ch in name):
            self.fail(row, "name", "姓名含非法字符", "name contains invalid characters")
        return name

    def _number(self, row: int, key: str, v: Any) -> str | None:
        if _blank(v):
            return None
        if key == "id_number" and isinstance(v, float):
            self.fail(
                row,
                key,
                "身份证号被存为数字，末几位已丢失，请将该列设为文本",
                "ID number was stored as a number and lost digits; format the column as text",
            )
            return None
        s = unicodedata.normalize("NFKC", _text(v))
        if "*" in s:
            self.fail(row, key, "号码已脱敏，无法导入", "masked number cannot be imported")
            return None
        try:
            if key == "id_number":
                return validate_id_number(s)
            s = s.replace(" ", "").replace("-", "")
            if s.startswith("+86"):
                s = s[3:]
            return validate_phone(s)
        except ValueError:
            if key == "id_number":
                self.fail(row, key, "身份证号格式或校验位错误", "invalid ID number (format or check digit)")
            else:
                self.fail(row, key, "手机号格式错误", "invalid phone (11-digit mainland mobile number)")
            return None

    def _house(self, row: int, v: Any) -> tuple[str, int]:
        label = unicodedata.normalize("NFKC", _text(v)).translate(_DASHES).replace(" ", "")
        if not label:
            self.fail(row, "house", "房屋不能为空", "house is required")
            return "", 0
        house_id = self.houses.get(label)
        if house_id is None:
            self.fail(row, "house", f"本小区没有房屋“{label}”", f"unknown house {label} in this compound")
            return label, 0
        return label, house_id

    def _choice(self, row: int, key: str, v: Any, allowed: dict[str, Any], zh: str, en: str) -> Any:
        s = _text(v)
        if not s:
            return None
        found = allowed.get(s) or allowed.get(s.lower())
        if found is None:
            names = "、".join(k for k in allowed if not k.isascii())
            self.fail(row, key, f"{zh}“{s}”无效，可填：{names}", f"unknown {en} {s!r}")
        return found

    def _date(self, row: int, key: str, v: Any) -> date | None:
        if _blank(v):
            return None
        if isinstance(v, datetime):
            return v.date()
        if isinstance(v, date):
            return v
        if isinstance(v, int | float) and not isinstance(v, bool) and 1 <= v < 2_958_466:
            d = from_excel(v)  # an Excel serial number whose date format was lost
            return d.date() if isinstance(d, datetime) else None
        m = _DATE_RE.match(unicodedata.normalize("NFKC", _text(v)))
        if m:
            try:
                return date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                pass
        self.fail(row, key, "日期格式错误，应为YYYY-MM-DD", "invalid date; use YYYY-MM-DD")
        return None

    def _tags(self, row: int, v: Any) -> list[PersonTagKind] | None:
        s = _text(v)
        if not s:
            return None
        tags: list[PersonTagKind] = []
        for part in _TAG_SPLIT.split(s):
            if not part:
                continue
            tag = TAG_IN.get(part) or TAG_IN.get(part.lower())
            if tag is None:
                self.fail(row, "tags", f"标签“{part}”无效，可填：{'、'.join(TAG_ZH.values())}", f"unknown tag {part!r}")
            elif tag not in tags:
                tags.append(tag)
        return tags

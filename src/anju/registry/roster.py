"""Resident roster (住户花名册) import and export, as .xlsx or .csv.

Import validates every row, reports every error by spreadsheet row and column,
and is idempotent: people are matched by ID number (blind index), else by name
and phone, else by name within the house, so importing the same file twice
changes nothing. Writes go through `person_service` and `move_in`, so change
records and events are the same as for edits in the console.

Export writes phone and ID numbers masked only. An exported file is for
viewing: importing it back is refused row by row, because a masked number
cannot identify anyone ("号码已脱敏，无法导入").
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.datetime import from_excel
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from anju.core import sheets
from anju.core.auth import Principal
from anju.core.crypto import blind_index, decrypt
from anju.core.errors import AppError, Invalid, NotFound
from anju.core.rbac import Permission
from anju.registry.enums import Gender, OccupancyRole, PersonStatus, PersonTagKind, PopulationType
from anju.registry.models import Compound, EmergencyContact, House, Occupancy, Person, PersonTag
from anju.registry.occupancy import open_occupancy_clause
from anju.registry.permissions import RegistryPerm
from anju.registry.repository import HouseQuery, PersonQuery
from anju.registry.schemas import (
    EmergencyContactIn,
    MoveIn,
    PersonCreate,
    PersonUpdate,
    validate_id_number,
    validate_phone,
)
from anju.registry.service import move_in, person_service, today

MAX_ROWS = 50_000
MAX_COLS = 64
NAME_MAX = 64
CONTACTS_MAX = 5
PROGRESS_EVERY = 100
CONTACT_RELATION = "紧急联系人"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"

Progress = Callable[[int, int], None]


# --- the report -------------------------------------------------------------------------------------------


class RowError(BaseModel):
    """One problem in one cell: 1-based spreadsheet row (the header is row 1), column as headed in the file."""

    row: int
    column: str
    message: str


class ImportReport(BaseModel):
    """What an import did (or, for a dry run, would do); every rejected row is listed in `errors`."""

    total_rows: int = 0
    imported: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[RowError] = []
    committed: bool = False
    dry_run: bool = False
    all_or_nothing: bool = False
    ignored_columns: list[str] = []

    def summary(self) -> str:
        """One bilingual line for the CLI and the console."""
        if self.dry_run:
            zh, en = "试运行，未写入", "dry run, nothing written"
        elif self.committed:
            zh, en = "已导入", "committed"
        elif self.all_or_nothing and self.errors:
            zh, en = "存在错误，全部未导入", "nothing imported because some rows are invalid"
        else:
            zh, en = "未导入", "nothing imported"
        return (
            f"共{self.total_rows}行：新增{self.created}，更新{self.updated}，未变{self.unchanged}，"
            f"错误{self.rejected}行（{zh}） / {self.total_rows} rows: {self.created} created, "
            f"{self.updated} updated, {self.unchanged} unchanged, {self.rejected} rejected ({en})"
        )


@dataclass(frozen=True)
class RosterFile:
    filename: str
    media_type: str
    data: bytes


# --- columns and values -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    zh: str  # the header written on export
    en: str
    aliases: tuple[str, ...] = ()
    required: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("name", "姓名", "name", required=True),
    Column("phone", "手机", "phone", ("手机号", "手机号码", "mobile")),
    Column("id_number", "身份证号", "id_number", ("身份证号码", "身份证")),
    Column("house", "房屋", "house", ("房号",), required=True),
    Column("role", "关系", "role", ("与房屋关系",)),
    Column("population_type", "人口类型", "population_type"),
    Column("gender", "性别", "gender"),
    Column("birth_date", "出生日期", "birth_date"),
    Column("tags", "标签", "tags"),
    Column("lease_end", "租约到期", "lease_end", ("租约到期日",)),
    Column("contact_name", "紧急联系人", "emergency_contact"),
    Column("contact_phone", "紧急联系电话", "emergency_phone"),
)
_BY_KEY = {c.key: c for c in COLUMNS}

ROLE_ZH = {
    OccupancyRole.owner: "业主",
    OccupancyRole.co_owner: "共有人",
    OccupancyRole.family: "家属",
    OccupancyRole.tenant: "租户",
}
POPULATION_ZH = {PopulationType.registered: "户籍", PopulationType.floating: "流动"}
GENDER_ZH = {Gender.male: "男", Gender.female: "女"}
TAG_ZH = {
    PersonTagKind.elderly_alone: "独居老人",
    PersonTagKind.disabled: "残疾",
    PersonTagKind.minor: "未成年",
    PersonTagKind.special_care: "特殊关怀",
}

ROLE_IN = {
    **{v: k for k, v in ROLE_ZH.items()},
    **{r.value: r for r in OccupancyRole},
    "户主": OccupancyRole.owner,
    "产权人": OccupancyRole.owner,
    "家庭成员": OccupancyRole.family,
    "租客": OccupancyRole.tenant,
    "co-owner": OccupancyRole.co_owner,
}
POPULATION_IN = {
    **{v: k for k, v in POPULATION_ZH.items()},
    **{p.value: p for p in PopulationType},
    "户籍人口": PopulationType.registered,
    "流动人口": PopulationType.floating,
}
GENDER_IN = {
    **{v: k for k, v in GENDER_ZH.items()},
    **{g.value: g for g in Gender},
    "m": Gender.male,
    "f": Gender.female,
}
TAG_IN = {
    **{v: k for k, v in TAG_ZH.items()},
    **{t.value: t for t in PersonTagKind},
    "残疾人": PersonTagKind.disabled,
    "未成年人": PersonTagKind.minor,
}
_TAG_SPLIT = re.compile(r"[、,，;；\s]+")
_DATE_RE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
_DASHES = str.maketrans({"－": "-", "—": "-", "–": "-", "‐": "-"})


def _norm_header(text: str) -> str:
    s = unicodedata.normalize("NFKC", text).strip().replace("*", "")
    s = s.split("(", 1)[0].strip().lower()
    return re.sub(r"[\s\-]+", "_", s)


_HEADER_IN: dict[str, str] = {}
for _c in COLUMNS:
    for _alias in (_c.zh, _c.en, *_c.aliases):
        _HEADER_IN[_norm_header(_alias)] = _c.key


# --- reading files ----------------------------------------------------------------------------------------


def _invalid(zh: str, en: str) -> Invalid:
    return Invalid(en, zh=zh)


def _too_many() -> Invalid:
    return _invalid(f"行数超过上限{MAX_ROWS}", f"too many rows (at most {MAX_ROWS})")


def _xlsx_rows(data: bytes) -> list[tuple[int, tuple[Any, ...]]]:
    if not data.startswith(b"PK\x03\x04"):
        raise _invalid("不是有效的Excel文件", "not a valid .xlsx file")
    rows: list[tuple[int, tuple[Any, ...]]] = []
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            if not wb.worksheets:
                raise _invalid("Excel文件中没有工作表", "the .xlsx file has no worksheet")
            for n, values in enumerate(wb.worksheets[0].iter_rows(max_col=MAX_COLS, values_only=True), start=1):
                if not all(_blank(v) for v in values):
                    rows.append((n, values))
                # Blank rows count too: a small file can unzip into millions of them.
                if len(rows) > MAX_ROWS + 1 or n > 4 * MAX_ROWS:
                    raise _too_many()
        finally:
            wb.close()
    except Invalid:
        raise
    except Exception as e:
        raise _invalid("不是有效的Excel文件", f"not a valid .xlsx file ({type(e).__name__})") from e
    return rows


def _decode_text(data: bytes) -> str:
    if b"\x00" in data:
        raise _invalid("不是有效的CSV文本文件", "not a valid .csv text file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        # Excel in China saves "CSV" as GBK; GB18030 decodes GBK and is its superset.
        return data.decode("gb18030")
    except UnicodeDecodeError as e:
        raise _invalid("无法识别文件编码，请保存为UTF-8或GBK", "unknown text encoding; save as UTF-8 or GBK") from e


def _csv_rows(data: bytes) -> list[tuple[int, tuple[Any, ...]]]:
    text = _decode_text(data)
    first = text.split("\n", 1)[0]
    delimiter = max(",\t;", key=first.count) if first else ","
    rows: list[tuple[int, tuple[Any, ...]]] = []
    try:
        # Numbered by record, as Excel shows a .csv (a quoted line break stays inside its row).
        for n, values in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1):
            if any(v.strip() for v in values):
                rows.append((n, tuple(values[:MAX_COLS])))
                if len(rows) > MAX_ROWS + 1:
                    raise _too_many()
    except csv.Error as e:
        raise _invalid("CSV格式错误", f"malformed .csv file ({e})") from e
    return rows


def read_table(filename: str, data: bytes) -> list[tuple[int, tuple[Any, ...]]]:
    """Non-empty rows of the first sheet with their spreadsheet row numbers; 422 if not a roster file."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if ext == "xlsx":
        return _xlsx_rows(data)
    if ext == "csv":
        return _csv_rows(data)
    if ext in ("xls", "et"):
        raise _invalid("不支持旧版.xls文件，请另存为.xlsx", "legacy .xls is not supported; save as .xlsx")
    raise _invalid("仅支持.xlsx或.csv文件", "only .xlsx and .csv files are accepted")


def map_header(header: Iterable[Any]) -> tuple[dict[str, tuple[int, str]], list[str]]:
    """Column key -> (index, header as written); plus the headers that were not recognised."""
    found: dict[str, tuple[int, str]] = {}
    ignored: list[str] = []
    for i, cell in enumerate(header):
        text = _text(cell)
        if not text:
            continue
        key = _HEADER_IN.get(_norm_header(text))
        if key is None:
            ignored.append(text)
        elif key in found:
            raise _invalid(f"列重复：{found[key][1]}、{text}", f"duplicate column: {found[key][1]}, {text}")
        else:
            found[key] = (i, text)
    missing = [c for c in COLUMNS if c.required and c.key not in found]
    if missing:
        raise _invalid(
            "缺少必填列：" + "、".join(c.zh for c in missing) + "（表头须在第一行）",
            "missing required columns: "
            + ", ".join(f"{c.zh}/{c.en}" for c in missing)
            + " (the header must be the first row)",
        )
    return found, ignored


# --- parsing one row --------------------------------------------------------------------------------------


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, datetime):
        return v.date().isoformat() if v.time() == datetime.min.time() else v.isoformat(sep=" ")
    if isinstance(v, date):
        return v.isoformat()
    return str(v).replace("\u3000", " ").replace("\u200b", "").strip()


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


class _RowParser:
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


# --- queries ----------------------------------------------------------------------------------------------


def _chunks(ids: list[int], size: int = 500) -> Iterator[list[int]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


class RosterQuery:
    """The roster's batched per-compound queries, so 5,000 rows cost a handful of SELECTs."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def people_keys(self, compound_id: int) -> list[tuple[int, str, str | None, str | None]]:
        """(id, name, id_number_bidx, phone_bidx) of every person in the compound."""
        rows = self.session.execute(
            select(Person.id, Person.name, Person.id_number_bidx, Person.phone_bidx).where(
                Person.compound_id == compound_id
            )
        )
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    def active_links(self, compound_id: int) -> list[tuple[int, int, str]]:
        """(person_id, house_id, person name) of every current occupancy in the compound."""
        rows = self.session.execute(
            select(Occupancy.person_id, Occupancy.house_id, Person.name)
            .join(Person, Person.id == Occupancy.person_id)
            .where(Occupancy.compound_id == compound_id, open_occupancy_clause())
        )
        return [(r[0], r[1], r[2]) for r in rows]

    def people(self, ids: list[int]) -> dict[int, Person]:
        return {
            p.id: p
            for chunk in _chunks(ids)
            for p in self.session.execute(select(Person).where(Person.id.in_(chunk))).scalars()
        }

    def houses(self, ids: list[int]) -> dict[int, House]:
        return {
            h.id: h
            for chunk in _chunks(ids)
            for h in self.session.execute(select(House).where(House.id.in_(chunk))).scalars()
        }

    def contacts(self, ids: list[int]) -> dict[int, list[EmergencyContact]]:
        out: dict[int, list[EmergencyContact]] = defaultdict(list)
        for chunk in _chunks(ids):
            for c in self.session.execute(
                select(EmergencyContact).where(EmergencyContact.person_id.in_(chunk)).order_by(EmergencyContact.id)
            ).scalars():
                out[c.person_id].append(c)
        return out

    def export_rows(self, compound_id: int) -> list[Any]:
        """Current residents with masked numbers only; ciphertext columns are never selected."""
        return list(
            self.session.execute(
                select(
                    Person.id,
                    Person.name,
                    Person.phone_masked,
                    Person.id_number_masked,
                    Person.population_type,
                    Person.gender,
                    Person.birth_date,
                    House.label,
                    Occupancy.role,
                    Occupancy.lease_end,
                )
                .join(Occupancy, Occupancy.person_id == Person.id)
                .join(House, House.id == Occupancy.house_id)
                .where(
                    Occupancy.compound_id == compound_id,
                    open_occupancy_clause(),
                    Person.status == PersonStatus.active,
                    Person.frozen_at.is_(None),
                )
                .order_by(House.id, Occupancy.id)
            )
        )

    def tags(self, compound_id: int) -> dict[int, list[PersonTagKind]]:
        out: dict[int, list[PersonTagKind]] = defaultdict(list)
        for pid, tag in self.session.execute(
            select(PersonTag.person_id, PersonTag.tag)
            .where(PersonTag.compound_id == compound_id)
            .order_by(PersonTag.id)
        ):
            out[pid].append(tag)
        return out

    def first_contacts(self, compound_id: int) -> dict[int, tuple[str, str | None]]:
        out: dict[int, tuple[str, str | None]] = {}
        for pid, name, masked in self.session.execute(
            select(EmergencyContact.person_id, EmergencyContact.name, EmergencyContact.phone_masked)
            .where(EmergencyContact.compound_id == compound_id)
            .order_by(EmergencyContact.id)
        ):
            out.setdefault(pid, (name, masked))
        return out


# --- planning: match people, decide what changes ----------------------------------------------------------


@dataclass
class _Plan:
    row: RosterRow
    person_id: int | None  # None: create a new person
    changes: dict[str, Any] = field(default_factory=dict)  # PersonUpdate fields that differ
    move_in: bool = False

    @property
    def kind(self) -> str:
        """The report counter this row adds to."""
        return "created" if self.person_id is None else "updated" if self.changes or self.move_in else "unchanged"


def _check_scope(session: Session, who: Principal | None, compound_id: int, perm: Permission) -> Compound:
    if who is not None:
        who.require(perm)
    compound = session.get(Compound, compound_id)
    if compound is None or (who is not None and not who.in_scope(compound_id)):
        raise NotFound(f"compound {compound_id} not found", zh="未找到该小区")
    return compound


class _Planner:
    """Matches rows to people already on record and works out the smallest change for each."""

    def __init__(self, session: Session, compound_id: int, on: date, parser: _RowParser) -> None:
        self.session = session
        self.on = on
        self.parser = parser
        q = RosterQuery(session)
        self.by_id: dict[str, int] = {}
        self.by_phone: dict[str, list[tuple[int, str, str | None]]] = defaultdict(list)
        for pid, name, id_bidx, phone_bidx in q.people_keys(compound_id):
            if id_bidx:
                self.by_id[id_bidx] = pid
            if phone_bidx:
                self.by_phone[phone_bidx].append((pid, name, id_bidx))
        self.links: set[tuple[int, int]] = set()
        self.house_names: dict[tuple[int, str], list[int]] = defaultdict(list)
        for pid, hid, name in q.active_links(compound_id):
            self.links.add((pid, hid))
            self.house_names[(hid, name)].append(pid)

    def match(self, r: RosterRow) -> tuple[int | None, str | None]:
        """The existing person this row is about, or an error for an ambiguous match."""
        id_bidx = blind_index(r.id_number, context="id_number") if r.id_number else None
        if id_bidx and id_bidx in self.by_id:
            return self.by_id[id_bidx], None
        if r.phone:
            # Without a known ID number, the same name and phone is the same person, unless the
            # record already carries a different ID number.
            same = [
                pid
                for pid, name, known in self.by_phone.get(blind_index(r.phone, context="phone") or "", [])
                if name == r.name and not (id_bidx and known)
            ]
        elif not r.id_number:
            same = self.house_names.get((r.house_id, r.name), [])
        else:
            same = []
        if len(same) > 1:
            return None, "ambiguous"
        return (same[0] if same else None), None

    def plan(self, rows: list[RosterRow]) -> list[_Plan]:
        """One plan per row that can go ahead (unchanged rows included); the rest get errors."""
        plans: list[_Plan] = []
        matched: list[tuple[RosterRow, int]] = []
        for r in rows:
            pid, problem = self.match(r)
            if problem:
                self.parser.fail(
                    r.row,
                    "name",
                    "匹配到多位同名人员，请填写身份证号",
                    "several people match this name; add the ID number",
                )
            elif pid is None:
                if self._lease_ok(r):
                    plans.append(_Plan(row=r, person_id=None, move_in=True))
            else:
                matched.append((r, pid))
        ids = sorted({pid for _, pid in matched})
        q = RosterQuery(self.session)
        people = q.people(ids)
        tags = PersonQuery(self.session).tags_of(ids)
        contacts = q.contacts(sorted({pid for r, pid in matched if r.contact_name}))
        for r, pid in matched:
            p = people[pid]
            changes = self._changes(r, p, tags[pid], contacts.get(pid, []))
            if changes is None:
                continue
            needs_link = (pid, r.house_id) not in self.links
            if not changes and not needs_link:
                plans.append(_Plan(row=r, person_id=pid))
            elif p.frozen_at is not None or p.status == PersonStatus.erased:
                self.parser.fail(
                    r.row, "name", "该人员数据已删除或冻结，不能修改", "this person's data is erased or frozen"
                )
            elif needs_link and p.status != PersonStatus.active:
                self.parser.fail(
                    r.row,
                    "house",
                    "该人员已迁出，请在系统中办理入住",
                    "this person has moved out; register the move-in in the console",
                )
            elif not needs_link or self._lease_ok(r):
                plans.append(_Plan(row=r, person_id=pid, changes=changes, move_in=needs_link))
        return plans

    def _lease_ok(self, r: RosterRow) -> bool:
        if r.lease_end is not None and r.lease_end < self.on:
            self.parser.fail(r.row, "lease_end", "租约已到期，不能登记入住", "the lease has already ended")
            return False
        return True

    def _changes(
        self, r: RosterRow, p: Person, tags: list[PersonTagKind], contacts: list[EmergencyContact]
    ) -> dict[str, Any] | None:
        """Fields of `p` the row changes; empty cells leave a field as it is. None after an error."""
        changes: dict[str, Any] = {}
        if r.name != p.name:
            changes["name"] = r.name
        if r.phone and blind_index(r.phone, context="phone") != p.phone_bidx:
            changes["phone"] = r.phone
        if r.id_number and blind_index(r.id_number, context="id_number") != p.id_number_bidx:
            changes["id_number"] = r.id_number
        for name in ("gender", "birth_date", "population_type"):
            value = getattr(r, name)
            if value is not None and value != getattr(p, name):
                changes[name] = value
        if r.tags is not None and set(r.tags) != set(tags):
            changes["tags"] = r.tags
        if r.contact_name:
            current = [(c.name, c.relation, decrypt(c.phone_enc, context="contact.phone")) for c in contacts]
            if not any(
                n == r.contact_name and (r.contact_phone is None or ph == r.contact_phone) for n, _, ph in current
            ):
                named = [i for i, (n, _, _) in enumerate(current) if n == r.contact_name]
                if named:
                    n, rel, _ = current[named[0]]
                    current[named[0]] = (n, rel, r.contact_phone)
                elif len(current) >= CONTACTS_MAX:
                    self.parser.fail(
                        r.row,
                        "contact_name",
                        f"紧急联系人已达{CONTACTS_MAX}个上限",
                        f"this person already has {CONTACTS_MAX} emergency contacts",
                    )
                    return None
                else:
                    current.append((r.contact_name, CONTACT_RELATION, r.contact_phone))
                changes["contacts"] = [{"name": n, "relation": rel, "phone": ph} for n, rel, ph in current]
        return changes


def _duplicates(rows: list[RosterRow], parser: _RowParser) -> list[RosterRow]:
    """Drop (and report) a row that names the same person as an earlier row of the file."""
    seen: dict[tuple[str, ...], int] = {}
    kept: list[RosterRow] = []
    for r in rows:
        if r.id_number:
            key: tuple[str, ...] = ("id", r.id_number)
        elif r.phone:
            key = ("phone", r.name, r.phone)
        else:
            key = ("house", r.name, r.house_label)
        first = seen.setdefault(key, r.row)
        if first == r.row:
            kept.append(r)
        elif key[0] == "id":
            parser.fail(r.row, "id_number", f"身份证号与第{first}行重复", f"duplicate ID number (same as row {first})")
        else:
            parser.fail(r.row, "name", f"与第{first}行为同一人", f"same person as row {first}")
    return kept


class _Abort(Exception):
    """Leaves the import's savepoint, rolling back everything written so far."""


def _error_text(e: Exception) -> str:
    if isinstance(e, AppError):
        return f"{e.zh or e.message_zh} / {e.detail or e.message_en}"
    if isinstance(e, ValidationError):
        return "数据校验失败 / " + "; ".join(str(x.get("msg")) for x in e.errors())
    return "与已有数据冲突 / conflicts with existing data"


def import_roster(
    session: Session,
    *,
    who: Principal | None,
    compound_id: int,
    filename: str,
    data: bytes,
    all_or_nothing: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Validate a roster file row by row and import its valid rows (or none, if asked); never commits."""
    # who=None is the trusted command line. A dry run only reads. Writes happen inside one
    # SAVEPOINT, so an abort leaves nothing half-written; the caller's boundary commits.
    _check_scope(session, who, compound_id, RegistryPerm.roster_import)
    if who is not None:
        who.require(RegistryPerm.people_write)  # rows are written through the people services
    keep = set(session.identity_map.keys())  # the caller's objects; the import's own are let go per batch
    table = read_table(filename, data)
    if not table:
        raise _invalid("文件为空", "the file is empty")
    (_, header), body = table[0], table[1:]
    columns, ignored = map_header(header)
    on = today()
    errors: list[RowError] = []
    parser = _RowParser(columns, HouseQuery(session).labels(compound_id), on, errors)
    total = len(body)
    tick = progress or (lambda done, total: None)
    tick(0, total)
    parsed = [r for n, values in body if (r := parser.parse(n, values)) is not None]
    planner = _Planner(session, compound_id, on, parser)
    plans = planner.plan(_duplicates(parsed, parser))
    plans.sort(key=lambda pl: pl.row.row)
    report = ImportReport(total_rows=total, dry_run=dry_run, all_or_nothing=all_or_nothing, ignored_columns=ignored)
    if dry_run or (all_or_nothing and errors) or not plans:
        if dry_run:
            for pl in plans:
                setattr(report, pl.kind, getattr(report, pl.kind) + 1)
        return _finish(report, errors, total, tick, committed=False)
    writer = _Writer(
        session, who=who, compound_id=compound_id, on=on, parser=parser, all_or_nothing=all_or_nothing, keep=keep
    )
    skipped = total - len(plans)  # rows rejected while validating count as processed
    try:
        with session.begin_nested():
            for start in range(0, len(plans), PROGRESS_EVERY):
                for pl in writer.write(plans[start : start + PROGRESS_EVERY]):
                    setattr(report, pl.kind, getattr(report, pl.kind) + 1)
                tick(skipped + min(start + PROGRESS_EVERY, len(plans)), total)
    except _Abort:
        report.created = report.updated = report.unchanged = 0
        return _finish(report, errors, total, tick, committed=False)
    return _finish(report, errors, total, tick, committed=report.created + report.updated + report.unchanged > 0)


class _Writer:
    """Writes plans a batch per savepoint; a failing batch is redone row by row, so only its bad row is lost."""

    def __init__(
        self,
        session: Session,
        *,
        who: Principal | None,
        compound_id: int,
        on: date,
        parser: _RowParser,
        all_or_nothing: bool,
        keep: set[Any],
    ) -> None:
        self.session, self.who, self.compound_id, self.on = session, who, compound_id, on
        self.parser, self.all_or_nothing, self.keep = parser, all_or_nothing, keep
        self.people: dict[int, Person] = {}
        self.houses: dict[int, House] = {}

    def write(self, plans: list[_Plan]) -> list[_Plan]:
        """Apply a batch of plans; returns those written (unchanged rows included)."""
        todo = [pl for pl in plans if pl.kind != "unchanged"]
        self.forget_written()
        q = RosterQuery(self.session)
        self.people = q.people(sorted({pl.person_id for pl in todo if pl.person_id is not None}))
        self.houses = q.houses(sorted({pl.row.house_id for pl in todo if pl.move_in}))
        current: _Plan | None = None
        try:
            with self.session.begin_nested():
                for current in todo:
                    self.apply(current)
            written = plans
        except (AppError, IntegrityError, ValidationError) as e:  # e.g. a concurrent edit since planning
            if self.all_or_nothing:
                if current is not None:
                    self.reject(current, e)
                raise _Abort from e
            written = [pl for pl in plans if pl.kind == "unchanged" or self.write_one(pl)]
        return written

    def write_one(self, plan: _Plan) -> bool:
        try:
            with self.session.begin_nested():
                self.apply(plan)
            return True
        except (AppError, IntegrityError, ValidationError) as e:
            self.reject(plan, e)
            return False

    def reject(self, plan: _Plan, e: Exception) -> None:
        self.parser.errors.append(RowError(row=plan.row.row, column=self.parser.header("name"), message=_error_text(e)))

    def apply(self, plan: _Plan) -> None:
        r = plan.row
        if plan.person_id is None:
            contacts = (
                [EmergencyContactIn(name=r.contact_name, relation=CONTACT_RELATION, phone=r.contact_phone)]
                if r.contact_name
                else []
            )
            person = person_service.create(
                self.session,
                who=self.who,
                data=PersonCreate(
                    compound_id=self.compound_id,
                    name=r.name,
                    gender=r.gender,
                    birth_date=r.birth_date,
                    phone=r.phone,
                    id_number=r.id_number,
                    population_type=r.population_type or PopulationType.registered,
                    tags=r.tags or [],
                    contacts=contacts,
                ),
            )
        else:
            person = self.people[plan.person_id]
            if plan.changes:
                person_service.update(self.session, who=self.who, person=person, data=PersonUpdate(**plan.changes))
        if plan.move_in:
            move_in(
                self.session,
                who=self.who,
                house=self.houses[r.house_id],
                data=MoveIn(
                    person_id=person.id, role=r.role or OccupancyRole.family, on=self.on, lease_end=r.lease_end
                ),
            )

    def forget_written(self) -> None:
        """Flush, then let go of the objects this import loaded or wrote."""
        # Bulk DELETEs in the services scan the whole identity map: keeping every row's
        # objects (and every house) would make a long import quadratic.
        self.session.flush()
        for key, obj in list(self.session.identity_map.items()):  # type: ignore[attr-defined]  # not in IdentityMap's stub
            if key not in self.keep:
                self.session.expunge(obj)


def _finish(
    report: ImportReport, errors: list[RowError], total: int, tick: Progress, *, committed: bool
) -> ImportReport:
    report.errors = sorted(errors, key=lambda e: e.row)
    report.rejected = len({e.row for e in errors})
    report.imported = report.created + report.updated
    report.committed = committed
    tick(total, total)
    return report


# --- export -----------------------------------------------------------------------------------------------


def _export_table(session: Session, compound_id: int) -> list[list[str]]:
    q = RosterQuery(session)
    tags, contacts = q.tags(compound_id), q.first_contacts(compound_id)
    out: list[list[str]] = [[c.zh for c in COLUMNS]]
    for pid, name, phone, idn, pop, gender, birth, label, role, lease in q.export_rows(compound_id):
        contact_name, contact_phone = contacts.get(pid, ("", None))
        out.append(
            [
                name,
                phone or "",
                idn or "",
                label,
                ROLE_ZH[role],
                POPULATION_ZH.get(pop, ""),
                GENDER_ZH.get(gender, "") if gender else "",
                birth.isoformat() if birth else "",
                "、".join(TAG_ZH[t] for t in tags.get(pid, [])),
                lease.isoformat() if lease else "",
                contact_name,
                contact_phone or "",
            ]
        )
    return out


def _xlsx_bytes(table: list[list[str]]) -> bytes:
    # Every cell goes through the shared guard: text stays text (a name starting with "=" never becomes
    # a formula) and a control character in one name cannot fail the whole export.
    return sheets.xlsx_bytes([("住户名册", table, (12, 14, 22, 12, 8, 10, 6, 12, 20, 12, 12, 14))])


def _csv_bytes(table: list[list[str]]) -> bytes:
    # A leading apostrophe keeps spreadsheet programs from running a cell as a formula (shared guard).
    return sheets.csv_bytes(table)


def export_roster_file(session: Session, *, who: Principal | None, compound_id: int, fmt: str = "xlsx") -> RosterFile:
    """The compound's current residents as a file, phone and ID numbers masked (not re-importable)."""
    compound = _check_scope(session, who, compound_id, RegistryPerm.roster_export)
    if fmt not in ("xlsx", "csv"):
        raise _invalid("导出格式只能是xlsx或csv", "format must be xlsx or csv")
    table = _export_table(session, compound_id)
    code = re.sub(r"[^A-Za-z0-9_-]", "", compound.code) or str(compound.id)  # safe in a header
    name = f"roster-{code}-{today():%Y%m%d}.{fmt}"
    if fmt == "csv":
        return RosterFile(filename=name, media_type=CSV_MEDIA_TYPE, data=_csv_bytes(table))
    return RosterFile(filename=name, media_type=XLSX_MEDIA_TYPE, data=_xlsx_bytes(table))


def export_roster(session: Session, *, who: Principal | None, compound_id: int, fmt: str = "xlsx") -> bytes:
    """The roster as .xlsx or .csv bytes; masked numbers make it for viewing, not for re-import."""
    return export_roster_file(session, who=who, compound_id=compound_id, fmt=fmt).data

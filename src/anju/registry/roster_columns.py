"""Roster files: the columns, the report, reading .xlsx/.csv into rows."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from xml.etree.ElementTree import ParseError

from openpyxl import load_workbook
from pydantic import BaseModel

from anju.core.errors import Invalid
from anju.core.xlsx_reader import UnsupportedWorkbook, read_first_sheet
from anju.registry.enums import Gender, OccupancyRole, PersonTagKind, PopulationType

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
    houses_created: list[str] = []  # with "create missing houses": the labels created for this file

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


# --- reading files ----------------------------------------------------------------------------------------


def _invalid(zh: str, en: str) -> Invalid:
    return Invalid(en, zh=zh)


def _too_many() -> Invalid:
    return _invalid(f"行数超过上限{MAX_ROWS}", f"too many rows (at most {MAX_ROWS})")


def _xlsx_rows(data: bytes) -> list[tuple[int, tuple[Any, ...]]]:
    if not data.startswith(b"PK\x03\x04"):
        raise _invalid("不是有效的Excel文件", "not a valid .xlsx file")
    try:
        return _xlsx_rows_fast(data)
    except Invalid:
        raise
    except (UnsupportedWorkbook, ParseError, zipfile.BadZipFile, OSError, EOFError, LookupError, ValueError, TypeError):
        return _xlsx_rows_openpyxl(data)  # a workbook the fast reader does not understand: openpyxl decides


def _xlsx_rows_fast(data: bytes) -> list[tuple[int, tuple[Any, ...]]]:
    """The same rows as `_xlsx_rows_openpyxl`, read by core.xlsx_reader (a quarter of a big import's time)."""
    rows: list[tuple[int, tuple[Any, ...]]] = []
    for n, values in read_first_sheet(data, max_cols=MAX_COLS):
        if not all(_blank(v) for v in values):
            rows.append((n, values))
        # Blank rows count too: a small file can unzip into millions of them.
        if len(rows) > MAX_ROWS + 1 or n > 4 * MAX_ROWS:
            raise _too_many()
    return rows


def _xlsx_rows_openpyxl(data: bytes) -> list[tuple[int, tuple[Any, ...]]]:
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

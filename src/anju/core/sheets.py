"""The one guard for every cell a person's text reaches in an exported spreadsheet (.xlsx or .csv).

Two faults, one place:
- Formula injection: a fee item, a refund reason or a name starting with "=", "+", "-", "@", a tab
  or a carriage return must stay text. In .xlsx every text cell is written as a string cell (never a
  formula); in .csv such a value gets a leading apostrophe, which spreadsheet programs read as "text".
- Characters a workbook cannot hold: XML 1.0 forbids most control characters (openpyxl raises
  IllegalCharacterError, which turned one odd name into a failed export for everybody), and a lone
  surrogate cannot be encoded at all. They are replaced by U+FFFD, so the row still shows and a
  reader sees that something was there.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
REPLACEMENT = "\ufffd"
# XML 1.0 (and so .xlsx) cannot hold C0 controls other than tab, newline and carriage return,
# nor U+FFFE/U+FFFF; lone surrogates (U+D800–U+DFFF) cannot be encoded as UTF-8 at all.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

Value = str | int | float | Decimal | date | datetime | None


def clean_text(value: str) -> str:
    """The text with characters no workbook can store replaced by U+FFFD."""
    return _ILLEGAL.sub(REPLACEMENT, value)


def is_formula_like(value: str) -> bool:
    return value.startswith(FORMULA_START)


def csv_cell(value: Value) -> str:
    """A value for a .csv cell: text cleaned, and defused with a leading apostrophe when it looks like a formula."""
    if value is None:
        return ""
    text = clean_text(value if isinstance(value, str) else str(value))
    return "'" + text if is_formula_like(text) else text


def xlsx_cell(ws: WriteOnlyWorksheet, value: Value) -> WriteOnlyCell:
    """A write-only cell: numbers stay numbers; every text is a cleaned string cell, never a formula."""
    if isinstance(value, str):
        cell = WriteOnlyCell(ws, value=clean_text(value))
        cell.data_type = "s"
        return cell
    return WriteOnlyCell(ws, value=value)


def append_row(ws: WriteOnlyWorksheet, values: Iterable[Value]) -> None:
    ws.append([xlsx_cell(ws, v) for v in values])


def add_sheet(wb: Workbook, title: str, rows: Iterable[Sequence[Value]], widths: Sequence[int] = ()) -> None:
    """A sheet of a write-only workbook (Workbook(write_only=True)) filled through the guard."""
    ws = wb.create_sheet(clean_text(title)[:31])
    for i, width in enumerate(widths):
        ws.column_dimensions[chr(ord("A") + i)].width = width
    for values in rows:
        append_row(ws, values)


def xlsx_bytes(sheets: Iterable[tuple[str, Iterable[Sequence[Value]], Sequence[int]]]) -> bytes:
    """A workbook of (title, rows, column widths) sheets."""
    wb = Workbook(write_only=True)
    for title, rows, widths in sheets:
        add_sheet(wb, title, rows, widths)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_bytes(rows: Iterable[Sequence[Value]]) -> bytes:
    """UTF-8 CSV with a BOM (so Excel reads it as UTF-8), every cell through the guard."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    for values in rows:
        w.writerow([csv_cell(v) for v in values])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")

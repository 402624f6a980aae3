"""core.xlsx_reader gives the same rows as openpyxl's read-only mode (the roster and house imports rely on it)."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, time

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from anju.core.xlsx_reader import UnsupportedWorkbook, read_first_sheet

# Pure computation (no database): runs once, in the SQLite pass (scripts/test.sh).
pytestmark = pytest.mark.db_agnostic


def _openpyxl_rows(data: bytes, max_cols: int) -> list[tuple[int, tuple[object, ...]]]:
    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        rows = list(enumerate(wb.worksheets[0].iter_rows(max_col=max_cols, values_only=True), start=1))
    finally:
        wb.close()
    return [(n, v) for n, v in rows if any(x is not None for x in v)]


def _fast_rows(data: bytes, max_cols: int) -> list[tuple[int, tuple[object, ...]]]:
    return [(n, v) for n, v in read_first_sheet(data, max_cols=max_cols) if any(x is not None for x in v)]


def _save(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize("epoch_1904", [False, True])
def test_xlsx_reader_matches_openpyxl_values_types_dates_gaps_and_rich_text(epoch_1904: bool) -> None:
    wb = Workbook()
    if epoch_1904:
        wb.epoch = datetime(1904, 1, 1)
    ws = wb.active
    ws.append(["姓名", "手机", "出生日期", "面积", "是否", "时间", "公式"])
    ws.append(["张三", "13700001234", date(1980, 5, 17), 89.5, True, time(8, 30), "=1+1"])
    ws.append(["李四", 13700005678, datetime(2001, 2, 3, 4, 5, 6), 120, False, None, None])
    ws.append([None, None, None, None, None, None, None])
    ws.cell(row=9, column=2, value="  空格保留  ")
    ws.cell(row=9, column=12, value="outside the columns read")
    ws.cell(row=10, column=1, value=CellRichText(["王", TextBlock(InlineFont(b=True), "五")]))
    ws.cell(row=11, column=3, value=-1.5e-3)
    ws.cell(row=11, column=4, value="#N/A")
    ws.cell(row=12, column=1, value="1-2-0301")
    data = _save(wb)
    assert _fast_rows(data, 8) == _openpyxl_rows(data, 8)
    rows = dict(_fast_rows(data, 8))
    assert rows[2][2] == datetime(1980, 5, 17) and rows[3][1] == 13700005678 and rows[10][0] == "王五"
    assert len(rows[9]) == 8 and rows[9][1] == "  空格保留  "


def test_xlsx_reader_reads_write_only_inline_strings_and_shared_strings() -> None:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("住户名册")
    ws.append(["姓名", "房屋"])
    for i in range(50):
        ws.append([f"住户{i}", f"1-1-{i:04d}"])
    data = _save(wb)
    assert _fast_rows(data, 4) == _openpyxl_rows(data, 4) and len(_fast_rows(data, 4)) == 51


def test_xlsx_reader_refuses_what_it_does_not_understand() -> None:
    with pytest.raises(UnsupportedWorkbook):
        list(read_first_sheet(b"PK\x03\x04 not really a zip", max_cols=4))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "no workbook here")
    with pytest.raises(UnsupportedWorkbook):
        list(read_first_sheet(buf.getvalue(), max_cols=4))

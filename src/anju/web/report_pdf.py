"""The security report as a printable A4 PDF (reportlab), with the same rows as the Excel/CSV export and bar charts.

Chinese text uses reportlab's built-in CID font STSong-Light (Adobe's Asian font pack names it; no font file is
shipped or downloaded: PDF readers supply the glyphs), so the PDF stays small and its text stays extractable.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONT = "STSong-Light"


@lru_cache
def _font() -> str:
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _styles() -> dict[str, ParagraphStyle]:
    f = _font()
    return {
        "title": ParagraphStyle("title", fontName=f, fontSize=16, leading=22, spaceAfter=4),
        "meta": ParagraphStyle("meta", fontName=f, fontSize=9, leading=12, textColor=colors.HexColor("#555555")),
        "h2": ParagraphStyle("h2", fontName=f, fontSize=12, leading=16, spaceBefore=8, spaceAfter=4),
        "cell": ParagraphStyle("cell", fontName=f, fontSize=8, leading=10),
    }


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def _table(rows: list[Sequence[Any]], style: ParagraphStyle, widths: list[float] | None, header: bool) -> Table:
    cells = [[Paragraph(escape(_text(v)), style) for v in r] for r in rows]
    n = max(len(r) for r in cells)
    for r in cells:
        r.extend([Paragraph("", style)] * (n - len(r)))
    table = Table(cells, colWidths=widths[:n] if widths else None, repeatRows=1 if header else 0)
    commands: list[tuple[Any, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#BBBBBB")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E8EEF5")))
    table.setStyle(TableStyle(commands))
    return table


def bar_chart(
    title: str, pairs: Sequence[tuple[str, int]], width: float = 170 * mm, height: float = 50 * mm
) -> Drawing:
    """A bar chart of (label, count) pairs with its title (CJK labels in the CID font)."""
    d = Drawing(width, height)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 12 * mm, 8 * mm, width - 18 * mm, height - 16 * mm
    chart.data = [[n for _, n in pairs] or [0]]
    chart.categoryAxis.categoryNames = [label for label, _ in pairs] or [""]
    chart.categoryAxis.labels.fontName = _font()
    chart.categoryAxis.labels.fontSize = 6
    chart.valueAxis.labels.fontSize = 6
    chart.valueAxis.valueMin = 0
    chart.bars[0].fillColor = colors.HexColor("#3B7DD8")
    d.add(chart)
    d.add(String(0, height - 6, title, fontName=_font(), fontSize=9))
    return d


def report_pdf(
    *,
    title: str,
    meta: Iterable[str],
    kpi_header: Sequence[str],
    kpi_rows: Iterable[Sequence[Any]],
    sections: Iterable[tuple[str, list[Sequence[Any]]]],
    charts: Iterable[tuple[str, Sequence[tuple[str, int]]]],
    footer: str,
) -> bytes:
    """An A4 PDF: title and period lines, the KPI table (value, comparisons, formula, target), bar charts, then one
    table per section. Values arrive as people read them (labels, China time); nothing here translates."""
    st = _styles()
    story: list[Flowable] = [Paragraph(escape(title), st["title"])]
    story += [Paragraph(escape(line), st["meta"]) for line in meta]
    story.append(Spacer(1, 4 * mm))
    widths = [30 * mm, 16 * mm, 16 * mm, 14 * mm, 16 * mm, 14 * mm, 54 * mm, 22 * mm]
    story.append(_table([list(kpi_header), *[list(r) for r in kpi_rows]], st["cell"], widths, header=True))
    for chart_title, pairs in charts:
        story.append(Spacer(1, 3 * mm))
        story.append(bar_chart(chart_title, pairs))
    for heading, rows in sections:
        story.append(Paragraph(escape(heading), st["h2"]))
        if rows:
            story.append(_table(rows, st["cell"], [60 * mm, 70 * mm, 50 * mm], header=False))

    def on_page(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(_font(), 7)
        canvas.drawString(15 * mm, 10 * mm, f"{footer} · {doc.page}")
        canvas.restoreState()

    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=14 * mm,
        bottomMargin=16 * mm,
        title=title,
        creator="Anju",
    )
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return out.getvalue()

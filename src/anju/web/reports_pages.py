"""Security report pages: the console list and report with its rectification plan; printable page and exports.

The console pages (/console/reports…) are for property staff. The printable page and the Excel/CSV exports
(/screen/reports/…) also open for the street office and the committee, who read aggregates only.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from anju.accounts.service import staff_of
from anju.analytics.coverage import KEY_POSITION_KINDS, key_position_service
from anju.analytics.models import SecurityReport
from anju.analytics.permissions import AnalyticsPerm
from anju.analytics.picture import K
from anju.analytics.reports import FORMULAS, KINDS, last_closed_period, report_service
from anju.analytics.staff import SECURITY_ROLES, RecordIn, staff_service
from anju.analytics.street import StreetReport, street_report
from anju.core.auth import Principal
from anju.core.deps import ReadSession, ReportSession, WriteSession
from anju.core.errors import AppError, Invalid, NotFound
from anju.core.kit.china_time import china_date, china_datetime, to_china
from anju.core.sheets import Value, csv_bytes, xlsx_bytes
from anju.devices.service import device_facts
from anju.registry.service import compounds_by_id
from anju.web.deps import ConsolePage, console_guard, page_guard
from anju.web.forms import go_back, outcome, refused
from anju.web.i18n import Translator, lang_of
from anju.web.render import render
from anju.web.report_pdf import report_pdf

router = APIRouter(include_in_schema=False)
ReportPage = Annotated[ConsolePage, Depends(console_guard(AnalyticsPerm.read))]
ReportViewer = Annotated[Principal, Depends(page_guard(AnalyticsPerm.read))]
PERCENT_KPIS = frozenset(
    {
        "false_alarm_rate",
        "checkpoint_rate",
        "device_good_rate",
        "device_online_rate",
        "camera_coverage",
        "complaint_closure",
        "training_coverage",
        "exam_pass_rate",
        "turnover_rate",
        "shift_attendance",
        "satisfaction",
        "maintenance_completion",
    }
)
TECH_COUNTS = (
    "devices",
    "devices_good",
    "device_hours",
    "device_hours_online",
    "key_positions",
    "key_positions_covered",
    "closed_alarms",
    "false_alarms",
    "maintenance_done",
    "maintenance_missed",
)
MINUTE_KPIS = frozenset({"mtta_minutes", "mttr_minutes"})
EXPORT_FORMATS = ("xlsx", "csv", "pdf")
STAFF_COUNTS = (
    "on_roll_start",
    "on_roll_end",
    "joined",
    "left",
    "trainings",
    "trained",
    "exams",
    "exam_sittings",
    "exam_passed",
    "shifts_marked",
    "shifts_attended",
)


def _change(v: Any, p: Any) -> float | None:
    return round(v - p, 1) if isinstance(v, int | float) and isinstance(p, int | float) else None


def kpi_rows(report: SecurityReport | dict[str, Any]) -> list[dict[str, Any]]:
    """Each KPI with this period's, the previous period's and last year's value and the changes (None when either
    is missing). Takes a stored report or a report's data (a street office's pooled report is not stored)."""
    data = report.data if isinstance(report, SecurityReport) else report
    now = data.get("kpis", {})
    prev = (data.get("previous") or {}).get("kpis", {})
    year = (data.get("last_year") or {}).get("kpis", {})
    goals = data.get("targets") or {}
    missed = {o["kpi"] for o in data.get("rectification_orders") or []}
    rows = []
    for key in FORMULAS:
        v, p, y = now.get(key), prev.get(key), year.get(key)
        change = _change(v, p)
        unit = "%" if key in PERCENT_KPIS else "min" if key in MINUTE_KPIS else ""
        side, target = goals.get(key) or (None, None)
        rows.append(
            {
                "key": key,
                "value": v,
                "previous": p,
                "change": change,
                "last_year": y,
                "change_year": _change(v, y),
                "unit": unit,
                "formula": FORMULAS[key],
                "side": side,
                "target": target,
                "missed": key in missed,
            }
        )
    return rows


@router.get("/console/reports")
def reports_page(request: Request, ctx: ReportPage, session: ReadSession, kind: str | None = None) -> Response:
    """The stored security reports of the selected compound, and a form to make a past period's report."""
    if ctx.compound is None:
        return render(request, "console/empty.html", ctx.context("nav.reports"))
    chosen = kind if kind in KINDS else None
    reports = report_service.search(session, who=ctx.who, compound_id=ctx.compound.id, kind=chosen)
    return render(
        request,
        "reports/list.html",
        ctx.context(
            "nav.reports",
            reports=reports,
            kinds=KINDS,
            kind=chosen,
            can_write=ctx.who.can(AnalyticsPerm.report_write),
            today=china_date(),
            **outcome(request),
        ),
    )


@router.post("/console/reports")
def reports_request(
    request: Request,
    ctx: ReportPage,
    session: WriteSession,
    kind: Annotated[str, Form(max_length=16)] = "",
    day: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    """Make (or open, when it exists) the report of a closed period."""
    t = Translator(lang_of(request))
    if ctx.compound is None:
        return go_back(request, "/console/reports")
    try:
        if kind not in KINDS:
            raise Invalid("bad kind", zh=t("report.err.kind"))
        try:
            on = date.fromisoformat(day.strip())
        except ValueError as exc:
            raise Invalid("bad day", zh=t("report.err.day")) from exc
        row = report_service.request(
            session, who=ctx.who, compound_id=ctx.compound.id, kind=kind, day=on, today=china_date()
        )
    except AppError as exc:
        return refused(request, session, "/console/reports", exc)
    return go_back(request, f"/console/reports/{row.id}")


@router.get("/console/reports/{report_id}")
def report_page(report_id: int, request: Request, ctx: ReportPage, session: ReadSession) -> Response:
    """One report: key figures with formulas and comparison, the sections, and the rectification plan."""
    report = report_service.get(session, who=ctx.who, report_id=report_id)
    name = next((c.name for c in ctx.compounds if c.id == report.compound_id), "")
    return render(
        request,
        "reports/report.html",
        ctx.context(
            "nav.reports",
            report=report,
            d=report.data,
            kpis=kpi_rows(report),
            compound_name=name,
            can_write=ctx.who.can(AnalyticsPerm.report_write),
            **outcome(request),
        ),
    )


@router.post("/console/reports/{report_id}/rectification")
def report_rectification(
    report_id: int,
    request: Request,
    ctx: ReportPage,
    session: WriteSession,
    text: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """Save the rectification plan (整改计划)."""
    t = Translator(lang_of(request))
    back = f"/console/reports/{report_id}"
    try:
        if not text.strip():
            raise Invalid("empty plan", zh=t("report.rectification_hint"))
        report_service.set_rectification(session, who=ctx.who, report_id=report_id, text=text.strip())
    except AppError as exc:
        return refused(request, session, back, exc)
    return go_back(request, back, ok=t("report.saved"))


@router.get("/screen/reports/{report_id}/print")
def report_print(report_id: int, request: Request, who: ReportViewer, session: ReportSession) -> Response:
    """The printable report (A4, charts drawn on the server, no script needed)."""
    report = report_service.get(session, who=who, report_id=report_id)
    name = next((c.name for c in compounds_by_id(session, compound_ids=[report.compound_id])), "")
    return render(
        request,
        "reports/print.html",
        {"who": who, "report": report, "d": report.data, "kpis": kpi_rows(report), "compound_name": name},
    )


@dataclass(frozen=True)
class ReportView:
    """What the exports need of a report: a stored compound report, or a street office's pooled one (not stored)."""

    name: str  # the compound's or the street office's name
    kind: str
    start: date
    end: date  # the first day after the period
    generated_at: datetime
    data: dict[str, Any]
    rectification: str | None
    file_stem: str

    @property
    def last_day(self) -> str:
        return date.fromordinal(self.end.toordinal() - 1).isoformat()


def view_of(report: SecurityReport, name: str) -> ReportView:
    return ReportView(
        name=name,
        kind=report.period_kind,
        start=report.period_start,
        end=report.period_end,
        generated_at=report.generated_at,
        data=report.data,
        rectification=report.rectification,
        file_stem=f"security-report-{report.compound_id}-{report.period_kind}-{report.period_start.isoformat()}",
    )


def kpi_table(view: ReportView, t: Translator) -> tuple[tuple[str, ...], list[tuple[Value, ...]]]:
    """The KPI table's header and rows: value, previous period, change, last year, change, formula, target."""
    header = (
        t("report.kpi"),
        t("report.value"),
        t("report.previous"),
        t("report.change"),
        t("report.last_year"),
        t("report.change_year"),
        t("report.formula"),
        t("report.target"),
    )
    rows: list[tuple[Value, ...]] = []
    for r in kpi_rows(view.data):
        rows.append(
            (
                t(f"report.kpi.{r['key']}") + (f" ({r['unit']})" if r["unit"] else ""),
                r["value"],
                r["previous"],
                r["change"],
                r["last_year"],
                r["change_year"],
                t(r["formula"]),
                t(f"report.target.{r['side']}", n=r["target"]) + (" " + t("report.missed") if r["missed"] else "")
                if r["side"]
                else "",
            )
        )
    return header, rows


def sheet_rows(view: ReportView, t: Translator) -> Iterator[Sequence[Value]]:
    """The report as rows: header, KPIs with formulas, then each section (one table, for Excel and CSV alike)."""
    yield (t("report.title"), view.name)
    yield (t("report.period"), t("report.period_range", start=view.start.isoformat(), end=view.last_day))
    yield (t("report.kind"), t(f"report.kind.{view.kind}"))
    yield ()
    header, rows = kpi_table(view, t)
    yield header
    yield from rows
    yield ()
    yield from detail_rows(view, t)


def detail_rows(view: ReportView, t: Translator) -> Iterator[Sequence[Value]]:
    """The sections after the KPI table, each opened by a row naming it; an empty row between groups."""
    d = view.data
    yield (t("report.rectification_orders"),)
    for o in d.get("rectification_orders") or []:
        yield ("", t(f"report.kpi.{o['kpi']}"), f"#{o['order_id']}")
    yield (t("report.previous_rectifications"),)
    for o in d.get("previous_rectifications") or []:
        yield (
            "",
            t(f"report.kpi.{o['kpi']}"),
            f"#{o['order_id']}",
            t("report.closed" if o["closed"] else "report.open_order"),
        )
    yield ()
    ev = d["events"]
    yield (t("report.events"), t("report.by_kind"))
    for kind, n in ev["by_kind"].items():
        yield ("", t.maybe(f"alarms.kind.{kind}", kind), n)
    yield (t("report.events"), t("report.by_outcome"))
    for k, n in ev["by_outcome"].items():
        yield ("", t(f"report.outcome.{k}"), n)
    yield (t("report.events"), t("report.by_place"))
    for p in ev["by_place"]:
        yield ("", p["place"] or t("report.place_unknown"), p["n"])
    yield (t("report.events"), t("report.by_weekday"))
    for i, n in enumerate(ev["by_weekday"]):
        yield ("", t(f"screen.weekday.{i}"), n)
    yield (t("report.events"), t("report.by_hour"))
    for h, n in enumerate(ev["by_hour"]):
        yield ("", f"{h:02d}:00", n)
    yield ()
    yield (t("report.patrol"),)
    for k in ("done", "missed", "expected", "checked"):
        yield ("", t(f"report.patrol.{k}"), d["patrol"].get(k, 0))
    yield (t("report.technical"),)
    tech = d["technical"]
    for k in TECH_COUNTS:
        if k in tech:
            yield ("", t(f"report.tech.{k}"), tech[k])
    for k, n in (tech.get("uncovered_by_kind") or {}).items():
        yield ("", t("report.tech.uncovered_by_kind"), t.maybe(f"keypos.kind.{k}", k), n)
    if tech.get("false_by_source"):
        yield (
            t("report.tech.false_by_source"),
            t("report.source"),
            t("report.source.closed"),
            t("report.source.false"),
            t("report.source.rate"),
        )
        for r in tech["false_by_source"]:
            yield ("", source_label(r, t), r["closed"], r["false"], r["rate"])
    yield (t("report.access"),)
    for k in ("entries", "denied", "remote_opens", "visitors"):
        yield ("", t(f"report.access.{k}"), d["access"][k])
    for m, n in d["access"]["by_method"].items():
        yield ("", t.maybe(f"report.method.{m}", m), n)
    yield (t("report.orders"),)
    for k in ("total", "complaints", "complaints_closed", "rated", "satisfied"):
        if k in d["orders"]:
            yield ("", t(f"report.orders.{k}"), d["orders"][k])
    yield (t("report.staff"),)
    for role, n in d["staff"]["by_role"].items():
        yield ("", t.maybe(f"report.role.{role}", role), n)
    for k in STAFF_COUNTS:
        if k in d["staff"]:
            yield ("", t(f"report.staff.{k}"), d["staff"][k])
    yield ()
    yield (t("report.rectification"), view.rectification or t("report.rectification_empty"))


def source_label(r: dict[str, Any], t: Translator) -> str:
    """An alarm source as people read it: "设备 3号楼烟感", "摄像机 东门 · 区域入侵", or the kind of source."""
    label = t(f"report.source.{r['source']}")
    if r.get("name"):
        label += f" {r['name']}"
        if r.get("detector"):
            label += " · " + t.maybe(f"alarms.kind.{r['detector']}", r["detector"])
    return label


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export(view: ReportView, t: Translator, fmt: str) -> Response:
    """The report as an Excel workbook, CSV (UTF-8 with BOM) or an A4 PDF, as a download."""
    if fmt == "xlsx":
        body, media = xlsx_bytes([(t("report.title"), sheet_rows(view, t), (28, 22, 14, 12, 14, 12, 60))]), XLSX_TYPE
    elif fmt == "csv":
        body, media = csv_bytes(sheet_rows(view, t)), "text/csv; charset=utf-8"
    else:
        body, media = pdf_of(view, t), "application/pdf"
    return Response(
        body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{view.file_stem}.{fmt}"'}
    )


def pdf_of(view: ReportView, t: Translator) -> bytes:
    """The printable PDF: the same rows as the spreadsheet, values as people read them, and two bar charts."""
    header, rows = kpi_table(view, t)

    def shown(v: Value) -> Value:
        return t("screen.no_data") if v is None else v

    sections: list[tuple[str, list[Sequence[Value]]]] = []
    for line in detail_rows(view, t):
        if not line:
            continue
        if line[0]:  # a row opening a section: its name (and sub-name), then its lines
            sections.append((" · ".join(str(x) for x in line[:2] if x != ""), []))
        elif sections:
            sections[-1][1].append(line[1:])
    ev = view.data["events"]
    return report_pdf(
        title=t("report.print_title", compound=view.name, kind=t(f"report.kind.{view.kind}")),
        meta=[
            t("report.print_period", range=t("report.period_range", start=view.start.isoformat(), end=view.last_day)),
            f"{t('report.generated')} {to_china(view.generated_at).strftime('%Y-%m-%d %H:%M')}",
            *([t("report.empty")] if view.data.get("empty") else []),
        ],
        kpi_header=header,
        kpi_rows=[(r[0], *(shown(v) for v in r[1:6]), *r[6:]) for r in rows],
        sections=sections,
        charts=[
            (t("report.by_hour"), [(f"{h:02d}", n) for h, n in enumerate(ev["by_hour"])]),
            (t("report.by_weekday"), [(t(f"screen.weekday.{i}"), n) for i, n in enumerate(ev["by_weekday"])]),
        ],
        footer=t("screen.aggregates_only"),
    )


@router.get("/screen/reports/{report_id}.{fmt}")
def report_export(report_id: int, fmt: str, request: Request, who: ReportViewer, session: ReportSession) -> Response:
    """The report as Excel (.xlsx), CSV (.csv) or PDF (.pdf)."""
    if fmt not in EXPORT_FORMATS:
        raise NotFound(f"no {fmt!r} export", zh="不支持该导出格式")
    report = report_service.get(session, who=who, report_id=report_id)
    name = next((c.name for c in compounds_by_id(session, compound_ids=[report.compound_id])), "")
    return export(view_of(report, name), Translator(lang_of(request)), fmt)


# The security staff record (培训考核与考勤): staff names appear here, so only property staff open it (the street
# office and the committee see the report's counts and rates only).
StaffPage = Annotated[ConsolePage, Depends(console_guard(AnalyticsPerm.report_write))]


@router.get("/console/staff-training")
def staff_training_page(request: Request, ctx: StaffPage, session: ReadSession) -> Response:
    """Training sessions and exams of the selected compound, with attendance counts, and a form to add one."""
    if ctx.compound is None:
        return render(request, "console/empty.html", ctx.context("nav.reports"))
    sessions = staff_service.trainings(session, who=ctx.who, compound_id=ctx.compound.id)
    tallies = {s.id: staff_service.records(session, s.id) for s in sessions}
    rows = [
        {
            "s": s,
            "attended": sum(1 for r in tallies[s.id].values() if r.attended),
            "passed": sum(
                1
                for r in tallies[s.id].values()
                if r.attended and r.score is not None and r.score >= (s.pass_score or 0)
            ),
        }
        for s in sessions
    ]
    return render(
        request,
        "reports/staff.html",
        ctx.context(
            "nav.reports",
            rows=rows,
            roster=len(staff_service.roster(session, who=ctx.who, compound_id=ctx.compound.id)),
            can_write=ctx.who.can(AnalyticsPerm.staff_write),
            today=china_date(),
            **outcome(request),
        ),
    )


@router.post("/console/staff-training")
def staff_training_add(
    request: Request,
    ctx: StaffPage,
    session: WriteSession,
    kind: Annotated[str, Form(max_length=16)] = "",
    title: Annotated[str, Form(max_length=128)] = "",
    held_on: Annotated[str, Form(max_length=16)] = "",
    hours: Annotated[str, Form(max_length=8)] = "",
    pass_score: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Add a training session or an exam, then open it to tick who attended."""
    t = Translator(lang_of(request))
    back = "/console/staff-training"
    if ctx.compound is None:
        return go_back(request, back)
    try:
        if not title.strip():
            raise Invalid("no title", zh=t("staff.err.title"))
        try:
            on = date.fromisoformat(held_on.strip())
        except ValueError as exc:
            raise Invalid("bad day", zh=t("report.err.day")) from exc
        row = staff_service.add_training(
            session,
            who=ctx.who,
            compound_id=ctx.compound.id,
            kind=kind,
            title=title,
            held_on=on,
            today=china_date(),
            hours=_number(hours, t("staff.err.hours"), 0.1, 24),
            pass_score=int(_number(pass_score, t("staff.err.pass_score"), 0, 100) or 0) if pass_score.strip() else None,
        )
    except AppError as exc:
        return refused(request, session, back, exc)
    return go_back(request, f"/console/staff-training/{row.id}")


def _number(text: str, reason: str, low: float, high: float) -> float | None:
    """A typed number inside [low, high], or None when left empty (a 4xx with `reason` when it is not one)."""
    if not text.strip():
        return None
    try:
        value = float(text.strip())
    except ValueError as exc:
        raise Invalid(f"not a number: {text!r}", zh=reason) from exc
    if not low <= value <= high:
        raise Invalid(f"out of range: {value}", zh=reason)
    return value


@router.get("/console/staff-training/{training_id}")
def staff_training_detail(training_id: int, request: Request, ctx: StaffPage, session: ReadSession) -> Response:
    """One session: every staff member of the compound (and former ones with a record), attended and score."""
    training = staff_service.get(session, who=ctx.who, training_id=training_id)
    records = staff_service.records(session, training.id)
    people = [
        u
        for u in staff_of(session, training.compound_id, SECURITY_ROLES, include_former=True)
        if u.active or u.id in records
    ]
    return render(
        request,
        "reports/staff_session.html",
        ctx.context(
            "nav.reports",
            training=training,
            people=[{"user": u, "record": records.get(u.id)} for u in people],
            can_write=ctx.who.can(AnalyticsPerm.staff_write),
            **outcome(request),
        ),
    )


@router.post("/console/staff-training/{training_id}")
async def staff_training_save(training_id: int, request: Request, ctx: StaffPage, session: WriteSession) -> Response:
    """Save attendance (attended_<id> ticked) and exam scores (score_<id>) for everyone listed on the form."""
    t = Translator(lang_of(request))
    back = f"/console/staff-training/{training_id}"
    form = await request.form()
    try:
        listed = [int(str(v)) for v in form.getlist("person") if str(v).isdigit()]
        lines = []
        for uid in listed:
            score_text = str(form.get(f"score_{uid}") or "")
            score = _number(score_text, t("staff.err.score"), 0, 100)
            lines.append(RecordIn(uid, form.get(f"attended_{uid}") == "1", int(score) if score is not None else None))
        if lines:
            staff_service.set_records(session, who=ctx.who, training_id=training_id, records=lines)
    except AppError as exc:
        return refused(request, session, back, exc)
    return go_back(request, back, ok=t("staff.saved"))


# Shifts and attendance (排班与考勤) of the security staff: names appear, so the same staff-only guard.
SHIFT_WEEK = 7


def _clock(text: str, reason: str) -> time:
    try:
        return time.fromisoformat(text.strip())
    except ValueError as exc:
        raise Invalid(f"not a time: {text!r}", zh=reason) from exc


@router.get("/console/staff-shifts")
def staff_shifts_page(request: Request, ctx: StaffPage, session: ReadSession, day: str | None = None) -> Response:
    """The week's shifts (Monday to Sunday, China time) of the selected compound with attendance, and forms to plan
    a shift and mark it worked or absent."""
    if ctx.compound is None:
        return render(request, "console/empty.html", ctx.context("nav.reports"))
    today = china_date()
    try:
        shown = date.fromisoformat(day) if day else today
    except ValueError as exc:
        raise Invalid("bad day", zh=Translator(lang_of(request))("report.err.day")) from exc
    monday = shown - timedelta(days=shown.weekday())
    shifts = staff_service.shifts(
        session,
        who=ctx.who,
        compound_id=ctx.compound.id,
        since=china_datetime(monday),
        until=china_datetime(monday + timedelta(days=SHIFT_WEEK)),
    )
    people = {u.id: u for u in staff_of(session, ctx.compound.id, SECURITY_ROLES, include_former=True)}
    rows = [
        {
            "s": s,
            "person": people.get(s.user_id),
            "day": to_china(s.starts_at).date(),
            "start": to_china(s.starts_at).strftime("%H:%M"),
            "end": to_china(s.ends_at).strftime("%H:%M"),
            "next_day": to_china(s.ends_at).date() > to_china(s.starts_at).date(),
        }
        for s in shifts
    ]
    marked = sum(1 for s in shifts if s.status in ("attended", "absent"))
    attended = sum(1 for s in shifts if s.status == "attended")
    return render(
        request,
        "reports/shifts.html",
        ctx.context(
            "nav.reports",
            rows=rows,
            monday=monday,
            sunday=monday + timedelta(days=SHIFT_WEEK - 1),
            prev_week=(monday - timedelta(days=SHIFT_WEEK)).isoformat(),
            next_week=(monday + timedelta(days=SHIFT_WEEK)).isoformat(),
            marked=marked,
            attended=attended,
            rate=round(100.0 * attended / marked, 1) if marked else None,
            roster=[u for u in people.values() if u.active],
            can_write=ctx.who.can(AnalyticsPerm.staff_write),
            today=today,
            **outcome(request),
        ),
    )


@router.post("/console/staff-shifts")
def staff_shift_add(
    request: Request,
    ctx: StaffPage,
    session: WriteSession,
    user_id: Annotated[str, Form(max_length=12)] = "",
    day: Annotated[str, Form(max_length=16)] = "",
    start: Annotated[str, Form(max_length=8)] = "",
    end: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Plan a shift; an end at or before the start is on the next day (a night shift 20:00–08:00)."""
    t = Translator(lang_of(request))
    back = f"/console/staff-shifts?day={day}" if day else "/console/staff-shifts"
    if ctx.compound is None:
        return go_back(request, back)
    try:
        if not user_id.strip().isdigit():
            raise Invalid("no person", zh=t("shift.err.person"))
        try:
            on = date.fromisoformat(day.strip())
        except ValueError as exc:
            raise Invalid("bad day", zh=t("report.err.day")) from exc
        a, b = _clock(start, t("shift.err.time")), _clock(end, t("shift.err.time"))
        starts = china_datetime(on, a)
        ends = china_datetime(on + timedelta(days=1) if b <= a else on, b)
        staff_service.add_shift(
            session, who=ctx.who, compound_id=ctx.compound.id, user_id=int(user_id), starts_at=starts, ends_at=ends
        )
    except AppError as exc:
        return refused(request, session, back, exc)
    return go_back(request, back, ok=t("shift.added"))


@router.post("/console/staff-shifts/{shift_id}")
def staff_shift_mark(
    shift_id: int,
    request: Request,
    ctx: StaffPage,
    session: WriteSession,
    status: Annotated[str, Form(max_length=12)] = "",
    day: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    """Mark a shift worked or absent (or back to planned)."""
    t = Translator(lang_of(request))
    back = f"/console/staff-shifts?day={day}" if day else "/console/staff-shifts"
    try:
        staff_service.mark_shift(session, who=ctx.who, shift_id=shift_id, status=status)
    except AppError as exc:
        return refused(request, session, back, exc)
    return go_back(request, back, ok=t("shift.marked"))


# Key positions (重点部位) and the cameras that watch them: the report's camera coverage counts these. Edited by
# the same property staff as the staff record (StaffPage).


@router.get("/console/key-positions")
def key_positions_page(request: Request, ctx: StaffPage, session: ReadSession) -> Response:
    """The compound's key positions, the cameras assigned to each (online or not), coverage, and forms."""
    if ctx.compound is None:
        return render(request, "console/empty.html", ctx.context("nav.reports"))
    states = key_position_service.positions(session, who=ctx.who, compound_id=ctx.compound.id)
    cameras = [d for d in device_facts(session, compound_ids=[ctx.compound.id]) if d.device_type == "camera"]
    covered = sum(1 for p in states if p.covered)
    return render(
        request,
        "reports/key_positions.html",
        ctx.context(
            "nav.reports",
            positions=states,
            cameras=cameras,
            camera_names={c.id: c.name for c in cameras},
            kinds=KEY_POSITION_KINDS,
            covered=covered,
            rate=round(100.0 * covered / len(states), 1) if states else None,
            **outcome(request),
        ),
    )


@router.post("/console/key-positions")
async def key_position_add(request: Request, ctx: StaffPage, session: WriteSession) -> Response:
    """Add a key position with the cameras ticked (camera_<device id>)."""
    back = "/console/key-positions"
    if ctx.compound is None:
        return go_back(request, back)
    form = await request.form()
    t = Translator(lang_of(request))
    try:
        name = str(form.get("name") or "").strip()[:64]
        if not name:
            raise Invalid("no name", zh=t("keypos.err.name"))
        key_position_service.create(
            session,
            who=ctx.who,
            compound_id=ctx.compound.id,
            kind=str(form.get("kind") or ""),
            name=name,
            camera_device_ids=[int(str(v)) for v in form.getlist("camera") if str(v).isdigit()],
        )
    except AppError as exc:
        return refused(request, session, back, exc)
    return go_back(request, back, ok=t("keypos.saved"))


@router.post("/console/key-positions/{position_id}")
async def key_position_assign(position_id: int, request: Request, ctx: StaffPage, session: WriteSession) -> Response:
    """Replace the cameras of a key position (or remove it when `remove` is sent)."""
    back = "/console/key-positions"
    form = await request.form()
    t = Translator(lang_of(request))
    try:
        if form.get("remove") == "1":
            key_position_service.remove(session, who=ctx.who, position_id=position_id)
        else:
            key_position_service.assign(
                session,
                who=ctx.who,
                position_id=position_id,
                camera_device_ids=[int(str(v)) for v in form.getlist("camera") if str(v).isdigit()],
            )
    except AppError as exc:
        return refused(request, session, back, exc)
    return go_back(request, back, ok=t("keypos.saved"))


# The street office's security report (街道安全管理工作总结): every compound the caller oversees, pooled.
def _street(request: Request, who: Principal, session: Session, kind: str, day: str) -> tuple[StreetReport, str]:
    t = Translator(lang_of(request))
    if kind not in KINDS:
        raise Invalid(
            f"unknown period kind {kind!r}",
            zh=t("report.err.kind"),
            fields=[
                {"field": "kind", "message": {"zh": "week、month、quarter、year", "en": "week, month, quarter, year"}}
            ],
        )
    today = china_date()
    if day:
        try:
            on = date.fromisoformat(day)
        except ValueError as exc:
            raise Invalid(
                "bad day",
                zh=t("report.err.day"),
                fields=[{"field": "day", "message": {"zh": "年-月-日", "en": "YYYY-MM-DD"}}],
            ) from exc
    else:
        on = last_closed_period(kind, today)[0]
    rep = street_report(session, who=who, kind=kind, day=on, today=today)
    return rep, t("street.name", n=len(rep.compounds))


@router.get("/screen/street-report")
def street_report_page(
    request: Request,
    who: ReportViewer,
    session: WriteSession,
    kind: Annotated[str, Query(max_length=8)] = "month",
    day: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    """The pooled report with the compound comparison (a missing compound report is made first, as the job would)."""
    rep, name = _street(request, who, session, kind, day)
    return render(
        request,
        "reports/street.html",
        {
            "who": who,
            "rep": rep,
            "d": rep.data,
            "kpis": kpi_rows(rep.data),
            "name": name,
            "kinds": KINDS,
            "last_day": date.fromordinal(rep.end.toordinal() - 1).isoformat(),
            "k": K,
        },
    )


@router.get("/screen/street-report.{fmt}")
def street_report_export(
    fmt: str,
    request: Request,
    who: ReportViewer,
    session: WriteSession,
    kind: Annotated[str, Query(max_length=8)] = "month",
    day: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    """The pooled report as Excel, CSV or PDF."""
    if fmt not in EXPORT_FORMATS:
        raise NotFound(f"no {fmt!r} export", zh="不支持该导出格式")
    rep, name = _street(request, who, session, kind, day)
    view = ReportView(
        name=name,
        kind=rep.kind,
        start=rep.start,
        end=rep.end,
        generated_at=rep.generated_at,
        data=rep.data,
        rectification=None,
        file_stem=f"street-report-{rep.kind}-{rep.start.isoformat()}",
    )
    return export(view, Translator(lang_of(request)), fmt)

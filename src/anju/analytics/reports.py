"""Periodic security reports (安全管理工作总结): fixed figures per compound and period, plus a rectification plan.

A report is computed once, when its period is over (by the `analytics.security_reports` job, or on demand for an
older period), and stored: later changes to alarms or orders do not rewrite a published summary. One report per
compound, kind and first day (a unique key), so two workers or a retried job never make two.

Every KPI has one written formula (FORMULAS); the report prints them. Figures read through the owning domains'
services (alarms, devices, access, patrol, workorders, accounts, registry). Staff data: the platform keeps no
Staff data comes from the security staff record (anju.analytics.staff: trainings, exams, shifts) and the accounts'
audited enable/disable changes (turnover); a KPI with nothing to count is "no data", never a zero that looks like
success. Each figure is compared with the previous period and with the same period a year before.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from anju.access.decision_service import passage_counts
from anju.accounts.service import staff_of
from anju.alarms.service import alarm_facts, alarm_period
from anju.analytics.config import misses, targets
from anju.analytics.coverage import coverage_figures
from anju.analytics.models import SecurityReport
from anju.analytics.permissions import AnalyticsPerm
from anju.analytics.staff import SECURITY_ROLES, staff_figures
from anju.core.auth import Principal
from anju.core.db import utcnow
from anju.core.errors import Conflict, Invalid, NotFound
from anju.core.kit.china_time import china_datetime
from anju.devices.service import device_facts, online_device_hours
from anju.facilities.service import maintenance_tally
from anju.patrol.service import round_tally
from anju.registry.service import compounds_by_id, house_service
from anju.volunteers.education import education_service, event_service
from anju.workorders.enums import OrderKind, OrderSource
from anju.workorders.schemas import OrderCreate
from anju.workorders.service import order_period, order_states, work_order_service

KINDS = ("week", "month", "quarter", "year")
SATISFIED_RATING = 4  # a work-order rating of 4 or 5 stars counts as satisfied
FAULT_KINDS = frozenset({"device_fault", "tamper", "lift_fault", "pump_fault", "light_fault"})
KPI_ZH = {
    "checkpoint_rate": "巡更到位率",
    "device_good_rate": "设备完好率",
    "complaint_closure": "投诉办结率",
    "false_alarm_rate": "误报率",
    "mttr_minutes": "平均处置时长",
    "training_coverage": "培训覆盖率",
    "exam_pass_rate": "考核合格率",
    "turnover_rate": "人员流失率",
    "shift_attendance": "出勤率",
    "satisfaction": "服务满意率",
    "maintenance_completion": "维保计划完成率",
    "device_online_rate": "设备在线率",
    "camera_coverage": "重点部位视频覆盖率",
}
KIND_ZH = {"week": "周", "month": "月", "quarter": "季度", "year": "年度"}

# One written formula per KPI (message keys hold the wording; the report prints them next to the figure).
FORMULAS: dict[str, str] = {
    "alarms": "report.formula.alarms",
    "false_alarm_rate": "report.formula.false_alarm_rate",
    "mtta_minutes": "report.formula.mtta",
    "mttr_minutes": "report.formula.mttr",
    "checkpoint_rate": "report.formula.checkpoint_rate",
    "rounds_missed": "report.formula.rounds_missed",
    "device_good_rate": "report.formula.device_good_rate",
    "device_online_rate": "report.formula.device_online_rate",
    "camera_coverage": "report.formula.camera_coverage",
    "complaint_closure": "report.formula.complaint_closure",
    "denied": "report.formula.denied",
    "visitors": "report.formula.visitors",
    "training_coverage": "report.formula.training_coverage",
    "exam_pass_rate": "report.formula.exam_pass_rate",
    "turnover_rate": "report.formula.turnover_rate",
    "shift_attendance": "report.formula.shift_attendance",
    "satisfaction": "report.formula.satisfaction",
    "maintenance_completion": "report.formula.maintenance_completion",
}


def period_of(kind: str, day: date) -> tuple[date, date]:
    """The [start, end) China dates of the `kind` period containing `day`."""
    if kind == "week":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=7)
    if kind == "month":
        start = day.replace(day=1)
        end = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
        return start, end
    if kind == "quarter":
        m = 3 * ((day.month - 1) // 3) + 1
        start = date(day.year, m, 1)
        end = date(day.year + (m == 10), (m + 2) % 12 + 1, 1)
        return start, end
    if kind == "year":
        return date(day.year, 1, 1), date(day.year + 1, 1, 1)
    raise Invalid(
        f"unknown period kind {kind!r}",
        zh="报告周期只能是周、月、季度或年度",
        fields=[
            {
                "field": "kind",
                "message": {"zh": "取值：week、month、quarter、year", "en": "one of week, month, quarter, year"},
            }
        ],
    )


def previous_period(kind: str, start: date) -> tuple[date, date]:
    return period_of(kind, start - timedelta(days=1))


def same_period_last_year(kind: str, start: date) -> tuple[date, date]:
    """The period a year before: the same ISO week (52 weeks back), month, quarter or the previous year."""
    if kind == "week":
        return period_of(kind, start - timedelta(weeks=52))
    return period_of(kind, start.replace(year=start.year - 1))


def last_closed_period(kind: str, today: date) -> tuple[date, date]:
    """The newest `kind` period that is over on China date `today`."""
    start, _ = period_of(kind, today)
    return previous_period(kind, start)


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _mean_minutes(total_seconds: float, n: int) -> float | None:
    return round(total_seconds / n / 60, 1) if n else None


def _most_first(counts: Counter[str]) -> dict[str, int]:
    """Counts, most first, ties by name (stable whatever order the groups came in)."""
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def source_class(source: str) -> str:
    """The kind of thing that raised an alarm, from its `source` ("device:12", "video:camera:3", "user:7", …)."""
    if source.startswith("video:camera:"):
        return "camera"
    head = source.split(":", 1)[0]
    return {"user": "manual"}.get(head, head if head in SOURCE_CLASSES else "other")


SOURCE_CLASSES = frozenset(
    {"device", "camera", "gateway", "access", "patrol", "parking", "care", "fire_duty", "manual", "other"}
)
TOP_SOURCES = 30


def false_by_source(
    closed_alarms: list[tuple[str, int | None, str, str, int]], device_names: dict[int, str]
) -> list[dict[str, Any]]:
    """False-alarm rate per source: each device, each camera's detector (camera and alarm kind) and each other
    kind of source, with its closed and false counts (rate = closed as false ÷ closed); most false first.
    `closed_alarms` are (source, device id, kind, status, count) groups of closed alarms (alarms.alarm_period)."""
    rows: dict[tuple[str, int | None, str | None], list[int]] = {}
    for source, device_id, kind, status, count in closed_alarms:
        if status not in ("resolved", "false_alarm"):
            continue
        cls = source_class(source)
        if cls == "camera" and device_id is not None:
            key: tuple[str, int | None, str | None] = ("camera", device_id, kind)
        elif device_id is not None and cls in ("device", "camera"):
            key = ("device", device_id, None)
        else:
            key = (cls, None, None)
        n = rows.setdefault(key, [0, 0])
        n[0] += count
        n[1] += count if status == "false_alarm" else 0
    ranked = sorted(rows.items(), key=lambda kv: (-kv[1][1], -kv[1][0], kv[0][0], kv[0][1] or 0, kv[0][2] or ""))
    return [
        {
            "source": cls,
            "device_id": dev,
            "name": device_names.get(dev, f"#{dev}") if dev is not None else None,
            "detector": kind,
            "closed": closed,
            "false": false,
            "rate": _pct(false, closed),
        }
        for (cls, dev, kind), (closed, false) in ranked[:TOP_SOURCES]
    ]


def compute(session: Session, *, compound_id: int, kind: str, start: date, end: date) -> dict[str, Any]:
    """The report's figures for [start, end) China dates (no comparison, no storage)."""
    since, until = china_datetime(start), china_datetime(end)
    ids = [compound_id]
    names = {b.id: b.name for b in house_service.buildings(session, compound_id=compound_id)}

    # Counted in SQL (a compound-year is up to 10^6 alarms and 10^5 orders): groups, not rows.
    alarms = alarm_period(session, compound_id=compound_id, since=since, until=until)
    n_alarms = sum(c[4] for c in alarms.cells)
    by_kind: Counter[str] = Counter()
    by_weekday = [0] * 7
    by_hour = [0] * 24
    by_place: Counter[str] = Counter()
    outcome: Counter[str] = Counter()
    false_by_kind: Counter[str] = Counter()
    for k, status, building_id, how, n in alarms.cells:
        by_kind[k] += n
        by_weekday[how // 24] += n
        by_hour[how % 24] += n
        by_place[names.get(building_id, "") if building_id is not None else ""] += n
        # status at generation: the period is over, late closures count as open
        outcome[status if status in ("resolved", "false_alarm") else "open"] += n
        if status == "false_alarm":
            false_by_kind[k] += n
    closed = outcome["resolved"] + outcome["false_alarm"]

    orders = order_period(session, compound_id=compound_id, since=since, until=until)
    n_orders = sum(g[4] for g in orders)
    n_complaints = sum(n for k, _, _, _, n in orders if k == "complaint")
    complaints_closed = sum(n for k, _, still_open, _, n in orders if k == "complaint" and not still_open)
    order_cats: Counter[str] = Counter()
    for k, category, _, _, n in orders:
        if k != "complaint":
            order_cats[category] += n
    rated = sum(n for _, _, _, r, n in orders if r is not None)
    satisfied = sum(n for _, _, _, r, n in orders if r is not None and r >= SATISFIED_RATING)
    upkeep = maintenance_tally(session, compound_id=compound_id, since=since, until=until)

    rounds = round_tally(session, compound_id=compound_id, since=since, until=until)
    education = education_service.period_figures(session, compound_id=compound_id, since=since, until=until)

    devices = device_facts(session, compound_ids=ids)
    faulty = {a.device_id for a in alarm_facts(session, compound_ids=ids, open_only=True, kinds=FAULT_KINDS)}
    good = sum(1 for d in devices if d.status == "online" and d.id not in faulty)

    hours = online_device_hours(session, compound_ids=ids, since=since, until=until)[compound_id]
    cover = coverage_figures(session, compound_id=compound_id)
    by_source = false_by_source(alarms.closed_by_source, {d.id: d.name for d in devices})

    passages = passage_counts(session, compound_ids=ids, since=since, until=until)
    by_method: Counter[str] = Counter()
    denied = remote = visitors = entries = 0
    for p in passages:
        if p.decision == "allow":
            by_method[p.method] += p.count
            if p.direction == "in":
                entries += p.count
                visitors += p.count if p.visitor else 0
            remote += p.count if p.method == "remote" else 0
        else:
            denied += p.count

    staff = Counter(str(u.role) for u in staff_of(session, compound_id, SECURITY_ROLES))
    people = staff_figures(session, compound_id=compound_id, start=start, end=end)

    kpis = {
        "alarms": n_alarms,
        "false_alarm_rate": _pct(outcome["false_alarm"], closed),
        "mtta_minutes": _mean_minutes(alarms.ack_seconds, alarms.acknowledged),
        "mttr_minutes": _mean_minutes(alarms.close_seconds, alarms.closed),
        "checkpoint_rate": _pct(rounds["checked"], rounds["expected"]),
        "rounds_missed": rounds["missed"],
        "device_good_rate": _pct(good, len(devices)),
        "device_online_rate": hours.rate,
        "camera_coverage": cover["camera_coverage"],
        "complaint_closure": _pct(complaints_closed, n_complaints),
        "denied": denied,
        "visitors": visitors,
        "training_coverage": people["training_coverage"],
        "exam_pass_rate": people["exam_pass_rate"],
        "turnover_rate": people["turnover_rate"],
        "shift_attendance": people["shift_attendance"],
        "satisfaction": _pct(satisfied, rated),
        "maintenance_completion": _pct(upkeep["done"], upkeep["done"] + upkeep["missed"]),
    }
    empty = not n_alarms and not n_orders and not passages and not (rounds["done"] + rounds["missed"])
    return {
        "kind": kind,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "empty": empty,
        "kpis": kpis,
        "events": {
            "total": n_alarms,
            "by_kind": _most_first(by_kind),
            "by_weekday": by_weekday,
            "by_hour": by_hour,
            "by_place": [{"place": p, "n": n} for p, n in _most_first(by_place).items()],
            "by_outcome": {k: outcome[k] for k in ("resolved", "false_alarm", "open")},
            # the means' inputs, so that a street office's report can pool compounds
            "acknowledged": alarms.acknowledged,
            "ack_seconds": alarms.ack_seconds,
            "closed": alarms.closed,
            "close_seconds": alarms.close_seconds,
        },
        "orders": {
            "total": n_orders,
            "by_category": _most_first(order_cats),
            "complaints": n_complaints,
            "complaints_closed": complaints_closed,
            "rated": rated,
            "satisfied": satisfied,
        },
        "patrol": rounds,
        "education": education,  # safety education (issue 18): campaigns, residents reached, read, quizzed
        # safety-education events (安全小课堂) held in the period: bookings, attendance, per audience group
        "education_events": event_service.period_figures(session, compound_id=compound_id, since=since, until=until),
        "technical": {
            "devices": len(devices),
            "devices_good": good,
            "closed_alarms": closed,
            "false_alarms": outcome["false_alarm"],
            "false_by_kind": _most_first(false_by_kind),
            "false_by_source": by_source,
            "device_hours": hours.total,
            "device_hours_online": hours.online,
            "key_positions": cover["key_positions"],
            "key_positions_covered": cover["key_positions_covered"],
            "uncovered_by_kind": cover["uncovered_by_kind"],
            "maintenance_done": upkeep["done"],
            "maintenance_missed": upkeep["missed"],
        },
        "access": {
            "entries": entries,
            "by_method": dict(by_method.most_common()),
            "denied": denied,
            "remote_opens": remote,
            "visitors": visitors,
        },
        "staff": {"by_role": dict(staff), "total": sum(staff.values()), **people},
    }


def _with_comparison(session: Session, *, compound_id: int, kind: str, start: date, end: date) -> dict[str, Any]:
    data = compute(session, compound_id=compound_id, kind=kind, start=start, end=end)
    p_start, p_end = previous_period(kind, start)
    stored = _find(session, compound_id, kind, p_start)
    prev = (
        stored.data
        if stored is not None
        else compute(session, compound_id=compound_id, kind=kind, start=p_start, end=p_end)
    )
    data["previous"] = {"start": p_start.isoformat(), "end": p_end.isoformat(), "kpis": prev["kpis"]}
    y_start, y_end = same_period_last_year(kind, start)
    if (y_start, y_end) == (p_start, p_end):  # a yearly report's previous period is the year before
        data["last_year"] = data["previous"]
    else:
        old = _find(session, compound_id, kind, y_start)
        year_ago = (
            old.data
            if old is not None
            else compute(session, compound_id=compound_id, kind=kind, start=y_start, end=y_end)
        )
        data["last_year"] = {"start": y_start.isoformat(), "end": y_end.isoformat(), "kpis": year_ago["kpis"]}
    data["targets"] = {k: [side, target] for k, (side, target) in targets().items()}
    # Last period's rectification orders, closed or still open now.
    asked = (stored.data.get("rectification_orders") or []) if stored is not None else []
    states = order_states(session, compound_id=compound_id, order_ids=[o["order_id"] for o in asked])
    data["previous_rectifications"] = [{**o, "closed": states.get(o["order_id"]) is False} for o in asked]
    return data


def _find(session: Session, compound_id: int, kind: str, start: date) -> SecurityReport | None:
    return session.execute(
        select(SecurityReport).where(
            SecurityReport.compound_id == compound_id,
            SecurityReport.period_kind == kind,
            SecurityReport.period_start == start,
        )
    ).scalar_one_or_none()


class ReportService:
    def generate(
        self, session: Session, *, compound_id: int, kind: str, day: date, today: date, by: str = "job"
    ) -> tuple[SecurityReport, bool]:
        """The report of the `kind` period containing `day`, made once (returns it and whether it is new)."""
        start, end = period_of(kind, day)
        if end > today:
            raise Conflict(
                f"the {kind} from {start} is not over yet",
                zh="该周期尚未结束，结束后才能生成报告",
            )
        existing = _find(session, compound_id, kind, start)
        if existing is not None:
            return existing, False
        data = _with_comparison(session, compound_id=compound_id, kind=kind, start=start, end=end)
        row = SecurityReport(
            compound_id=compound_id,
            period_kind=kind,
            period_start=start,
            period_end=end,
            data=data,
            generated_by=by,
        )
        try:
            with session.begin_nested():  # a rival worker may insert the same period first: the key decides
                session.add(row)
                session.flush()
        except IntegrityError:
            won = _find(session, compound_id, kind, start)
            assert won is not None
            return won, False
        # Only the worker that made the report opens its orders: one per missed KPI per period.
        row.data = {**data, "rectification_orders": self._open_rectifications(session, row)}
        session.flush()
        return row, True

    def _open_rectifications(self, session: Session, row: SecurityReport) -> list[dict[str, Any]]:
        """A work order for each KPI on the wrong side of its target (ANJU_REPORT_*)."""
        out = []
        for key in misses(row.data["kpis"]):
            side, target = targets()[key]
            order = work_order_service.open(
                session,
                by=None,
                data=OrderCreate(
                    compound_id=row.compound_id,
                    kind=OrderKind.inspection,
                    category="security",
                    title=f"安全整改：{KPI_ZH[key]}未达标（{row.period_start.isoformat()} 起的{KIND_ZH[row.period_kind]}）",
                    description=(
                        f"安全管理工作总结 #{row.id}：{KPI_ZH[key]} {row.data['kpis'][key]}，"
                        f"目标{'不低于' if side == 'min' else '不高于'} {target:g}。请制定并落实整改措施。"
                    ),
                ),
                source=OrderSource.inspection,
            )
            out.append(
                {"kpi": key, "order_id": order.id, "value": row.data["kpis"][key], "target": target, "side": side}
            )
        return out

    def generate_due(self, session: Session, *, today: date) -> list[int]:
        """Make every compound's report of each last closed period that has none yet (the job)."""
        made = []
        for c in compounds_by_id(session):
            for kind in KINDS:
                start, _ = last_closed_period(kind, today)
                row, new = self.generate(session, compound_id=c.id, kind=kind, day=start, today=today)
                if new:
                    made.append(row.id)
        return made

    def request(
        self, session: Session, *, who: Principal, compound_id: int, kind: str, day: date, today: date
    ) -> SecurityReport:
        """Staff ask for a closed period's report now (the same stored row the job would make)."""
        who.require(AnalyticsPerm.report_write)
        if not who.in_scope(compound_id):
            raise NotFound(f"compound {compound_id} not found", zh="未找到该小区")
        if day < today - timedelta(days=3 * 366):
            raise Invalid(
                "period too old",
                zh="只能生成三年内的报告",
                fields=[{"field": "day", "message": {"zh": "三年内", "en": "within three years"}}],
            )
        row, _ = self.generate(session, compound_id=compound_id, kind=kind, day=day, today=today, by="user")
        return row

    def search(
        self, session: Session, *, who: Principal, compound_id: int | None = None, kind: str | None = None
    ) -> list[SecurityReport]:
        """Reports of the caller's compounds (or one), newest period first."""
        who.require(AnalyticsPerm.read)
        ids = sorted(who.compound_ids)
        if compound_id is not None:
            if not who.in_scope(compound_id):
                raise NotFound(f"compound {compound_id} not found", zh="未找到该小区")
            ids = [compound_id]
        stmt = select(SecurityReport).where(SecurityReport.compound_id.in_(ids))
        if kind is not None:
            period_of(kind, date(2000, 1, 1))  # validates the kind
            stmt = stmt.where(SecurityReport.period_kind == kind)
        return list(
            session.execute(
                stmt.order_by(
                    SecurityReport.period_start.desc(), SecurityReport.period_kind, SecurityReport.compound_id
                ).limit(200)
            ).scalars()
        )

    def get(self, session: Session, *, who: Principal, report_id: int) -> SecurityReport:
        """One report in the caller's compounds; another compound's is a 404."""
        who.require(AnalyticsPerm.read)
        row = session.get(SecurityReport, report_id)
        if row is None or not who.in_scope(row.compound_id):
            raise NotFound(f"report {report_id} not found", zh="未找到该报告")
        return row

    def set_rectification(
        self, session: Session, *, who: Principal, report_id: int, text: str, now: datetime | None = None
    ) -> SecurityReport:
        """Staff write (or rewrite) the rectification plan; the figures stay as generated."""
        who.require(AnalyticsPerm.report_write)
        row = self.get(session, who=who, report_id=report_id)
        row.rectification = text
        row.rectification_by = who.user_id
        row.rectification_at = now or utcnow()
        session.flush()
        return row


report_service = ReportService()

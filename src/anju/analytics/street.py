"""The street office's security report: one period's report pooled over every compound the caller oversees.

Built from each compound's stored report of the period (made first when missing: the same row the period-end job
makes), so the street sees the same fixed figures as each compound. Counts add up; each rate is pooled from its
numerator and denominator (Σ false ÷ Σ closed, not a mean of rates), with the same written formulas. The previous
period and the same period last year are pooled the same way.

Aggregates only (R-P6): counts of people (staff on roll, who joined or left, who trained or sat an exam) under K
show as "<5" in the total and in the compound table, where a complementary cell is hidden too so that the total
cannot give a small one away; a rate over fewer than K people is not shown. No person is named anywhere.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from anju.analytics.config import targets
from anju.analytics.permissions import AnalyticsPerm
from anju.analytics.picture import K, k_count, pool_small
from anju.analytics.reports import TOP_SOURCES, period_of, previous_period, report_service, same_period_last_year
from anju.core.auth import Principal
from anju.core.errors import Invalid, NotFound
from anju.registry.service import compounds_by_id

STAFF_PEOPLE = (
    "total",
    "on_roll_start",
    "on_roll_end",
    "joined",
    "left",
    "trained",
    "exam_sittings",
    "exam_passed",
)
STAFF_OTHER = ("trainings", "exams", "shifts", "shifts_marked", "shifts_attended")


def _pct(part: float, whole: float) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _people_pct(part: int, whole: float) -> float | None:
    """A rate over people: not shown when fewer than K people are behind it."""
    return _pct(part, whole) if whole >= K else None


def pool(datas: list[dict[str, Any]], names: list[str]) -> dict[str, Any]:
    """Several compounds' report data as one (counts summed, rates from summed parts, people counts raw)."""
    s: Counter[str] = Counter()
    by_kind: Counter[str] = Counter()
    outcome: Counter[str] = Counter()
    by_method: Counter[str] = Counter()
    by_category: Counter[str] = Counter()
    by_role: Counter[str] = Counter()
    false_by_kind: Counter[str] = Counter()
    uncovered: Counter[str] = Counter()
    sources: list[dict[str, Any]] = []
    by_hour, by_weekday = [0] * 24, [0] * 7
    places: list[dict[str, Any]] = []
    for d, name in zip(datas, names, strict=True):
        ev, tech, pat, acc, orders, staff = (
            d["events"],
            d["technical"],
            d["patrol"],
            d["access"],
            d["orders"],
            d["staff"],
        )
        s["alarms"] += d["kpis"]["alarms"]
        for k in ("acknowledged", "ack_seconds", "closed", "close_seconds"):
            s[k] += ev.get(k, 0)
        s["timed"] += 1 if "acknowledged" in ev else 0  # reports made before the means' inputs were stored
        for k in ("devices", "devices_good", "closed_alarms", "false_alarms"):
            s[k] += tech[k]
        for k in (
            "maintenance_done",
            "maintenance_missed",
            "device_hours",
            "device_hours_online",
            "key_positions",
            "key_positions_covered",
        ):
            s[k] += tech.get(k, 0)
        uncovered.update(tech.get("uncovered_by_kind") or {})
        sources += [
            {**r, "name": f"{name} · {r['name']}" if r.get("name") else name} for r in tech.get("false_by_source") or []
        ]
        for k in ("rated", "satisfied"):
            s[k] += orders.get(k, 0)
        for k in ("done", "missed", "expected", "checked"):
            s[f"patrol_{k}"] += pat.get(k, 0)
        for k in ("entries", "denied", "remote_opens", "visitors"):
            s[f"access_{k}"] += acc[k]
        for k in ("total", "complaints", "complaints_closed"):
            s[f"orders_{k}"] += orders[k]
        for k in (*STAFF_PEOPLE, *STAFF_OTHER):
            s[f"staff_{k}"] += staff.get(k, 0) or 0
        if staff.get("trainings"):
            s["trained_where_held"] += staff.get("trained", 0)
            s["roll_where_held"] += staff.get("on_roll_end", 0)
        by_kind.update(ev["by_kind"])
        outcome.update(ev["by_outcome"])
        by_method.update(acc["by_method"])
        by_category.update(orders["by_category"])
        by_role.update(staff["by_role"])
        false_by_kind.update(tech.get("false_by_kind", {}))
        by_hour = [a + b for a, b in zip(by_hour, ev["by_hour"], strict=True)]
        by_weekday = [a + b for a, b in zip(by_weekday, ev["by_weekday"], strict=True)]
        places += [{"place": f"{name} · {p['place']}" if p["place"] else name, "n": p["n"]} for p in ev["by_place"]]
    timed_all = s["timed"] == len(datas)
    kpis = {
        "alarms": s["alarms"],
        "false_alarm_rate": _pct(s["false_alarms"], s["closed_alarms"]),
        "mtta_minutes": round(s["ack_seconds"] / s["acknowledged"] / 60, 1)
        if timed_all and s["acknowledged"]
        else None,
        "mttr_minutes": round(s["close_seconds"] / s["closed"] / 60, 1) if timed_all and s["closed"] else None,
        "checkpoint_rate": _pct(s["patrol_checked"], s["patrol_expected"]),
        "rounds_missed": s["patrol_missed"],
        "device_good_rate": _pct(s["devices_good"], s["devices"]),
        "device_online_rate": _pct(s["device_hours_online"], s["device_hours"]),
        "camera_coverage": _pct(s["key_positions_covered"], s["key_positions"]),
        "complaint_closure": _pct(s["orders_complaints_closed"], s["orders_complaints"]),
        "denied": s["access_denied"],
        "visitors": s["access_visitors"],
        "training_coverage": _people_pct(s["trained_where_held"], s["roll_where_held"]),
        "exam_pass_rate": _people_pct(s["staff_exam_passed"], s["staff_exam_sittings"]),
        "turnover_rate": _people_pct(s["staff_left"], (s["staff_on_roll_start"] + s["staff_on_roll_end"]) / 2),
        "shift_attendance": _pct(s["staff_shifts_attended"], s["staff_shifts_marked"]),
        "satisfaction": _pct(s["satisfied"], s["rated"]),
        "maintenance_completion": _pct(s["maintenance_done"], s["maintenance_done"] + s["maintenance_missed"]),
    }
    return {
        "kpis": kpis,
        "empty": all(d.get("empty") for d in datas),
        "events": {
            "total": s["alarms"],
            "by_kind": dict(by_kind.most_common()),
            "by_weekday": by_weekday,
            "by_hour": by_hour,
            "by_place": sorted(places, key=lambda p: -p["n"])[:30],
            "by_outcome": {k: outcome[k] for k in ("resolved", "false_alarm", "open")},
        },
        "orders": {
            "total": s["orders_total"],
            "by_category": dict(by_category.most_common()),
            "complaints": s["orders_complaints"],
            "complaints_closed": s["orders_complaints_closed"],
            "rated": s["rated"],
            "satisfied": s["satisfied"],
        },
        "patrol": {k: s[f"patrol_{k}"] for k in ("done", "missed", "expected", "checked")},
        "technical": {
            "devices": s["devices"],
            "devices_good": s["devices_good"],
            "closed_alarms": s["closed_alarms"],
            "false_alarms": s["false_alarms"],
            "false_by_kind": dict(false_by_kind.most_common()),
            "false_by_source": sorted(sources, key=lambda r: (-r["false"], -r["closed"]))[:TOP_SOURCES],
            "maintenance_done": s["maintenance_done"],
            "maintenance_missed": s["maintenance_missed"],
            "device_hours": s["device_hours"],
            "device_hours_online": s["device_hours_online"],
            "key_positions": s["key_positions"],
            "key_positions_covered": s["key_positions_covered"],
            "uncovered_by_kind": dict(uncovered.most_common()),
        },
        "access": {
            "entries": s["access_entries"],
            "by_method": dict(by_method.most_common()),
            "denied": s["access_denied"],
            "remote_opens": s["access_remote_opens"],
            "visitors": s["access_visitors"],
        },
        "staff": {
            "by_role": {r: k_count(n) for r, n in by_role.items()},
            **{k: k_count(s[f"staff_{k}"]) for k in STAFF_PEOPLE},
            **{k: s[f"staff_{k}"] for k in STAFF_OTHER},
        },
    }


@dataclass
class StreetReport:
    kind: str
    start: date
    end: date
    generated_at: datetime
    data: dict[str, Any]  # the pooled figures, as a compound report's data (kpis, previous, last_year, sections)
    compounds: list[dict[str, Any]]  # the comparison table (counts, rates; small people counts "<5" or hidden)


COMPARE_KPIS = (
    "alarms",
    "false_alarm_rate",
    "mttr_minutes",
    "checkpoint_rate",
    "device_good_rate",
    "device_online_rate",
    "camera_coverage",
    "complaint_closure",
    "training_coverage",
    "turnover_rate",
)


def _period_reports(
    session: Session, compound_ids: list[int], kind: str, day: date, today: date
) -> list[tuple[Any, bool]]:
    return [
        report_service.generate(session, compound_id=cid, kind=kind, day=day, today=today, by="user")
        for cid in compound_ids
    ]


def street_report(session: Session, *, who: Principal, kind: str, day: date, today: date) -> StreetReport:
    """The pooled report of the `kind` period containing `day` over the caller's compounds, with comparisons."""
    who.require(AnalyticsPerm.read)
    start, end = period_of(kind, day)
    if day < today.replace(year=today.year - 3):
        raise Invalid(
            "period too old",
            zh="只能查看三年内的报告",
            fields=[{"field": "day", "message": {"zh": "三年内", "en": "within three years"}}],
        )
    compounds = compounds_by_id(session, compound_ids=sorted(who.compound_ids))
    if not compounds:
        raise NotFound("no compounds in scope", zh="没有可查看的小区")
    ids, names = [c.id for c in compounds], [c.name for c in compounds]
    rows = [r for r, _ in _period_reports(session, ids, kind, start, today)]  # a period not over yet is a 409
    data = pool([r.data for r in rows], names)
    p_start, _ = previous_period(kind, start)
    y_start, _ = same_period_last_year(kind, start)
    prev = pool([r.data for r, _ in _period_reports(session, ids, kind, p_start, today)], names)
    data["previous"] = {"start": p_start.isoformat(), "kpis": prev["kpis"]}
    if y_start == p_start:
        data["last_year"] = data["previous"]
    else:
        year = pool([r.data for r, _ in _period_reports(session, ids, kind, y_start, today)], names)
        data["last_year"] = {"start": y_start.isoformat(), "kpis": year["kpis"]}
    data["targets"] = {k: [side, target] for k, (side, target) in targets().items()}
    data["start"], data["end"] = start.isoformat(), end.isoformat()
    data["street"] = True  # each compound's rectification orders stay in its own report (counted in the table)
    table = []
    for r, name in zip(rows, names, strict=True):
        k = r.data["kpis"]
        staff = r.data["staff"]
        roll = staff.get("on_roll_end", 0)
        table.append(
            {
                "id": r.compound_id,
                "name": name,
                "report_id": r.id,
                **{key: k.get(key) for key in COMPARE_KPIS},
                # rates over people are shown only when K or more people are behind them
                "training_coverage": k.get("training_coverage") if roll >= K else None,
                "turnover_rate": k.get("turnover_rate") if roll >= K else None,
                "on_roll": k_count(roll),
                "left": k_count(staff.get("left", 0)),
                "_raw": {"on_roll": roll, "left": staff.get("left", 0)},
                "orders": len(r.data.get("rectification_orders") or []),
            }
        )
    for key in ("on_roll", "left"):
        pool_small(table, key)
    for row in table:
        del row["_raw"]
    return StreetReport(kind, start, end, max(r.generated_at for r in rows), data, table)


STREET_TOP = 10


def street_hotspots(session: Session, *, who: Principal, now: datetime) -> dict[str, Any]:
    """The street office's hot-spot map: theft-kind incidents of all its compounds pooled into one model (one
    compound alone has too few), ranked place × hour-of-week cells, and the week's heat by weekday and hour.

    Places and times only. Incident counts per compound under K show as "<5" with a complementary cell hidden
    (pool_small); a top cell's own count under K shows as "<5"; the heat grid is relative (0–1), no counts."""
    from anju.analytics.hotspot_cache import HOTSPOT_HISTORY, model_weights
    from anju.analytics.hotspots import HOURS_OF_WEEK, Cell, rank
    from anju.registry.service import house_service

    who.require(AnalyticsPerm.read)
    compounds = compounds_by_id(session, compound_ids=sorted(who.compound_ids))
    cells: list[Cell] = []
    rows: list[dict[str, Any]] = []
    buildings: dict[int, str] = {}
    total = 0
    for c in compounds:
        # Each compound's day model brought forward to now (hotspot_cache); pooling places of several compounds
        # into one model ranks each cell as its own compound's model does, so the pooled ranking is their merge.
        weights, scale = model_weights(session, compound_id=c.id, now=now)
        n = sum(weights.place_n.values())
        total += n
        cells += [Cell(f"{c.id}|{x.place}", x.hour_of_week, x.score, x.recent) for x in rank(weights, scale=scale)]
        rows.append({"id": c.id, "name": c.name, "incidents": k_count(n), "_raw": {"incidents": n}})
        buildings.update({b.id: b.name for b in house_service.buildings(session, compound_id=c.id)})
    pool_small(rows, "incidents")
    for r in rows:
        del r["_raw"]
    cells.sort(key=lambda x: (-x.score, x.place, x.hour_of_week))
    heat = [[0.0] * 24 for _ in range(7)]
    by_compound: dict[int, list[float]] = {c.id: [0.0] * 24 for c in compounds}
    for cell in cells:
        heat[cell.hour_of_week // 24][cell.hour_of_week % 24] += cell.score
        by_compound[int(cell.place.split("|", 1)[0])][cell.hour_of_week % 24] += cell.score
    peak = max((v for day in heat for v in day), default=0.0)
    peak_c = max((v for hours in by_compound.values() for v in hours), default=0.0)
    names = {c.id: c.name for c in compounds}
    top = []
    for cell in cells[:STREET_TOP]:
        cid, place = cell.place.split("|", 1)
        building = int(place[2:]) if place.startswith("b:") and place[2:].isdigit() else None
        top.append(
            {
                "compound": names.get(int(cid), ""),
                "compound_id": int(cid),
                "building": buildings.get(building or 0, ""),
                "day": cell.hour_of_week // 24,
                "hour": cell.hour_of_week % 24,
                "recent": k_count(cell.recent),
            }
        )
    return {
        "compounds": rows,
        "total": k_count(total),
        "history_days": HOTSPOT_HISTORY.days,
        "cells": len(compounds) * HOURS_OF_WEEK,
        "top": top,
        "heat": [[round(v / peak, 2) if peak else 0.0 for v in day] for day in heat],
        "by_compound": [
            {"id": cid, "name": names[cid], "hours": [round(v / peak_c, 2) if peak_c else 0.0 for v in hours]}
            for cid, hours in by_compound.items()
        ],
        "k": K,
    }

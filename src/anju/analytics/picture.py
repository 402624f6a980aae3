"""The command picture (一张图) of one compound and the street office's district view: counts only (R-P6).

`command_picture` gathers the site plan, the registered map layers, the KPI tiles and a ticker of recent alarms
(kind, severity, building, time: no titles, no people). `district` compares the compounds a street-office user
oversees; person-derived counts under K are shown as "<5" (the k-anonymity of anonymous surveys, notices.service).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from anju.access.decision_service import latest_passage_id, passage_counts
from anju.alarms.service import alarm_facts, alarm_kind_counts, alarm_period, latest_alarm_change, open_alarm_counts
from anju.analytics.layers import LayerContext, build_layers, plan_geometry
from anju.analytics.permissions import AnalyticsPerm
from anju.analytics.queries import people_counts
from anju.analytics.reports import report_service
from anju.care.coverage_service import care_coverage
from anju.core.auth import Principal
from anju.core.errors import NotFound
from anju.core.kit.china_time import china_datetime, to_china
from anju.core.rollup import hour_floor
from anju.devices.service import device_facts, online_device_hours
from anju.fees.service import collection_facts
from anju.governance.count_service import turnout_facts
from anju.patrol.service import round_tally
from anju.registry.service import compounds_by_id, house_service
from anju.workorders.service import open_order_groups, order_facts, order_tally

K = 5  # a person-derived count below K is shown as "<5" in the district view
TICKER = 8
ONLINE_WINDOW = timedelta(hours=24)  # the tile's device online rate: the last 24 whole hours (from the rollup)
VEHICLE_KINDS = frozenset({"gate_vehicle", "garage_door"})
FIRE_KINDS = frozenset({"smoke", "gas", "fire_panel", "fire_lane_blocked", "evacuation_blocked"})


def china_midnight(now: datetime) -> datetime:
    return china_datetime(to_china(now).date())


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _mean_minutes(total_seconds: float, n: int) -> float | None:
    return round(total_seconds / n / 60, 1) if n else None


def _scope(who: Principal, compound_id: int) -> None:
    who.require(AnalyticsPerm.read)
    if not who.in_scope(compound_id):
        raise NotFound(f"compound {compound_id} not found", zh="未找到该小区")


def kpis(session: Session, *, who: Principal, compound_id: int, now: datetime) -> dict[str, Any]:
    """The tiles around the map: people, passages today, alarms, devices, orders, complaints, patrol."""
    _scope(who, compound_id)
    ids = [compound_id]
    today = china_midnight(now)
    people = people_counts(session, compound_ids=ids, today=to_china(now).date())[compound_id]
    entries = visitors = vehicles_in = vehicles_out = 0
    for p in passage_counts(session, compound_ids=ids, since=today):
        if p.decision != "allow":
            continue
        if p.point_kind in VEHICLE_KINDS:
            vehicles_in += p.count if p.direction == "in" else 0
            vehicles_out += p.count if p.direction == "out" else 0
        elif p.direction == "in" and p.point_kind == "gate_pedestrian":
            entries += p.count
            visitors += p.count if p.visitor else 0
    open_alarms = open_alarm_counts(session, compound_ids=ids)  # counted in SQL, as every figure below
    todays = alarm_period(session, compound_id=compound_id, since=today)
    devices = device_facts(session, compound_ids=ids)
    online = sum(1 for d in devices if d.status == "online")
    hours = online_device_hours(session, compound_ids=ids, since=hour_floor(now) - ONLINE_WINDOW, until=now)[
        compound_id
    ]
    open_orders = open_order_groups(session, compound_ids=ids, now=now)
    month = order_tally(session, compound_ids=ids, since=now - timedelta(days=30))[compound_id]  # counted in SQL
    rounds = round_tally(session, compound_id=compound_id, since=today, until=now + timedelta(seconds=1))
    return {
        "residents": people["residents"],
        "floating": people["floating"],
        "elderly_alone": people["elderly_alone"],
        "entries": entries,
        "visitors": visitors,
        "vehicles_in": vehicles_in,
        "vehicles_out": vehicles_out,
        "alarms_open": sum(open_alarms.values()),
        "alarms_by_severity": {s: open_alarms.get((compound_id, s), 0) for s in ("critical", "major", "minor", "info")},
        "alarms_today": sum(c[4] for c in todays.cells),
        "mtta_minutes": _mean_minutes(todays.ack_seconds, todays.acknowledged),
        "mttr_minutes": _mean_minutes(todays.close_seconds, todays.closed),
        "device_online_rate": hours.rate,  # device-hours online ÷ device-hours, the last 24 whole hours
        "device_hours": hours.total,
        "devices": len(devices),
        "devices_online_now": online,
        "orders_open": sum(n for _, _, complaint, _, n in open_orders if not complaint),
        "orders_overdue": sum(n for _, _, _, overdue, n in open_orders if overdue),
        "complaints_open": sum(n for _, _, complaint, _, n in open_orders if complaint),
        "complaints_30d": month.complaints,
        "complaint_closure_30d": _pct(month.complaints_closed, month.complaints),
        "patrol_rate_today": _pct(rounds["checked"], rounds["expected"]),
    }


@dataclass
class TickerLine:
    at: datetime
    kind: str
    severity: str
    status: str
    place: str


def ticker(session: Session, *, who: Principal, compound_id: int, now: datetime) -> list[TickerLine]:
    """The newest alarms of the last day: kind, severity, status, building and time (no titles, no people)."""
    _scope(who, compound_id)
    names = {b.id: b.name for b in house_service.buildings(session, compound_id=compound_id)}
    facts = alarm_facts(session, compound_ids=[compound_id], since=now - timedelta(days=1))
    facts.sort(key=lambda a: (a.occurred_at, a.id), reverse=True)
    return [
        TickerLine(a.occurred_at, a.kind, a.severity, a.status, names.get(a.building_id or 0, ""))
        for a in facts[:TICKER]
    ]


@dataclass
class ComplaintLine:
    at: datetime
    category: str
    status: str
    place: str
    overdue: bool


COMPLAINT_BOARD = 6


def complaint_board(session: Session, *, who: Principal, compound_id: int, now: datetime) -> list[ComplaintLine]:
    """投诉处理: the open complaints first (oldest first: they wait longest), then the newest closed ones of the last
    30 days; category, building, status and whether it is past its SLA (no text, no people)."""
    _scope(who, compound_id)
    names = {b.id: b.name for b in house_service.buildings(session, compound_id=compound_id)}
    complaint = frozenset({"complaint"})
    recent = order_facts(session, compound_ids=[compound_id], since=now - timedelta(days=30), kinds=complaint)
    waiting = order_facts(session, compound_ids=[compound_id], open_only=True, kinds=complaint)
    waiting.sort(key=lambda o: (o.created_at, o.id))
    done = sorted((o for o in recent if not o.open), key=lambda o: (o.created_at, o.id), reverse=True)
    return [
        ComplaintLine(
            o.created_at,
            o.category,
            o.status,
            names.get(o.building_id or 0, ""),
            bool(o.open and o.resolution_due_at and not o.paused and o.resolution_due_at < now),
        )
        for o in (waiting + done)[:COMPLAINT_BOARD]
    ]


def command_picture(session: Session, *, who: Principal, compound_id: int, now: datetime) -> dict[str, Any]:
    """Everything the 大屏 draws for one compound."""
    _scope(who, compound_id)
    compound = compounds_by_id(session, compound_ids=[compound_id])[0]
    centres, gates = plan_geometry(session, compound)
    ctx = LayerContext(session, compound, now, centres, gates, china_midnight(now))
    return {
        "compound": {"id": compound.id, "name": compound.name},
        "plan": compound.site_plan or None,
        "layers": build_layers(ctx),
        "kpis": kpis(session, who=who, compound_id=compound_id, now=now),
        "ticker": ticker(session, who=who, compound_id=compound_id, now=now),
        "complaints": complaint_board(session, who=who, compound_id=compound_id, now=now),
    }


def change_cursor(session: Session, *, compound_ids: list[int]) -> tuple[int, ...]:
    """A cheap fingerprint of what moves the picture (alarms, their transitions, passages)."""
    return (
        *latest_alarm_change(session, compound_ids=compound_ids),
        latest_passage_id(session, compound_ids=compound_ids),
    )


def k_count(n: int) -> int | str:
    """A person-derived count as shown to the street office: under K it is '<5' (0 stays 0)."""
    return f"<{K}" if 0 < n < K else n


def district(session: Session, *, who: Principal, now: datetime) -> dict[str, Any]:
    """Each compound the caller oversees and the total: rates and counts, never persons."""
    who.require(AnalyticsPerm.read)
    ids = sorted(who.compound_ids)
    since = now - timedelta(days=30)
    rows = []
    today = to_china(now).date()
    care = care_coverage(session, compound_ids=ids, since=since, until=now)
    turnout = turnout_facts(session, compound_ids=ids, since=now - timedelta(days=365), until=now)
    fees = collection_facts(session, compound_ids=ids, period=f"{today.year:04d}-{today.month:02d}")
    # Counts over 30 days summed in SQL: alarms from the hourly rollup (raw edges), orders by one grouped count.
    by_kind = alarm_kind_counts(session, compound_ids=ids, since=since)  # one pass over the rollup
    alarms: Counter[int] = Counter()
    fires: Counter[int] = Counter()
    for (cid, kind), n in by_kind.items():
        alarms[cid] += n
        fires[cid] += n if kind in FIRE_KINDS else 0
    orders = order_tally(session, compound_ids=ids, since=since)
    open_alarms: Counter[int] = Counter()
    for (cid, _), n in open_alarm_counts(session, compound_ids=ids).items():
        open_alarms[cid] += n
    hours_by = online_device_hours(session, compound_ids=ids, since=since, until=now)
    population = people_counts(session, compound_ids=ids, today=today)
    totals: Counter[str] = Counter()
    for c in compounds_by_id(session, compound_ids=ids):
        people = population[c.id]
        devices = device_facts(session, compound_ids=[c.id])
        hours = hours_by[c.id]
        o = orders[c.id]
        rounds = round_tally(session, compound_id=c.id, since=since, until=now)
        raw = {
            "residents": people["residents"],
            "floating": people["floating"],
            "elderly": people["elderly"],
            "elderly_alone": people["elderly_alone"],
            "alarms_30d": alarms[c.id],
            "fire_30d": fires[c.id],
            "alarms_open": open_alarms[c.id],
            "devices": len(devices),
            "device_hours": hours.total,
            "device_hours_online": hours.online,
            "orders": o.orders,
            "orders_closed": o.closed,
            "complaints": o.complaints,
            "complaints_closed": o.complaints_closed,
            "expected": rounds["expected"],
            "checked": rounds["checked"],
            "care_profiles": care[c.id].profiles,
            "care_visited": care[c.id].visited,
            "votes": turnout[c.id].votes,
            "ballots": turnout[c.id].returned,
            "electors": turnout[c.id].electors,
            "fee_collected": fees[c.id][0],
            "fee_billed": fees[c.id][1],
        }
        totals.update(raw)
        latest = report_service.search(session, who=who, compound_id=c.id, kind="month")
        rows.append(
            {
                "id": c.id,
                "name": c.name,
                **_shown(raw),
                "report_id": latest[0].id if latest else None,  # the newest monthly security report
                "_raw": {k: raw[k] for k in PERSON_KEYS},
            }
        )
    for key in PERSON_KEYS:
        pool_small(rows, key)
    for r in rows:
        del r["_raw"]  # the exact counts stay on the server
    return {"compounds": rows, "total": _shown(dict(totals)), "k": K}


PERSON_KEYS = ("floating", "elderly", "elderly_alone", "care_profiles")
POOLED = "—"  # hidden so that a small count cannot be worked out from the total and the other rows


def pool_small(rows: list[dict[str, Any]], key: str) -> None:
    """No compound's small count can be recovered by subtracting the shown ones from the total.

    Every count under K is already "<K"; while the hidden ones add up to less than K, the smallest shown count joins
    them (shown as POOLED), so the total minus what is shown is always at least K (the notices' survey rule)."""
    hidden = [r for r in rows if r[key] == f"<{K}"]
    if not hidden:
        return
    raw = {id(r): r["_raw"][key] for r in rows}
    shown = sorted((r for r in rows if isinstance(r[key], int) and r[key] > 0), key=lambda r: r[key])
    while sum(raw[id(r)] for r in hidden) < K and shown:
        r = shown.pop(0)
        r[key] = POOLED
        hidden.append(r)


def _shown(raw: dict[str, int]) -> dict[str, Any]:
    """Counts with k applied to person-derived ones, and the rates the street office compares."""
    return {
        "residents": raw.get("residents", 0),
        "floating": k_count(raw.get("floating", 0)),
        "elderly": k_count(raw.get("elderly", 0)),
        "elderly_alone": k_count(raw.get("elderly_alone", 0)),
        "alarms_30d": raw.get("alarms_30d", 0),
        "fire_30d": raw.get("fire_30d", 0),
        "alarms_open": raw.get("alarms_open", 0),
        "device_online_rate": _pct(raw.get("device_hours_online", 0), raw.get("device_hours", 0)),
        "order_closure": _pct(raw.get("orders_closed", 0), raw.get("orders", 0)),
        "complaint_closure": _pct(raw.get("complaints_closed", 0), raw.get("complaints", 0)),
        "patrol_rate": _pct(raw.get("checked", 0), raw.get("expected", 0)),
        "care_profiles": k_count(raw.get("care_profiles", 0)),
        # rates over people are shown only when K or more people are behind them
        "care_coverage": _pct(raw.get("care_visited", 0), raw["care_profiles"])
        if raw.get("care_profiles", 0) >= K
        else None,
        "votes": raw.get("votes", 0),
        "participation": _pct(raw.get("ballots", 0), raw["electors"]) if raw.get("electors", 0) >= K else None,
        "fee_collection": _pct(raw.get("fee_collected", 0), raw.get("fee_billed", 0)),
    }

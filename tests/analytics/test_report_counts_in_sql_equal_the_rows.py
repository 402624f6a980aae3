"""The security report counts alarms and work orders in SQL (a compound-year is up to 10^6 alarms): every figure
it prints from them equals the same formula applied to the rows (`alarm_facts`, `order_facts`), here on a month
with alarms of every status at several buildings, sources, devices and hours, and orders of every kind."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from datetime import date, timedelta

from sqlalchemy import select

from anju.alarms.enums import AlarmSeverity, AlarmStatus
from anju.alarms.models import Alarm
from anju.alarms.service import alarm_facts
from anju.analytics.reports import SATISFIED_RATING, compute
from anju.core.kit.china_time import china_datetime, to_china
from anju.registry.models import Building
from anju.workorders.models import WorkOrder
from anju.workorders.service import order_facts
from tests.conftest import principal_of

START, END = date(2025, 4, 1), date(2025, 5, 1)


def seed(session, compound_id: int) -> None:
    rng = random.Random(4)
    buildings = [*session.execute(select(Building.id).where(Building.compound_id == compound_id)).scalars(), None]
    since = china_datetime(START)
    for i in range(300):
        at = since + timedelta(seconds=rng.randrange(30 * 86400 + 7200) - 3600)  # a few just outside the month
        status = rng.choice(list(AlarmStatus))
        key = f"test:{uuid.uuid4().hex}"
        source = rng.choice(("device:1", "video:camera:2", "user:3", "patrol:1", "gateway:x"))
        session.add(
            Alarm(
                compound_id=compound_id,
                kind=rng.choice(("theft", "smoke", "intrusion", "water_leak")),
                severity=AlarmSeverity.minor,
                source=source,
                dedupe_key=key,
                dedupe_slot=key if status not in (AlarmStatus.resolved, AlarmStatus.false_alarm) else None,
                title="t",
                status=status,
                building_id=rng.choice(buildings),
                device_id=rng.choice((None, 1, 2)) if source != "user:3" else None,
                occurred_at=at,
                created_at=at,
                last_seen_at=at,
                acknowledged_at=at + timedelta(seconds=rng.randrange(60, 4000)) if i % 3 else None,
                closed_at=at + timedelta(seconds=rng.randrange(600, 90000)) if i % 4 else None,
            )
        )
        created = since + timedelta(seconds=rng.randrange(30 * 86400))
        session.add(
            WorkOrder(
                compound_id=compound_id,
                kind=rng.choice(("complaint", "household_repair", "common_repair", "hazard")),
                category=rng.choice(("plumbing", "noise", "lift")),
                priority="normal",
                source="h5",
                title="t",
                status=rng.choice(("new", "dispatched", "completed", "closed")),
                created_at=created,
                resolution_due_at=created + timedelta(days=rng.choice((1, 60))),
                paused_at=created if i % 7 == 0 else None,
                rating=rng.choice((None, None, 1, 3, 4, 5)),
            )
        )
    session.flush()


def test_report_figures_counted_in_sql_equal_the_formulas_on_the_rows(session, ids):
    a = ids["A"]
    seed(session, a)
    since, until = china_datetime(START), china_datetime(END)
    data = compute(session, compound_id=a, kind="month", start=START, end=END)
    rows = alarm_facts(session, compound_ids=[a], since=since, until=until)
    assert len(rows) > 250
    names = {b.id: b.name for b in session.execute(select(Building).where(Building.compound_id == a)).scalars()}
    ev = data["events"]
    assert ev["total"] == data["kpis"]["alarms"] == len(rows)
    assert ev["by_kind"] == dict(Counter(r.kind for r in rows))
    assert ev["by_weekday"] == [sum(1 for r in rows if to_china(r.occurred_at).weekday() == d) for d in range(7)]
    assert ev["by_hour"] == [sum(1 for r in rows if to_china(r.occurred_at).hour == h) for h in range(24)]
    place = Counter(names.get(r.building_id, "") if r.building_id is not None else "" for r in rows)
    assert {p["place"]: p["n"] for p in ev["by_place"]} == dict(place)
    outcome = Counter(r.status if r.status in ("resolved", "false_alarm") else "open" for r in rows)
    assert ev["by_outcome"] == {k: outcome[k] for k in ("resolved", "false_alarm", "open")}
    ack = [(r.acknowledged_at - r.occurred_at).total_seconds() for r in rows if r.acknowledged_at]
    fix = [(r.closed_at - r.occurred_at).total_seconds() for r in rows if r.closed_at]
    assert ev["acknowledged"] == len(ack) and abs(ev["ack_seconds"] - sum(ack)) < 0.5
    assert ev["closed"] == len(fix) and abs(ev["close_seconds"] - sum(fix)) < 0.5
    # MTTA / MTTR: mean of (acknowledged − occurred) / (closed − occurred) in minutes, one decimal
    assert data["kpis"]["mtta_minutes"] == round(sum(ack) / len(ack) / 60, 1)
    assert data["kpis"]["mttr_minutes"] == round(sum(fix) / len(fix) / 60, 1)
    closed = outcome["resolved"] + outcome["false_alarm"]
    # false-alarm rate: alarms closed as false ÷ alarms closed
    assert data["kpis"]["false_alarm_rate"] == round(100.0 * outcome["false_alarm"] / closed, 1)
    tech = data["technical"]
    assert tech["false_by_kind"] == dict(Counter(r.kind for r in rows if r.status == "false_alarm"))
    per_source = {
        (s["source"], s["device_id"], s["detector"]): (s["closed"], s["false"]) for s in tech["false_by_source"]
    }
    assert sum(c for c, _ in per_source.values()) == closed
    assert sum(f for _, f in per_source.values()) == outcome["false_alarm"]
    manual = [r for r in rows if r.source == "user:3" and r.status in ("resolved", "false_alarm")]
    assert per_source[("manual", None, None)] == (len(manual), sum(1 for r in manual if r.status == "false_alarm"))
    orders = order_facts(session, compound_ids=[a], since=since, until=until)
    complaints = [o for o in orders if o.kind == "complaint"]
    rated = [o.rating for o in orders if o.rating is not None]
    od = data["orders"]
    assert od["total"] == len(orders) > 250
    assert od["by_category"] == dict(Counter(o.category for o in orders if o.kind != "complaint"))
    assert (od["complaints"], od["complaints_closed"]) == (len(complaints), sum(1 for o in complaints if not o.open))
    assert (od["rated"], od["satisfied"]) == (len(rated), sum(1 for r in rated if r >= SATISFIED_RATING))


def test_tiles_counted_in_sql_equal_the_formulas_on_the_rows(session, ids):
    from anju.analytics.layers import LayerContext, build_layers, plan_geometry
    from anju.analytics.picture import china_midnight, kpis
    from anju.registry.models import Compound

    a = ids["A"]
    seed(session, a)
    now = china_datetime(date(2025, 4, 20)) + timedelta(hours=15)
    today = china_midnight(now)
    tiles = kpis(session, who=principal_of(session, "manager_wang"), compound_id=a, now=now)
    open_alarms = alarm_facts(session, compound_ids=[a], open_only=True)
    assert tiles["alarms_open"] == len(open_alarms) > 0
    assert tiles["alarms_by_severity"] == {
        s: sum(1 for r in open_alarms if r.severity == s) for s in ("critical", "major", "minor", "info")
    }
    todays = alarm_facts(session, compound_ids=[a], since=today)
    assert tiles["alarms_today"] == len(todays) > 0
    ack = [(r.acknowledged_at - r.occurred_at).total_seconds() for r in todays if r.acknowledged_at]
    assert tiles["mtta_minutes"] == round(sum(ack) / len(ack) / 60, 1)
    open_orders = order_facts(session, compound_ids=[a], open_only=True)
    assert tiles["orders_open"] == sum(1 for o in open_orders if o.kind != "complaint") > 0
    assert tiles["complaints_open"] == sum(1 for o in open_orders if o.kind == "complaint") > 0
    overdue = [o for o in open_orders if o.resolution_due_at and not o.paused and o.resolution_due_at < now]
    assert tiles["orders_overdue"] == len(overdue) > 0
    compound = session.get(Compound, a)
    centres, gates = plan_geometry(session, compound)
    ctx = LayerContext(session, compound, now, centres, gates, today)
    (layer,) = build_layers(ctx, ["workorders"])
    assert layer.counts.get("order", 0) == tiles["orders_open"]
    assert layer.counts.get("complaint", 0) == tiles["complaints_open"]
    assert layer.counts.get("overdue", 0) == len(overdue)
    assert sum(m.count for m in layer.markers) + layer.unplaced == len(open_orders)

"""Time the security report's exports (Excel, CSV, PDF) and the street office's pooling, against the Excel export.

No database: one report's data is built in the shape `anju.analytics.reports.compute` stores (a busy compound's
month: 30 alarm kinds, 40 places, every hour and weekday), then each export is rendered (median of 7 runs), and the
street office's pooling of N compound reports is timed. The baseline is the Excel export in the same run, so the
ratios travel between machines.

    .venv/bin/python bench/bench_report_exports.py [--compounds 50]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any


def median_ms(fn: Callable[[], object], runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def report_data(rng: random.Random) -> dict[str, Any]:
    kinds = {f"kind_{i}": rng.randint(1, 40) for i in range(30)}
    kpis = {
        "alarms": sum(kinds.values()),
        "false_alarm_rate": 12.5,
        "mtta_minutes": 4.2,
        "mttr_minutes": 38.0,
        "checkpoint_rate": 96.1,
        "rounds_missed": 3,
        "device_good_rate": 97.0,
        "complaint_closure": 88.0,
        "denied": 120,
        "visitors": 3400,
        "training_coverage": 80.0,
        "exam_pass_rate": 90.0,
        "turnover_rate": 5.0,
        "shift_attendance": 97.5,
        "satisfaction": 91.0,
        "maintenance_completion": 93.0,
    }
    return {
        "kind": "month",
        "start": "2026-11-01",
        "end": "2026-12-01",
        "empty": False,
        "kpis": kpis,
        "previous": {"kpis": kpis},
        "last_year": {"kpis": kpis},
        "targets": {"checkpoint_rate": ["min", 95.0], "false_alarm_rate": ["max", 30.0]},
        "rectification_orders": [{"kpi": "complaint_closure", "order_id": 7, "value": 88.0, "target": 90.0}],
        "events": {
            "total": kpis["alarms"],
            "by_kind": kinds,
            "by_weekday": [rng.randint(0, 90) for _ in range(7)],
            "by_hour": [rng.randint(0, 40) for _ in range(24)],
            "by_place": [{"place": f"{i}号楼", "n": rng.randint(1, 30)} for i in range(1, 41)],
            "by_outcome": {"resolved": 300, "false_alarm": 40, "open": 5},
            "acknowledged": 340,
            "ack_seconds": 340 * 250,
            "closed": 340,
            "close_seconds": 340 * 2280,
        },
        "orders": {"total": 400, "by_category": {"plumbing": 120}, "complaints": 25, "complaints_closed": 22},
        "patrol": {"done": 180, "missed": 3, "expected": 2000, "checked": 1922},
        "technical": {
            "devices": 400,
            "devices_good": 388,
            "closed_alarms": 340,
            "false_alarms": 40,
            "false_by_kind": {"smoke": 30},
        },
        "access": {
            "entries": 90000,
            "by_method": {"card": 60000, "face": 30000},
            "denied": 120,
            "remote_opens": 40,
            "visitors": 3400,
        },
        "staff": {"by_role": {"guard": 12, "property_staff": 8}, "total": 20, "on_roll_start": 20, "on_roll_end": 20},
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--compounds", type=int, default=50)
    args = ap.parse_args()

    from anju.analytics.street import pool
    from anju.web.i18n import Translator
    from anju.web.reports_pages import ReportView, export

    rng = random.Random(15)
    data = report_data(rng)
    view = ReportView(
        name="示范小区",
        kind="month",
        start=date(2026, 11, 1),
        end=date(2026, 12, 1),
        generated_at=datetime(2026, 12, 1, 1, 0, tzinfo=UTC),
        data=data,
        rectification="南门加装补光灯，夜班增加一次巡更。",
        file_stem="bench",
    )
    t = Translator("zh-CN")
    sizes = {fmt: len(export(view, t, fmt).body) for fmt in ("xlsx", "csv", "pdf")}
    base = median_ms(lambda: export(view, t, "xlsx"))
    print(f"baseline: Excel export of one month's report {base:.1f} ms ({sizes['xlsx']:,} bytes)")
    for fmt in ("csv", "pdf"):
        ms = median_ms(lambda fmt=fmt: export(view, t, fmt))
        print(f"{fmt:>4} export {ms:8.1f} ms  {ms / base:5.2f}x baseline  ({sizes[fmt]:,} bytes)")
    many = [report_data(rng) for _ in range(args.compounds)]
    names = [f"小区{i}" for i in range(args.compounds)]
    ms = median_ms(lambda: pool(many, names))
    print(f"pool {args.compounds} compound reports {ms:8.1f} ms  {ms / base:5.2f}x baseline")


if __name__ == "__main__":
    main()

"""Work-order board with 100,000 orders: the board's queries vs a bare count, same database, same run.

Run: .venv/bin/python bench/workorders_board.py [--pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
     [--orders 100000] [-n 30]
With --pg it creates a scratch database next to the given one (and drops it afterwards); without,
it uses SQLite in a temp folder. Prints each query's mean time and its ratio to `SELECT count(*)`.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import fresh_demo_db


def timed(fn, n: int) -> float:  # type: ignore[no-untyped-def]
    fn()  # warm-up
    started = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - started) / n


def scratch_pg(admin_url: str) -> tuple[str, object]:
    from sqlalchemy import create_engine, text

    name = f"anju_bench_wo_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return admin_url.rsplit("/", 1)[0] + "/" + name, drop


def fill(n_orders: int, compound_id: int) -> None:
    """n orders spread over statuses, SLA states, kinds and the last 180 days (bulk insert)."""
    from sqlalchemy import insert

    from anju.core.db import transaction, utcnow
    from anju.workorders.enums import (
        OrderKind,
        OrderSource,
        OrderStatus,
        Priority,
        SlaState,
    )
    from anju.workorders.models import WorkOrder

    rng = random.Random(7)
    now = utcnow()
    statuses = [s.value for s in OrderStatus]
    weights = [3, 3, 3, 2, 1, 1, 10, 10, 67]  # most orders are long closed
    batch: list[dict[str, object]] = []
    with transaction() as s:
        for k in range(n_orders):
            created = now - timedelta(minutes=rng.randint(0, 180 * 1440))
            status = rng.choices(statuses, weights)[0]
            batch.append(
                {
                    "compound_id": compound_id,
                    "kind": rng.choice(list(OrderKind)).value,
                    "category": rng.choice(["plumbing", "electrical", "lift", "cleaning", "fire_safety"]),
                    "priority": rng.choice(list(Priority)).value,
                    "source": OrderSource.phone.value,
                    "title": f"bench order {k}",
                    "description": "",
                    "status": status,
                    "created_at": created,
                    "response_due_at": created + timedelta(hours=2),
                    "resolution_due_at": created + timedelta(days=1),
                    "sla_state": rng.choices(
                        [SlaState.ok.value, SlaState.warning.value, SlaState.breached.value], [85, 8, 7]
                    )[0],
                    "paused_seconds": 0,
                    "escalation_level": 0,
                }
            )
            if len(batch) == 5000:
                s.execute(insert(WorkOrder), batch)
                batch = []
        if batch:
            s.execute(insert(WorkOrder), batch)
        if s.get_bind().dialect.name == "postgresql":
            s.execute(__import__("sqlalchemy").text("ANALYZE work_order"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pg", help="PostgreSQL admin URL; a scratch database is created next to it")
    ap.add_argument("--orders", type=int, default=100_000)
    ap.add_argument("-n", type=int, default=30)
    args = ap.parse_args()
    drop = None
    url = None
    if args.pg:
        url, drop = scratch_pg(args.pg)
    try:
        url, build_s = fresh_demo_db(url, full=False)
        from sqlalchemy import func, select, text

        from anju.accounts.models import User
        from anju.accounts.service import account_service
        from anju.core.db import new_session
        from anju.workorders.enums import SlaState
        from anju.workorders.repository import WorkOrderRepository

        with new_session() as s:
            wang = account_service.principal(
                s, s.execute(select(User).where(User.username == "manager_wang")).scalar_one()
            )
        compound = min(wang.compound_ids)
        started = time.perf_counter()
        fill(args.orders, compound)
        fill_s = time.perf_counter() - started
        with new_session() as s:
            total = s.execute(select(func.count()).select_from(text("work_order"))).scalar_one()
        print(f"{url.split(':')[0]}: demo {build_s:.1f} s, {total:,} orders inserted in {fill_s:.1f} s")

        def bare() -> None:
            with new_session() as s:
                s.execute(text("SELECT count(*) FROM work_order")).scalar_one()

        def board(**filters: object):  # type: ignore[no-untyped-def]
            def run() -> None:
                with new_session() as s:
                    base = {
                        "compound_id": compound,
                        "status": None,
                        "sla_state": None,
                        "kind": None,
                        "category": None,
                        "assignee_user_id": None,
                        "open_only": False,
                        "offset": 0,
                        "limit": 50,
                    }
                    WorkOrderRepository(s).search(wang, **{**base, **filters})

            return run

        base_t = timed(bare, args.n)
        print(f"{'bare SELECT count(*)':44s} {base_t * 1000:8.2f} ms   1.00x")
        for label, fn in (
            ("board: first page + total (all)", board()),
            ("board: SLA breached + total", board(sla_state=SlaState.breached)),
            ("board: open orders (kanban, 300 rows)", board(open_only=True, limit=300)),
            ("board: page 100 + total", board(offset=99 * 50)),
            ("my tasks: assignee, open, no total", board(assignee_user_id=wang.user_id, open_only=True, count=False)),
        ):
            t = timed(fn, args.n)
            print(f"{label:44s} {t * 1000:8.2f} ms  {t / base_t:5.2f}x")
    finally:
        if drop is not None:
            from anju.core import db as core_db

            core_db.get_engine().dispose()
            drop()  # type: ignore[operator]


if __name__ == "__main__":
    main()

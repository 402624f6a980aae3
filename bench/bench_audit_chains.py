"""Audited writes per second from N compounds in parallel: per-compound chains vs the old single chain.

Run from the repository root:  .venv/bin/python bench/bench_audit_chains.py [--compounds 8] [--writes 300]

Both runs use throw-away PostgreSQL databases on 127.0.0.1:5432 (ANJU_BENCH_PG_URL), migrated to head, and N
writer processes (one per compound) that each commit `--writes` transactions of one audited write: a row
update standing for the domain write, then `record_change`, then `--hold-ms` of waiting inside the transaction
(`pg_sleep`, standing for the rest of a request before its commit: more statements, the outbox row, network
round trips; the chain lock is held until commit), then commit. `--hold-ms 0` measures the bare append.

- baseline: the code before issue 19, reproduced by swapping the chain lock and head lookup for the old ones
  (one advisory lock for the whole table, the head is the table's last row), so all compounds queue;
- per-compound: the code as it is (one lock and chain per compound).

Prints writes/s of each and the ratio per-compound / baseline, and verifies every chain afterwards.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import time
from typing import Any

os.environ.setdefault("ANJU_ENV", "development")
os.environ.setdefault("ANJU_SECRET_KEY", "bench-secret-key")

from sqlalchemy import text

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import fresh_pg_database


def _old_single_chain() -> None:
    """Make this process append the way core/audit.py did before issue 19: one lock, one global head."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from anju.core import audit

    def lock(session: Session, model: Any, compound_id: int | None) -> None:
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": audit._LOCK_KEYS[model]})

    def head(session: Session, model: Any, compound_id: int | None) -> str:
        last = session.execute(select(model.row_hash).order_by(model.id.desc()).limit(1)).scalar_one_or_none()
        return last or ""

    audit._lock_chain = lock  # type: ignore[assignment]
    audit._chain_head = head  # type: ignore[assignment]


def writer(url: str, compound_id: int, writes: int, hold: float, old: bool, start: Any) -> None:
    os.environ["ANJU_DATABASE_URL"] = url
    import anju.models  # noqa: F401 - every mapped table, for the ORM's flush
    from anju.core import db as core_db
    from anju.core.audit import record_change
    from anju.core.config import reset_settings

    reset_settings()
    core_db.set_engine(core_db.make_engine(url))
    if old:
        _old_single_chain()
    start.wait()
    for n in range(writes):
        with core_db.transaction() as s:
            s.execute(text("UPDATE bench_thing SET n = n + 1 WHERE id = :c"), {"c": compound_id})
            record_change(
                s,
                user_id=None,
                compound_id=compound_id,
                entity="house",
                entity_id=n,
                action="update",
                before={"n": n},
                after={"n": n + 1},
            )
            if hold:
                s.execute(text("SELECT pg_sleep(:h)"), {"h": hold})


def run(compounds: int, writes: int, hold: float, old: bool) -> tuple[float, dict[str, Any]]:
    url, drop = fresh_pg_database("audit")
    try:
        from anju.core import db as core_db
        from anju.core.audit import ObjectChange, verify_chains

        with core_db.transaction() as s:
            s.execute(text("CREATE TABLE bench_thing (id int PRIMARY KEY, n int NOT NULL)"))
            for c in range(1, compounds + 1):
                s.execute(text("INSERT INTO bench_thing VALUES (:c, 0)"), {"c": c})
        ctx = mp.get_context("spawn")
        start = ctx.Event()
        procs = [ctx.Process(target=writer, args=(url, c, writes, hold, old, start)) for c in range(1, compounds + 1)]
        for p in procs:
            p.start()
        time.sleep(3)  # let every writer import and connect before the clock starts
        t0 = time.perf_counter()
        start.set()
        for p in procs:
            p.join()
        wall = time.perf_counter() - t0
        if any(p.exitcode for p in procs):
            sys.exit("a writer failed")
        with core_db.new_session() as s:
            reports = verify_chains(s, ObjectChange)
        summary = {
            "chains": len(reports),
            "rows": sum(r.rows for r in reports.values()),
            "broken": sum(len(r.broken_at) for r in reports.values()),
        }
        return compounds * writes / wall, summary
    finally:
        from anju.core import db as core_db

        core_db.set_engine(None)
        drop()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--compounds", type=int, default=8)
    ap.add_argument("--writes", type=int, default=200, help="transactions per compound")
    ap.add_argument("--hold-ms", type=float, default=5.0, help="time in the transaction after the audit write")
    args = ap.parse_args()
    print(
        f"PostgreSQL, {args.compounds} compounds in parallel (one process each), {args.writes} audited writes each,"
        f" {args.hold_ms:g} ms more in each transaction after the audit write"
    )
    hold = args.hold_ms / 1000
    old_rate, _ = run(args.compounds, args.writes, hold, old=True)
    print(f"  single chain (before issue 19): {old_rate:8.0f} writes/s")
    new_rate, new_summary = run(args.compounds, args.writes, hold, old=False)
    print(f"  per-compound chains:            {new_rate:8.0f} writes/s")
    print(f"  ratio per-compound / single:    {new_rate / old_rate:8.2f}x")
    print(
        f"  per-compound verify: {new_summary['chains']} chains, {new_summary['rows']} rows, "
        f"{new_summary['broken']} broken rows"
    )
    if new_summary["broken"] or new_summary["rows"] != args.compounds * args.writes:
        sys.exit("per-compound chains did not verify")


if __name__ == "__main__":
    main()

"""Monthly billing benchmark: a billing run for every house of the demo compound, against a
bare bulk insert of the same bill rows in the same run.

Run from the repository root:  .venv/bin/python bench/fees_billing.py [--small] [--pg URL]

Times (1) the billing run for a new month (reads houses, areas, vehicles and items, computes
every amount, one INSERT … ON CONFLICT DO NOTHING RETURNING per 1,000 rows), (2) the same run
again (the idempotent re-run: nothing new), and (3) the baseline: a bare executemany INSERT of
the same rows into another month. Prints the ratios run/baseline and re-run/baseline.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("ANJU_ENV", "development")
os.environ.setdefault("ANJU_SECRET_KEY", "bench-secret-key")
sys.path.insert(0, str(Path(__file__).parent))

from _common import fresh_demo_db


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", action="store_true", help="the small test compound instead of the full demo")
    parser.add_argument("--pg", default=None, help="an empty PostgreSQL database URL to use instead of SQLite")
    args = parser.parse_args()
    url, build = fresh_demo_db(args.pg, full=not args.small)

    from sqlalchemy import func, select

    from anju.core.db import transaction
    from anju.fees.models import Bill
    from anju.fees.service import fee_service
    from anju.registry.models import Compound

    with transaction() as s:
        a = s.execute(select(Compound.id).where(Compound.code == "SFXQ")).scalar_one()
    t0 = time.perf_counter()
    with transaction() as s:
        first = fee_service.run_billing(s, by=None, compound_id=a, period="2040-01")
    run = time.perf_counter() - t0
    t0 = time.perf_counter()
    with transaction() as s:
        again = fee_service.run_billing(s, by=None, compound_id=a, period="2040-01")
    rerun = time.perf_counter() - t0
    with transaction() as s:
        rows = [
            {
                c: getattr(b, c)
                for c in (
                    "compound_id",
                    "house_id",
                    "item_id",
                    "payer_kind",
                    "quantity",
                    "basis",
                    "amount_fen",
                    "paid_fen",
                    "refunded_fen",
                    "status",
                    "due_on",
                    "created_at",
                )
            }
            | {"period": "2040-02"}
            for b in s.execute(select(Bill).where(Bill.period == "2040-01")).scalars()
        ]
    t0 = time.perf_counter()
    with transaction() as s:
        s.execute(Bill.__table__.insert(), rows)
    base = time.perf_counter() - t0
    with transaction() as s:
        n = s.execute(select(func.count()).select_from(Bill).where(Bill.period == "2040-02")).scalar_one()
    assert first.created == n == len(rows) and again.created == 0
    print(f"database: {url.split(':', 1)[0]}  demo build {build:.1f}s  bills per month: {n}")
    print(f"billing run      {run * 1000:8.1f} ms   ratio to bare insert {run / base:5.2f}x")
    print(f"idempotent rerun {rerun * 1000:8.1f} ms   ratio to bare insert {rerun / base:5.2f}x  (created 0)")
    print(f"bare insert      {base * 1000:8.1f} ms   (baseline, same rows)")


if __name__ == "__main__":
    main()

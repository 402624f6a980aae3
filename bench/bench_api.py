"""API overhead: our endpoints vs bare endpoints doing the same query, same process.

Run: .venv/bin/python bench/bench_api.py [--pg postgresql+psycopg://postgres@127.0.0.1:5432/DBNAME]
Prints the demo build time and, per endpoint, the ratio of our endpoint's time to
a bare FastAPI endpoint that runs the equivalent SQL without auth, scoping,
masking or schemas. Both go through the same in-process ASGI client.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import fresh_demo_db


def timed(fn, n: int) -> float:  # type: ignore[no-untyped-def]
    fn()  # warm-up
    started = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - started) / n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pg", help="PostgreSQL URL of an EMPTY database to use instead of SQLite")
    ap.add_argument("-n", type=int, default=200)
    args = ap.parse_args()
    url, build_s = fresh_demo_db(args.pg)
    print(f"demo build (2 compounds, ~2,070 houses, ~5,200 people): {build_s:.1f} s on {url.split(':')[0]}")

    from fastapi import FastAPI
    from fastapi.testclient import TestClient
    from sqlalchemy import text

    from anju.core.db import new_session
    from anju.main import create_app
    from anju.sim.demo import DEMO_PASSWORD

    app = create_app()
    bare = FastAPI()

    @bare.get("/people")
    def bare_people() -> list[dict[str, object]]:
        with new_session() as s:
            rows = s.execute(
                text("SELECT id, name, phone_masked FROM person WHERE compound_id = 1 ORDER BY id LIMIT 50")
            ).all()
        return [{"id": r[0], "name": r[1], "phone": r[2]} for r in rows]

    @bare.get("/health")
    def bare_health() -> dict[str, str]:
        with new_session() as s:
            s.execute(text("SELECT 1"))
        return {"status": "ok"}

    ours, base = TestClient(app), TestClient(bare)
    token = ours.post("/api/v1/auth/token", json={"username": "manager_wang", "password": DEMO_PASSWORD}).json()
    h = {"Authorization": f"Bearer {token['access_token']}"}
    cases = [
        ("GET /api/v1/health", lambda: ours.get("/api/v1/health"), lambda: base.get("/health")),
        (
            "GET /api/v1/people (50, masked, scoped)",
            lambda: ours.get("/api/v1/people?page_size=50", headers=h),
            lambda: base.get("/people"),
        ),
    ]
    for name, a, b in cases:
        t_ours, t_bare = timed(a, args.n), timed(b, args.n)
        print(f"{name}: ours {t_ours * 1000:.2f} ms, bare {t_bare * 1000:.2f} ms, ratio {t_ours / t_bare:.2f}x")
    t = timed(lambda: ours.get("/api/v1/analytics/overview", headers=h), max(10, args.n // 10))
    print(f"GET /api/v1/analytics/overview (大屏 aggregates over ~5,200 people): {t * 1000:.1f} ms")


if __name__ == "__main__":
    main()

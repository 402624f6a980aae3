"""Shared bench set-up: a fresh demo database in a temp folder, or an empty migrated PostgreSQL database."""

from __future__ import annotations

import math
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

PG_ADMIN_URL = os.environ.get("ANJU_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def fresh_demo_db(pg_url: str | None = None, *, full: bool = True) -> tuple[str, float]:
    """Create, migrate and seed a database; returns its URL and the demo build seconds."""
    if pg_url:
        url = pg_url
    else:
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='anju-bench-')) / 'bench.db'}"
    os.environ["ANJU_DATABASE_URL"] = url
    from anju.core import db as core_db
    from anju.core.config import reset_settings
    from anju.core.migrate import upgrade
    from anju.sim.demo import MAIN, SECOND, SMALL, build_demo
    from anju.startup import post_upgrade

    reset_settings()
    core_db.set_engine(core_db.make_engine(url))
    upgrade()
    post_upgrade()
    started = time.perf_counter()
    with core_db.transaction() as s:
        build_demo(s, main_spec=MAIN if full else SMALL, second_spec=SECOND)
    return url, time.perf_counter() - started


def paced(rate: float, seconds: float) -> Iterator[tuple[int, float]]:
    """A fixed schedule of rate * seconds steps: sleeps until each step's time, then yields (step, that time)."""
    start = time.perf_counter()
    for i in range(int(rate * seconds)):
        due = start + i / rate
        now = time.perf_counter()
        if now < due:
            time.sleep(due - now)
        yield i, due


def fixed_rate(fn: Callable[[], object], rate: float, seconds: float) -> tuple[float, float]:
    """Open-loop load: call `fn` on a fixed schedule; p50 and p99 in ms, each counted from its scheduled time."""
    lat = []
    for _, due in paced(rate, seconds):
        fn()
        lat.append(time.perf_counter() - due)
    lat.sort()
    return statistics.median(lat) * 1000, lat[min(len(lat) - 1, math.ceil(0.99 * len(lat)) - 1)] * 1000


def fresh_pg_database(tag: str, admin_url: str = PG_ADMIN_URL) -> tuple[str, Callable[[], None]]:
    """A new PostgreSQL database (on the admin URL's server, default ANJU_BENCH_PG_URL) migrated to head and made the
    app's engine; its URL and a function that drops it."""
    from sqlalchemy import create_engine, text

    name = f"anju_bench_{tag}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"

    def drop() -> None:
        from anju.core import db as core_db

        core_db.get_engine().dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    os.environ["ANJU_DATABASE_URL"] = url
    import anju.models  # noqa: F401
    from anju.core import db as core_db
    from anju.core.config import reset_settings
    from anju.core.migrate import upgrade

    reset_settings()
    core_db.set_engine(core_db.make_engine(url))
    upgrade()
    return url, drop

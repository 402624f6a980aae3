"""Shared bench set-up: a fresh demo database in a temp folder."""

from __future__ import annotations

import math
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


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


def fixed_rate(fn: Callable[[], object], rate: float, seconds: float) -> tuple[float, float]:
    """Open-loop load: call `fn` on a fixed schedule; p50 and p99 in ms, each counted from its scheduled time."""
    lat = []
    start = time.perf_counter()
    for i in range(int(rate * seconds)):
        due = start + i / rate
        now = time.perf_counter()
        if now < due:
            time.sleep(due - now)
        fn()
        lat.append(time.perf_counter() - due)
    lat.sort()
    return statistics.median(lat) * 1000, lat[min(len(lat) - 1, math.ceil(0.99 * len(lat)) - 1)] * 1000

"""Shared bench set-up: a fresh demo database in a temp folder."""

from __future__ import annotations

import os
import tempfile
import time
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
    from anju.core.migrate import post_upgrade, upgrade
    from anju.sim.demo import MAIN, SECOND, SMALL, build_demo

    reset_settings()
    core_db.set_engine(core_db.make_engine(url))
    upgrade()
    post_upgrade()
    started = time.perf_counter()
    with core_db.transaction() as s:
        build_demo(s, main_spec=MAIN if full else SMALL, second_spec=SECOND)
    return url, time.perf_counter() - started

"""Entry point of the spawned worker processes in test_jobs (kept light to import)."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

RACE_JOBS = [f"test.race_{k:02d}" for k in range(20)]


def noop() -> None:
    """A job that does nothing; the race is about claiming it."""


def race_in_child(url: str, worker_id: str, barrier: Any, results: Any) -> None:
    """Same jobs, same database, one claim race per process."""
    os.environ["ANJU_DATABASE_URL"] = url
    from anju.core import db as core_db
    from anju.core.config import reset_settings
    from anju.core.jobs import job, run_due

    reset_settings()
    core_db.set_engine(core_db.make_engine(url))
    for name in RACE_JOBS:
        job(name, every=timedelta(hours=1))(noop)
    barrier.wait()
    results.put((worker_id, run_due(worker_id)))

"""Race helpers: `race(n, fn)` for threads, and the entry point of test_jobs' spawned processes.

Kept light to import: spawned processes import this module before anything else.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

T = TypeVar("T")
RACE_JOBS = [f"test.race_{k:02d}" for k in range(20)]


def race(n: int, fn: Callable[[int], T], *, timeout: float = 120.0) -> list[T]:
    """Run fn(0), …, fn(n-1) in n threads released together by a barrier; their results in order.

    Unlike bare threads, an exception in any thread fails the test (re-raised here), and a thread
    still running after `timeout` seconds fails it too instead of hanging the run.
    """
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait(timeout)
            results[i] = fn(i)
        except BaseException as e:  # noqa: BLE001 - re-raised in the test's thread below
            errors.append(e)
            barrier.abort()

    threads = [threading.Thread(target=run, args=(i,), name=f"race-{i}", daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    stuck = [t.name for t in threads if t.is_alive()]
    if stuck:
        raise AssertionError(f"race: {', '.join(stuck)} still running after {timeout:.0f} s")
    real = [e for e in errors if not isinstance(e, threading.BrokenBarrierError)]
    if real or errors:
        raise (real or errors)[0]
    return results


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

"""Full garbage collections after app start-up, with and without gc.freeze() (issue 20 item 14a).

Builds the app (every router, template environment, ORM mapper), then times a full collection
(the pause a request meets when generation 2 is due) before and after freezing the start-up
objects, in the same process. Prints absolute times and the ratio; no database needed.

    .venv/bin/python bench/bench_gc_freeze.py
"""

from __future__ import annotations

import gc
import os
import statistics
import time


def full_collections(n: int = 15) -> float:
    """Median milliseconds of a full collection."""
    times = []
    for _ in range(n):
        t = time.perf_counter()
        gc.collect()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main() -> None:
    os.environ.setdefault("ANJU_DATABASE_URL", "sqlite:///:memory:")
    from anju.main import create_app

    create_app(with_worker=False)
    tracked = len(gc.get_objects())
    before = full_collections()
    gc.collect()
    gc.freeze()
    after = full_collections()
    print(f"tracked objects after start-up: {tracked:,}; frozen: {gc.get_freeze_count():,}")
    ratio = before / max(after, 0.01)
    print(f"full collection: {before:.1f} ms unfrozen, {after:.2f} ms frozen, ratio {ratio:.0f}x")


if __name__ == "__main__":
    main()

"""Entry point of the `anju worker`-like process that test_jobs stops with SIGTERM (kept light to import).

Run as `python -m tests.core.job_worker <database url> <marker file>`: a worker whose one job,
`test.slow`, writes the marker when it starts and then works for two seconds.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from datetime import timedelta
from pathlib import Path


def slow_job(marker: Path) -> None:
    marker.write_text("started")
    time.sleep(2)  # the work in hand when SIGTERM arrives
    marker.write_text("finished")


def main(url: str, marker: str) -> None:
    os.environ["ANJU_DATABASE_URL"] = url
    logging.basicConfig(level=logging.INFO)
    from anju.core import db as core_db
    from anju.core.config import reset_settings
    from anju.core.jobs import Worker, job

    reset_settings()
    core_db.set_engine(core_db.make_engine(url))
    job("test.slow", every=timedelta(hours=1))(lambda: slow_job(Path(marker)))
    w = Worker("sigterm-worker", poll_seconds=0.1)
    w.install_signal_handlers()  # what `anju worker` does
    w.run_forever()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

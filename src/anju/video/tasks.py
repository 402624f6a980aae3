"""Video jobs: evidence retention (R-A1), in batches under the job lease."""

from __future__ import annotations

from datetime import datetime, timedelta

from anju.core.db import transaction, utcnow
from anju.core.jobs import in_batches, job
from anju.video.service import video_service

BATCH = 200


@job("video.purge_evidence", every=timedelta(minutes=10))
def purge_evidence() -> None:
    purge_expired()


def purge_expired(now: datetime | None = None) -> int:
    """Delete evidence past retention and past any legal hold, batch by batch."""
    now = now or utcnow()

    def batch() -> int:
        with transaction() as session:
            return video_service.purge(session, now=now, limit=BATCH)

    return in_batches(batch, batch=BATCH, budget=timedelta(seconds=30))

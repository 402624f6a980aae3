"""Scheduled jobs with leases: two workers never run the same due job twice.

Each job is a row in `scheduled_job`. A worker claims a due job with one
conditional UPDATE that moves `next_run_at` forward and takes a lease; only the
worker whose UPDATE matched the old `next_run_at` runs it (compare-and-swap,
safe on PostgreSQL and SQLite alike). Every run leaves a `job_run` row.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, Integer, String, Text, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column

from anju.core.db import Base, UTCDateTime, new_session, utcnow

log = logging.getLogger("anju.jobs")


class ScheduledJob(Base):
    __tablename__ = "scheduled_job"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    every_seconds: Mapped[int] = mapped_column(Integer)
    next_run_at: Mapped[datetime] = mapped_column(UTCDateTime())
    locked_by: Mapped[str | None] = mapped_column(String(64))
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_status: Mapped[str | None] = mapped_column(String(12))


class JobRun(Base):
    __tablename__ = "job_run"
    id: Mapped[int] = mapped_column(primary_key=True)
    job_name: Mapped[str] = mapped_column(ForeignKey("scheduled_job.name"), index=True)
    worker_id: Mapped[str] = mapped_column(String(64))
    scheduled_for: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(12), default="running")  # running|ok|failed
    error: Mapped[str | None] = mapped_column(Text)


@dataclass(frozen=True)
class JobSpec:
    name: str
    every: timedelta
    fn: Callable[[], None]


_jobs: dict[str, JobSpec] = {}


def job(name: str, *, every: timedelta) -> Callable[[Callable[[], None]], Callable[[], None]]:
    """Register a periodic job; it opens its own transaction (the job boundary)."""

    def deco(fn: Callable[[], None]) -> Callable[[], None]:
        _jobs[name] = JobSpec(name, every, fn)
        return fn

    return deco


def registered_jobs() -> dict[str, JobSpec]:
    return dict(_jobs)


def sync_schedule() -> None:
    """Make sure every registered job has its schedule row, at its current interval (idempotent)."""
    with new_session() as session:
        existing = {j.name: j for j in session.execute(select(ScheduledJob)).scalars()}
        now = utcnow()
        for spec in _jobs.values():
            every = int(spec.every.total_seconds())
            row = existing.get(spec.name)
            if row is None:
                session.add(ScheduledJob(name=spec.name, every_seconds=every, next_run_at=now))
            elif row.every_seconds != every:  # the interval changed in code
                row.every_seconds = every
                row.next_run_at = min(row.next_run_at, now + spec.every)
        try:
            session.commit()
        except Exception:  # noqa: BLE001  (a rival worker inserted the same rows)
            session.rollback()


def claim(name: str, worker_id: str, lease: timedelta) -> datetime | None:
    """Claim one due run of a job; returns the scheduled time, or None if not ours."""
    with new_session() as session:
        row = session.get(ScheduledJob, name)
        now = utcnow()
        if row is None or row.next_run_at > now:
            return None
        if row.locked_until is not None and row.locked_until > now:
            return None
        scheduled_for = row.next_run_at
        nxt = max(scheduled_for + timedelta(seconds=row.every_seconds), now)
        res = session.execute(
            update(ScheduledJob)
            .where(
                ScheduledJob.name == name,
                ScheduledJob.next_run_at == scheduled_for,
                or_(ScheduledJob.locked_until.is_(None), ScheduledJob.locked_until <= now),
            )
            .values(next_run_at=nxt, locked_by=worker_id, locked_until=now + lease)
        )
        if res.rowcount != 1:  # type: ignore[attr-defined]
            session.rollback()
            return None  # another worker claimed this run first
        session.commit()
        return scheduled_for


def run_due(worker_id: str, lease: timedelta = timedelta(minutes=5)) -> list[str]:
    """Run every due job this worker can claim; returns the names it ran."""
    ran: list[str] = []
    for spec in list(_jobs.values()):
        scheduled_for = claim(spec.name, worker_id, lease)
        if scheduled_for is None:
            continue
        with new_session() as session:
            run = JobRun(job_name=spec.name, worker_id=worker_id, scheduled_for=scheduled_for)
            session.add(run)
            session.commit()
            run_id = run.id
        status, error = "ok", None
        try:
            spec.fn()
        except Exception:
            log.exception("job %s failed", spec.name)
            status, error = "failed", traceback.format_exc(limit=5)
        with new_session() as session:
            r = session.get(JobRun, run_id)
            assert r is not None
            r.status, r.error, r.finished_at = status, error, utcnow()
            session.execute(
                update(ScheduledJob)
                .where(ScheduledJob.name == spec.name)
                .values(locked_by=None, locked_until=None, last_run_at=utcnow(), last_status=status)
            )
            session.commit()
        ran.append(spec.name)
    return ran


class Worker:
    """The `anju worker` loop: deliver outbox events and run due jobs until stopped."""

    def __init__(
        self, worker_id: str, poll_seconds: float = 1.0, lease_seconds: int = 60, max_attempts: int = 10
    ) -> None:
        self.worker_id = worker_id
        self.poll_seconds = poll_seconds
        self.lease_seconds = lease_seconds
        self.max_attempts = max_attempts
        self._stop = threading.Event()

    def tick(self) -> int:
        from anju.core.events import deliver_pending

        n = deliver_pending(worker_id=self.worker_id, lease_seconds=self.lease_seconds, max_attempts=self.max_attempts)
        run_due(self.worker_id)
        return n

    def run_forever(self) -> None:
        # Subscribers and jobs are registered by the caller (anju.startup.register_all()).
        sync_schedule()
        log.info("worker %s started", self.worker_id)
        while not self._stop.is_set():
            try:
                busy = self.tick()
            except Exception:
                log.exception("worker tick failed")
                busy = 0
            if not busy:
                self._stop.wait(self.poll_seconds)

    def stop(self) -> None:
        self._stop.set()

    def start_thread(self) -> threading.Thread:
        t = threading.Thread(target=self.run_forever, name=f"anju-worker-{self.worker_id}", daemon=True)
        t.start()
        return t

"""Scheduled jobs with leases: two workers never run the same due job twice.

Each job is a row in `scheduled_job`. A worker claims a due job with one
conditional UPDATE that moves `next_run_at` forward and takes a lease; only the
worker whose UPDATE matched the old `next_run_at` runs it (compare-and-swap,
safe on PostgreSQL and SQLite alike). Every run leaves a `job_run` row.

Leases are sized to the job (its interval, 10 s to 60 s) and renewed while it runs, so a worker
killed mid-run (kill -9) holds a 5-second job back for seconds, not minutes; a run it left
"running" is closed as `abandoned` by the next claim or the worker's sweep. On SIGTERM/SIGINT a
worker finishes the item in hand, then releases its leases (jobs and outbox events) and exits.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import FrameType

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
    status: Mapped[str] = mapped_column(String(12), default="running")  # running|ok|failed|abandoned
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


MIN_LEASE = timedelta(seconds=10)
MAX_LEASE = timedelta(seconds=60)


def in_batches(step: Callable[[], int], *, batch: int, budget: timedelta) -> int:
    """Run `step` (one committed batch; returns how many rows it handled) until a short batch or the budget ends.

    For retention jobs: short transactions (SQLite's single writer and the gateway wait only for one batch),
    and a backlog shrinks run after run instead of by a fixed amount per run.
    """
    total, deadline = 0, time.monotonic() + budget.total_seconds()
    while True:
        n = step()
        total += n
        if n < batch or time.monotonic() >= deadline:
            return total


def lease_for(every: timedelta) -> timedelta:
    """A run's lease: the job's interval, at least 10 s and at most 60 s (renewed while the job runs).

    Short enough that a killed worker holds a 5-second job back for ~10 s, not 5 minutes; a job that
    runs longer than its lease keeps it by renewal (every third of the lease).
    """
    return max(MIN_LEASE, min(MAX_LEASE, every))


class _LeaseKeeper:
    """Renews a running job's lease every third of it, from a side thread, until the job ends."""

    def __init__(self, name: str, worker_id: str, lease: timedelta) -> None:
        self.name, self.worker_id, self.lease = name, worker_id, lease
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{name}", daemon=True)

    def __enter__(self) -> _LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._done.wait(self.lease.total_seconds() / 3):
            try:
                with new_session() as session:
                    res = session.execute(
                        update(ScheduledJob)
                        .where(ScheduledJob.name == self.name, ScheduledJob.locked_by == self.worker_id)
                        .values(locked_until=utcnow() + self.lease)
                    )
                    session.commit()
                if res.rowcount != 1:  # type: ignore[attr-defined]
                    log.warning("job %s: lease of %s was taken over", self.name, self.worker_id)
            except Exception:
                log.warning("job %s: could not renew the lease", self.name, exc_info=True)


ABANDONED = "the worker stopped without finishing this run (killed?); its lease expired"


def close_stale_runs(name: str | None = None) -> int:
    """Close `job_run` rows left "running" by a worker that died: no live lease of that worker covers them.

    With `name`, called right after claiming that job: then no one else holds it, so every run of it
    still "running" is stale (even one from an earlier process with the same worker id).
    """
    now = utcnow()
    with new_session() as session:
        if name is not None:
            stale = select(JobRun.id).where(JobRun.job_name == name, JobRun.status == "running")
        else:
            stale = (
                select(JobRun.id)
                .join(ScheduledJob, ScheduledJob.name == JobRun.job_name)
                .where(
                    JobRun.status == "running",
                    or_(
                        ScheduledJob.locked_until.is_(None),
                        ScheduledJob.locked_until < now,
                        ScheduledJob.locked_by.is_(None),
                        ScheduledJob.locked_by != JobRun.worker_id,
                    ),
                )
            )
        ids = list(session.execute(stale).scalars())
        if not ids:
            return 0
        res = session.execute(
            update(JobRun)
            .where(JobRun.id.in_(ids), JobRun.status == "running")
            .values(status="abandoned", finished_at=now, error=ABANDONED)
        )
        session.commit()
        n = int(res.rowcount)  # type: ignore[attr-defined]
    if n:
        log.warning("closed %d abandoned job run(s)%s", n, f" of {name}" if name else "")
    return n


def release_leases(worker_id: str) -> None:
    """Give back every job lease this worker holds (graceful shutdown), so another worker runs them now."""
    with new_session() as session:
        session.execute(
            update(ScheduledJob).where(ScheduledJob.locked_by == worker_id).values(locked_by=None, locked_until=None)
        )
        session.commit()


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


def claim(name: str, worker_id: str, lease: timedelta | None = None) -> datetime | None:
    """Claim one due run of a job; returns the scheduled time, or None if not ours."""
    with new_session() as session:
        row = session.get(ScheduledJob, name)
        now = utcnow()
        if row is None or row.next_run_at > now:
            return None
        if row.locked_until is not None and row.locked_until > now:
            return None
        scheduled_for = row.next_run_at
        every = timedelta(seconds=row.every_seconds)
        lease = lease or lease_for(every)
        nxt = max(scheduled_for + every, now)
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


def run_due(
    worker_id: str, lease: timedelta | None = None, *, should_stop: Callable[[], bool] | None = None
) -> list[str]:
    """Run every due job this worker can claim; returns the names it ran.

    `lease` overrides the per-job lease (`lease_for`); `should_stop` is asked before each job.
    """
    ran: list[str] = []
    for spec in list(_jobs.values()):
        if should_stop is not None and should_stop():
            break
        job_lease = lease or lease_for(spec.every)
        scheduled_for = claim(spec.name, worker_id, job_lease)
        if scheduled_for is None:
            continue
        close_stale_runs(spec.name)  # we hold the job now: any run of it still "running" was abandoned
        with new_session() as session:
            run = JobRun(job_name=spec.name, worker_id=worker_id, scheduled_for=scheduled_for)
            session.add(run)
            session.commit()
            run_id = run.id
        status, error = "ok", None
        try:
            with _LeaseKeeper(spec.name, worker_id, job_lease):
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
                .where(ScheduledJob.name == spec.name, ScheduledJob.locked_by == worker_id)
                .values(locked_by=None, locked_until=None)
            )
            session.execute(
                update(ScheduledJob)
                .where(ScheduledJob.name == spec.name)
                .values(last_run_at=utcnow(), last_status=status)
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
        self._last_sweep = 0.0
        self.stopped = threading.Event()  # set once the loop has ended and the leases are released
        self._thread: threading.Thread | None = None

    def tick(self) -> int:
        from anju.core.bus import bus_settings
        from anju.core.events import deliver_pending

        stopping = self._stop.is_set
        bus = bus_settings()
        n = deliver_pending(
            worker_id=self.worker_id,
            lease_seconds=self.lease_seconds,
            max_attempts=self.max_attempts,
            should_stop=stopping,
            # When handlers consume from the bus (`anju consume`), the poller only sweeps up what it left behind.
            min_age=timedelta(seconds=bus.bus_sweep_after_s) if bus.bus_delivery and bus.nats_url else None,
        )
        if time.monotonic() - self._last_sweep > 60:
            self._last_sweep = time.monotonic()
            close_stale_runs()
        run_due(self.worker_id, should_stop=stopping)
        return n

    def run_forever(self) -> None:
        # Subscribers and jobs are registered by the caller (anju.startup.register_all()).
        sync_schedule()
        log.info("worker %s started", self.worker_id)
        try:
            while not self._stop.is_set():
                try:
                    busy = self.tick()
                except Exception:
                    log.exception("worker tick failed")
                    busy = 0
                if not busy:
                    self._stop.wait(self.poll_seconds)
        finally:
            self._release()
            self.stopped.set()
            log.info("worker %s stopped", self.worker_id)

    def _release(self) -> None:
        from anju.core.events import release_claims

        try:
            release_leases(self.worker_id)
            release_claims(self.worker_id)
        except Exception:
            log.warning("worker %s could not release its leases", self.worker_id, exc_info=True)

    def stop(self, wait: float = 10.0) -> None:
        """Ask the loop to end after the item in hand (a job, an event); leases are then released.

        Called from another thread (the web app's shutdown for the in-process worker), it waits up to
        `wait` seconds for that, so the process does not exit before the leases are given back.
        """
        self._stop.set()
        t = self._thread
        if t is not None and t is not threading.current_thread() and t.is_alive():
            self.stopped.wait(wait)

    def install_signal_handlers(self) -> None:
        """SIGTERM and SIGINT stop the worker gracefully; a second signal ends it at once."""
        import signal

        def _graceful(signum: int, frame: FrameType | None) -> None:
            log.warning("worker %s: %s received, finishing the current item", self.worker_id, signal.strsignal(signum))
            self.stop()
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.default_int_handler)

        signal.signal(signal.SIGTERM, _graceful)
        signal.signal(signal.SIGINT, _graceful)

    def start_thread(self) -> threading.Thread:
        t = threading.Thread(target=self.run_forever, name=f"anju-worker-{self.worker_id}", daemon=True)
        self._thread = t
        t.start()
        return t

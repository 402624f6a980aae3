"""Scheduled jobs (R8): a due run is claimed by exactly one worker, every run leaves a
job_run row, and a failing job is recorded and rescheduled."""

from __future__ import annotations

import multiprocessing
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from anju.core import jobs
from anju.core.db import utcnow
from anju.core.jobs import JobRun, ScheduledJob, claim, job, run_due
from tests.core.databases import dedicated_database
from tests.core.job_race import RACE_JOBS, race, race_in_child
from tests.core.job_race import noop as _noop


@pytest.fixture
def registry() -> Iterator[Callable[[str], Callable[[Callable[[], None]], Callable[[], None]]]]:
    """Register test-only jobs; the registry is restored afterwards."""
    saved = dict(jobs._jobs)

    def register(
        name: str, every: timedelta = timedelta(hours=1)
    ) -> Callable[[Callable[[], None]], Callable[[], None]]:
        return job(name, every=every)

    yield register
    jobs._jobs.clear()
    jobs._jobs.update(saved)


def _due_row(name: str, every: timedelta = timedelta(hours=1)) -> ScheduledJob:
    return ScheduledJob(
        name=name, every_seconds=int(every.total_seconds()), next_run_at=utcnow() - timedelta(minutes=1)
    )


class TestRunDue:
    def test_runs_a_due_job_once_and_records_it(self, session, registry):
        ran: list[str] = []
        registry("test.ok")(lambda: ran.append("x"))
        session.add(_due_row("test.ok"))
        session.flush()
        assert run_due("w1") == ["test.ok"]
        assert run_due("w1") == []  # next run is an hour away
        assert ran == ["x"]
        runs = session.execute(select(JobRun).where(JobRun.job_name == "test.ok")).scalars().all()
        assert [(r.status, r.worker_id) for r in runs] == [("ok", "w1")]
        assert runs[0].finished_at is not None

    def test_failing_job_is_recorded_and_rescheduled(self, session, registry):
        @registry("test.broken")
        def broken() -> None:
            raise RuntimeError("disk full")

        session.add(_due_row("test.broken"))
        session.flush()
        before = utcnow()
        assert run_due("w1") == ["test.broken"]
        run = session.execute(select(JobRun).where(JobRun.job_name == "test.broken")).scalar_one()
        assert run.status == "failed" and "disk full" in (run.error or "")
        row = session.get(ScheduledJob, "test.broken")
        session.refresh(row)
        assert row.last_status == "failed"
        assert row.next_run_at > before  # rescheduled, not stuck
        assert row.locked_by is None and row.locked_until is None

    def test_job_without_schedule_row_does_not_run(self, session, registry):
        ran: list[int] = []
        registry("test.unscheduled")(lambda: ran.append(1))
        assert "test.unscheduled" not in run_due("w1")
        assert ran == []

    def test_claim_respects_a_live_lease(self, session, registry):
        registry("test.leased")(_noop)
        row = _due_row("test.leased")
        row.locked_by, row.locked_until = "other", utcnow() + timedelta(minutes=5)
        session.add(row)
        session.flush()
        assert claim("test.leased", "w1", timedelta(minutes=5)) is None

    def test_sync_schedule_adds_missing_rows_once(self, session, registry):
        registry("test.synced")(_noop)
        jobs.sync_schedule()
        jobs.sync_schedule()
        n = session.execute(
            select(func.count()).select_from(ScheduledJob).where(ScheduledJob.name == "test.synced")
        ).scalar_one()
        assert n == 1

    def test_sync_schedule_follows_a_changed_interval(self, session, registry):
        registry("test.interval", every=timedelta(hours=1))(_noop)
        jobs.sync_schedule()
        registry("test.interval", every=timedelta(minutes=5))(_noop)
        jobs.sync_schedule()
        row = session.get(ScheduledJob, "test.interval")
        session.refresh(row)
        assert row.every_seconds == 300

    def test_privacy_job_is_registered(self):
        import anju.handlers  # noqa: F401

        assert "privacy.flag_overdue_requests" in jobs.registered_jobs()


def _seed_race_rows(url: str) -> None:
    eng = create_engine(url)
    with eng.begin() as conn:
        conn.execute(
            ScheduledJob.__table__.insert(),
            [{"name": n, "every_seconds": 3600, "next_run_at": utcnow() - timedelta(minutes=1)} for n in RACE_JOBS],
        )
    eng.dispose()


def _count_runs(url: str) -> dict[str, int]:
    eng = create_engine(url)
    with eng.connect() as conn:
        rows = conn.execute(select(JobRun.job_name, func.count()).group_by(JobRun.job_name)).all()
    eng.dispose()
    return {name: int(n) for name, n in rows}


def _race_in_thread(worker_id: str, out: dict[str, list[str]]) -> None:
    out[worker_id] = run_due(worker_id)


class TestConcurrentWorkers:
    def test_two_threads_claim_each_due_run_exactly_once(self, tmp_path, registry):
        for name in RACE_JOBS:
            registry(name)(_noop)
        with dedicated_database(tmp_path, "jobs_threads") as (url, _):
            _seed_race_rows(url)
            out: dict[str, list[str]] = {}
            race(2, lambda i: _race_in_thread(("w1", "w2")[i], out))
            runs = _count_runs(url)
        assert runs == dict.fromkeys(RACE_JOBS, 1)
        assert sorted(out["w1"] + out["w2"]) == sorted(RACE_JOBS)

    def test_two_processes_claim_each_due_run_exactly_once(self, tmp_path):
        ctx = multiprocessing.get_context("spawn")
        with dedicated_database(tmp_path, "jobs_procs") as (url, _):
            _seed_race_rows(url)
            barrier = ctx.Barrier(2)
            results = ctx.Queue()
            procs = [ctx.Process(target=race_in_child, args=(url, w, barrier, results)) for w in ("p1", "p2")]
            for p in procs:
                p.start()
            got = dict(results.get(timeout=120) for _ in procs)
            for p in procs:
                p.join(timeout=60)
            assert all(p.exitcode == 0 for p in procs)
            runs = _count_runs(url)
        assert runs == dict.fromkeys(RACE_JOBS, 1)
        assert sorted(got["p1"] + got["p2"]) == sorted(RACE_JOBS)


class TestStoppedWorkerFreezesItsScheduledJob:
    """Item 11: leases sized to the job and renewed, graceful SIGTERM, abandoned runs closed."""

    def test_stopped_worker_freezes_its_scheduled_job_lease_sized_to_the_interval(self, session, registry):
        registry("test.fast", every=timedelta(seconds=5))(_noop)
        session.add(_due_row("test.fast", every=timedelta(seconds=5)))
        session.flush()
        before = utcnow()
        assert claim("test.fast", "w1") is not None
        row = session.get(ScheduledJob, "test.fast")
        session.refresh(row)
        # A worker killed now holds this 5-second job back for ~10 s, not 5 minutes.
        assert row.locked_until - before <= timedelta(seconds=11)
        assert jobs.lease_for(timedelta(hours=6)) == timedelta(seconds=60)

    def test_stopped_worker_freezes_its_scheduled_job_abandoned_run_is_closed(self, session, registry):
        ran: list[str] = []
        registry("test.killed", every=timedelta(seconds=5))(lambda: ran.append("x"))
        long_ago = utcnow() - timedelta(minutes=10)
        session.add(
            ScheduledJob(
                name="test.killed",
                every_seconds=5,
                next_run_at=long_ago,
                locked_by="dead-worker",
                locked_until=long_ago + timedelta(seconds=10),
            )
        )
        session.flush()
        session.add(
            JobRun(job_name="test.killed", worker_id="dead-worker", scheduled_for=long_ago, started_at=long_ago)
        )
        session.flush()
        assert run_due("w2") == ["test.killed"] and ran == ["x"]
        runs = session.execute(select(JobRun).where(JobRun.job_name == "test.killed").order_by(JobRun.id)).scalars()
        assert [(r.worker_id, r.status) for r in runs] == [("dead-worker", "abandoned"), ("w2", "ok")]

    def test_stopped_worker_freezes_its_scheduled_job_sweep_closes_runs_without_a_lease(self, session, registry):
        registry("test.rare", every=timedelta(hours=6))(_noop)
        t = utcnow() - timedelta(hours=1)
        session.add(ScheduledJob(name="test.rare", every_seconds=21600, next_run_at=t + timedelta(hours=6)))
        session.flush()
        session.add(JobRun(job_name="test.rare", worker_id="gone", scheduled_for=t, started_at=t))
        live = ScheduledJob(
            name="test.live",
            every_seconds=60,
            next_run_at=utcnow() + timedelta(minutes=1),
            locked_by="alive",
            locked_until=utcnow() + timedelta(seconds=30),
        )
        session.add(live)
        session.flush()
        session.add(JobRun(job_name="test.live", worker_id="alive", scheduled_for=t, started_at=utcnow()))
        session.flush()
        assert jobs.close_stale_runs() == 1
        statuses = dict(
            session.execute(select(JobRun.job_name, JobRun.status).where(JobRun.worker_id.in_(["gone", "alive"]))).all()
        )
        assert statuses == {"test.rare": "abandoned", "test.live": "running"}

    def test_stopped_worker_freezes_its_scheduled_job_lease_is_renewed_while_running(self, tmp_path, registry):
        """A run longer than its lease keeps it: a second worker cannot start the same job meanwhile."""
        started = threading.Event()
        rival: list[object] = []

        @registry("test.long", every=timedelta(seconds=1))
        def long_job() -> None:
            started.set()
            time.sleep(2.0)

        with dedicated_database(tmp_path, "jobs_renew") as (url, _):
            eng = create_engine(url)
            with eng.begin() as conn:
                conn.execute(
                    ScheduledJob.__table__.insert(),
                    [{"name": "test.long", "every_seconds": 1, "next_run_at": utcnow() - timedelta(seconds=1)}],
                )
            eng.dispose()
            t = threading.Thread(target=run_due, args=("w1", timedelta(seconds=0.9)))
            t.start()
            assert started.wait(10)
            time.sleep(1.5)  # past the first lease and the next scheduled time
            rival.append(claim("test.long", "w2", timedelta(seconds=0.9)))
            t.join()
            assert rival == [None]

    def test_stopped_worker_freezes_its_scheduled_job_sigterm_finishes_and_releases(self, tmp_path):
        with dedicated_database(tmp_path, "jobs_sigterm") as (url, _):
            eng = create_engine(url)
            with eng.begin() as conn:
                conn.execute(
                    ScheduledJob.__table__.insert(),
                    [{"name": "test.slow", "every_seconds": 3600, "next_run_at": utcnow() - timedelta(seconds=1)}],
                )
                conn.execute(
                    ScheduledJob.__table__.insert(),
                    [{"name": "test.other", "every_seconds": 5, "next_run_at": utcnow() + timedelta(hours=1)}],
                )
            marker = tmp_path / "marker"
            proc = subprocess.Popen(
                [sys.executable, "-m", "tests.core.job_worker", url, str(marker)],
                cwd=Path(__file__).resolve().parents[2],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            try:
                deadline = time.monotonic() + 60
                while not marker.exists() and time.monotonic() < deadline and proc.poll() is None:
                    time.sleep(0.05)
                assert marker.exists(), proc.stderr.read().decode() if proc.poll() is not None else "no start"
                proc.send_signal(signal.SIGTERM)
                assert proc.wait(timeout=30) == 0
            finally:
                if proc.poll() is None:
                    proc.kill()
            assert marker.read_text() == "finished"  # the job in hand was finished, not cut off
            with eng.connect() as conn:
                runs = conn.execute(select(JobRun.job_name, JobRun.status)).all()
                locks = conn.execute(select(ScheduledJob.name, ScheduledJob.locked_by)).all()
            eng.dispose()
        assert runs == [("test.slow", "ok")]
        assert all(locked_by is None for _, locked_by in locks)

    def test_stopped_worker_freezes_its_scheduled_job_in_process_worker_releases_on_shutdown(self, tmp_path, registry):
        """`anju serve` stops its in-process worker on shutdown: the job in hand finishes and its lease is freed."""
        started, finished = threading.Event(), threading.Event()
        jobs._jobs.clear()  # only this job runs on the dedicated database

        @registry("test.inproc", every=timedelta(hours=1))
        def inproc() -> None:
            started.set()
            time.sleep(1.0)
            finished.set()

        with dedicated_database(tmp_path, "jobs_inproc") as (url, _):
            w = jobs.Worker("inprocess", poll_seconds=0.05)
            w.start_thread()
            assert started.wait(20)
            w.stop()  # what the app's shutdown does
            assert finished.is_set() and w.stopped.is_set()
            eng = create_engine(url)
            with eng.connect() as conn:
                row = conn.execute(select(ScheduledJob.locked_by, ScheduledJob.last_status)).one()
                run = conn.execute(select(JobRun.status)).scalar_one()
            eng.dispose()
        assert tuple(row) == (None, "ok") and run == "ok"

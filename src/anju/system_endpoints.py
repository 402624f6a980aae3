"""Health, and the state of the outbox and scheduled jobs (platform admin)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from sqlalchemy import func, select, text

from anju import __version__
from anju.core.auth import Principal, requires
from anju.core.deps import ReadSession
from anju.core.events import OutboxEvent
from anju.core.jobs import JobRun, ScheduledJob
from anju.core.rbac import KernelPerm

router = APIRouter(tags=["system"])
public_router = APIRouter(tags=["system"])
SystemReader = Annotated[Principal, requires(KernelPerm.system_read)]


@public_router.get("/health")
def health(session: ReadSession) -> dict[str, Any]:
    """Liveness and database reachability."""
    session.execute(text("SELECT 1"))
    return {"status": "ok", "version": __version__}


@router.get("/system/outbox")
def outbox_state(who: SystemReader, session: ReadSession) -> dict[str, Any]:
    """Outbox counts by status, and the latest dead events."""
    counts = dict(session.execute(select(OutboxEvent.status, func.count()).group_by(OutboxEvent.status)).all())
    dead = session.execute(
        select(OutboxEvent).where(OutboxEvent.status == "dead").order_by(OutboxEvent.id.desc()).limit(20)
    ).scalars()
    return {
        "counts": {str(k): int(v) for k, v in counts.items()},
        "dead": [{"id": e.id, "topic": e.topic, "attempts": e.attempts, "error": e.last_error} for e in dead],
    }


@router.get("/system/jobs")
def jobs_state(who: SystemReader, session: ReadSession) -> list[dict[str, Any]]:
    """Scheduled jobs with their next run and last result."""
    out = []
    for j in session.execute(select(ScheduledJob).order_by(ScheduledJob.name)).scalars():
        runs = session.execute(select(func.count()).select_from(JobRun).where(JobRun.job_name == j.name)).scalar_one()
        out.append(
            {
                "name": j.name,
                "every_seconds": j.every_seconds,
                "next_run_at": j.next_run_at,
                "last_run_at": j.last_run_at,
                "last_status": j.last_status,
                "runs": int(runs),
            }
        )
    return out

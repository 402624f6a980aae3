"""Access jobs: push retries, retention of visitor records and access logs, face-deletion deadlines, R-F8 count."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select

from anju.access import rollups as _rollups  # noqa: F401  (registers the access rollup)
from anju.access.config import access_settings
from anju.access.credential_service import credential_service
from anju.access.models import AccessLog, AccessLogKey, QrTokenUse
from anju.access.repository import TerminalListQuery
from anju.access.sync_service import terminal_sync_service
from anju.access.visitor_service import visitor_pass_service
from anju.core import events
from anju.core.db import transaction, utcnow
from anju.core.jobs import job
from anju.core.partitions import MonthlyPartitions, register, row_purge_bound
from anju.registry.models import Compound

# Decisions are partitioned by month of server time on PostgreSQL; whole months past the R-A9 retention (the record
# of processing's figure for access_log.person_id) are dropped by the leased job core.partitions.
register(MonthlyPartitions("access_log", "server_at", lambda: timedelta(days=access_settings().log_retention_days)))


@job("access.retry_pushes", every=timedelta(seconds=5))
def retry_pushes() -> None:
    with transaction() as session:
        terminal_sync_service.retry_due(session, now=utcnow())


@job("access.purge_visitor_records", every=timedelta(hours=1))
def purge_visitor_records() -> None:
    """R-F12: visitor passes are deleted when the configured retention ends."""
    with transaction() as session:
        visitor_pass_service.purge(session, now=utcnow())


def purge_access_logs_in(session: object, *, now: object) -> int:
    from datetime import datetime

    from sqlalchemy.orm import Session

    assert isinstance(session, Session) and isinstance(now, datetime)
    s = access_settings()
    # On PostgreSQL whole months go by partition; rows are deleted only before the oldest month (the default
    # partition's), and replay keys with the rows they guard.
    bound = row_purge_bound(session.connection(), "access_log", now - timedelta(days=s.log_retention_days))
    n = session.execute(
        delete(AccessLog).where(AccessLog.server_at < bound).execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    session.execute(
        delete(AccessLogKey).where(AccessLogKey.server_at < bound).execution_options(synchronize_session=False)
    )
    session.execute(
        delete(QrTokenUse)
        .where(QrTokenUse.used_at < now - timedelta(minutes=10))
        .execution_options(synchronize_session=False)
    )
    return int(n or 0)


@job("access.purge_access_logs", every=timedelta(hours=6))
def purge_access_logs() -> None:
    """R-A9: access logs are kept for the configured period (≥ 180 days unless a reason is recorded)."""
    with transaction() as session:
        purge_access_logs_in(session, now=utcnow())


@job("access.check_face_deletion", every=timedelta(minutes=10))
def check_face_deletion() -> None:
    """R-F5: a terminal that has not dropped a withdrawn template by the deadline raises an alarm."""
    from anju.alarms.events import AlarmRequested

    with transaction() as session:
        before = utcnow() - timedelta(hours=access_settings().face_delete_deadline_hours)
        for terminal, n in TerminalListQuery(session).overdue_tombstones(before):
            events.publish(
                session,
                AlarmRequested(
                    compound_id=terminal.compound_id,
                    kind="face_deletion_overdue",
                    severity="major",
                    source=f"access:terminal:{terminal.id}",
                    dedupe_key=f"face_deletion:{terminal.id}",
                    title=f"终端 {terminal.name} 未在期限内删除 {n} 条已撤回的人脸特征",
                ),
                compound_id=terminal.compound_id,
            )


@job("access.check_face_count", every=timedelta(hours=24))
def check_face_count() -> None:
    """R-F8: warn near 100,000 people with face data; open the filing deadline on reaching it."""
    with transaction() as session:
        for cid in session.execute(select(Compound.id)).scalars():
            credential_service.check_face_count(session, compound_id=cid)


@job("access.face_reenrolment", every=timedelta(hours=1))
def face_reenrolment() -> None:
    """Issue 12: after the face model changed, ask people to re-enrol; delete old templates after it or at the
    configured deadline (ANJU_ACCESS_FACE_REENROL_DEADLINE_DAYS)."""
    with transaction() as session:
        now = utcnow()
        credential_service.request_face_reenrolment(session, now=now)
        credential_service.purge_stale_faces(session, now=now)

"""fees: event subscribers and jobs (imported by anju.handlers)."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from anju.core.events import subscribe
from anju.fees import tasks as _tasks  # noqa: F401  (registers the monthly billing job)
from anju.fees.events import REMINDER_SOURCE
from anju.fees.models import ArrearsReminder
from anju.notices.events import NoticePublished


@subscribe(NoticePublished)
def link_reminder_notice(session: Session, event: NoticePublished) -> None:
    """Record which notice carried a reminder (the read receipt and the audit trail follow it)."""
    if not event.source.startswith(REMINDER_SOURCE):
        return
    raw = event.source[len(REMINDER_SOURCE) :]
    if not raw.isascii() or not raw.isdigit():
        return
    session.execute(
        update(ArrearsReminder)
        .where(
            ArrearsReminder.id == int(raw),
            ArrearsReminder.compound_id == event.compound_id,
            ArrearsReminder.notice_id.is_(None),
        )
        .values(notice_id=event.notice_id)
    )

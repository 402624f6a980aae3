"""fees: event subscribers and jobs (imported by anju.handlers)."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from anju.core.events import subscribe
from anju.fees import tasks as _tasks  # noqa: F401  (registers the monthly billing job)
from anju.fees.events import DISCLOSURE_SOURCE, REMINDER_SOURCE
from anju.fees.models import ArrearsReminder, FeeDisclosure
from anju.notices.events import NoticePublished


@subscribe(NoticePublished)
def link_notice(session: Session, event: NoticePublished) -> None:
    """Record which notice carried a reminder or a disclosure (read receipts and the audit trail follow it)."""
    for prefix, model in ((REMINDER_SOURCE, ArrearsReminder), (DISCLOSURE_SOURCE, FeeDisclosure)):
        if not event.source.startswith(prefix):
            continue
        raw = event.source[len(prefix) :]
        if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
            return
        session.execute(
            update(model)
            .where(model.id == int(raw), model.compound_id == event.compound_id, model.notice_id.is_(None))
            .values(notice_id=event.notice_id)
        )

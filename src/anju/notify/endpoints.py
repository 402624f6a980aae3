"""My in-app notifications (every signed-in user, residents included)."""

from __future__ import annotations

from fastapi import APIRouter, Query

from anju.core.auth import CurrentPrincipal
from anju.core.deps import ReadSession, WriteSession
from anju.core.errors import NotFound
from anju.notify.schemas import NotificationRead
from anju.notify.service import notify_service

router = APIRouter(prefix="/notifications", tags=["notifications"])


@router.get("", response_model=list[NotificationRead])
def list_mine(
    who: CurrentPrincipal, session: ReadSession, unread_only: bool = False, limit: int = Query(50, ge=1, le=500)
) -> list[NotificationRead]:
    """My inbox, newest first."""
    return [
        NotificationRead.model_validate(n)
        for n in notify_service.mine(session, by=who, unread_only=unread_only, limit=limit)
    ]


@router.post("/{notification_id}/read", status_code=204)
def mark_read(notification_id: int, who: CurrentPrincipal, session: WriteSession) -> None:
    """Mark one of my notifications read."""
    if not notify_service.mark_read(session, by=who, notification_id=notification_id):
        raise NotFound(f"notification {notification_id}")

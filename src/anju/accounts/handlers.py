"""Accounts react to registry events."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from anju.accounts.models import AuthSession, User
from anju.accounts.service import account_service
from anju.core.db import new_session, utcnow
from anju.core.events import subscribe
from anju.core.jobs import job
from anju.registry.events import PersonErased, ResidentMovedOut


@subscribe(ResidentMovedOut)
def revoke_sessions_of_departed(session: Session, event: ResidentMovedOut) -> None:
    """A resident with no house left loses web sessions and API tokens at once (idempotent)."""
    if event.still_resident:
        return
    user_ids = select(User.id).where(User.person_id == event.person_id)
    session.execute(
        update(AuthSession)
        .where(AuthSession.user_id.in_(user_ids), AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


@subscribe(PersonErased)
def close_account_of_erased(session: Session, event: PersonErased) -> None:
    """An erased person's account is deactivated and its sessions revoked."""
    session.execute(update(User).where(User.person_id == event.person_id).values(active=False))
    user_ids = select(User.id).where(User.person_id == event.person_id)
    session.execute(
        update(AuthSession)
        .where(AuthSession.user_id.in_(user_ids), AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


@job("accounts.purge_expired_sessions", every=timedelta(hours=1))
def purge_expired_sessions() -> None:
    with new_session() as session:
        account_service.purge_expired(session)
        session.commit()

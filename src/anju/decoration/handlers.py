"""Decoration subscribers (imported by anju.handlers): the fees ledger's answers about the deposit."""

from __future__ import annotations

from sqlalchemy.orm import Session

from anju.core.events import subscribe
from anju.decoration import tasks as _tasks  # noqa: F401  (registers the retention job)
from anju.decoration.events import SOURCE_PREFIX
from anju.decoration.service import decoration_service
from anju.fees.events import DepositCharged, DepositSettled


def _application_id(source: str) -> int | None:
    raw = source[len(SOURCE_PREFIX) :] if source.startswith(SOURCE_PREFIX) else ""
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19 else None


@subscribe(DepositCharged)
def deposit_held(session: Session, event: DepositCharged) -> None:
    app_id = _application_id(event.source)
    if app_id is not None:
        decoration_service.deposit_charged(session, application_id=app_id)


@subscribe(DepositSettled)
def deposit_settled(session: Session, event: DepositSettled) -> None:
    app_id = _application_id(event.source)
    if app_id is not None:
        decoration_service.deposit_settled(
            session, application_id=app_id, deducted_fen=event.deducted_fen, refunded_fen=event.refunded_fen
        )

"""Decoration API: residents apply and cancel; the property company approves, rejects and inspects."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from anju.accounts.permissions import AccountsPerm
from anju.core.auth import CurrentPrincipal, Principal
from anju.core.db import utcnow
from anju.core.deps import ReadSession, WriteSession
from anju.core.errors import Forbidden
from anju.decoration.exceptions import (
    ApplicationNotFound,
    LoadBearingChange,
    Overlapping,
    OwnerConsentRequired,
    WrongState,
)
from anju.decoration.models import DecorationApplication
from anju.decoration.permissions import DecorationPerm
from anju.decoration.schemas import (
    DecorationApprove,
    DecorationCreate,
    DecorationRead,
    DecorationReject,
    InspectionCreate,
    InspectionRead,
    WorkerRead,
)
from anju.decoration.service import decoration_service

router = APIRouter(prefix="/decorations", tags=["decoration"])


def _user(who: CurrentPrincipal) -> Principal:
    if not (who.can(AccountsPerm.self_service) or who.can(DecorationPerm.read)):
        raise Forbidden("not for this role", zh="该角色无权查看装修申请")
    return who


DecorationUser = Annotated[Principal, Depends(_user)]


def _read(session: Session, app: DecorationApplication) -> DecorationRead:
    read = DecorationRead.model_validate(app)
    return read.model_copy(
        update={
            "workers": [
                WorkerRead.model_validate(w) for w in decoration_service.workers(session, application_id=app.id)
            ],
            "inspections": [
                InspectionRead.model_validate(i) for i in decoration_service.inspections(session, application_id=app.id)
            ],
        }
    )


@router.post(
    "",
    response_model=DecorationRead,
    status_code=201,
    responses={
        404: ApplicationNotFound.doc(),
        403: OwnerConsentRequired.doc(),
        409: Overlapping.doc(),
        422: LoadBearingChange.doc(),
    },
)
def apply(body: DecorationCreate, who: DecorationUser, session: WriteSession) -> DecorationRead:
    """File a 装修申请 for my house before work starts: dates, scope, contractor, workers, daily hours, deposit."""
    return _read(session, decoration_service.apply(session, who=who, data=body, now=utcnow()))


@router.get("", response_model=list[DecorationRead])
def list_applications(who: DecorationUser, session: ReadSession) -> list[DecorationRead]:
    """My houses' applications, or my compounds' for staff."""
    return [_read(session, a) for a in decoration_service.search(session, who=who)]


@router.get("/{application_id}", response_model=DecorationRead, responses={404: ApplicationNotFound.doc()})
def get_application(application_id: int, who: DecorationUser, session: ReadSession) -> DecorationRead:
    """One application with its workers and inspections."""
    return _read(session, decoration_service.get(session, who=who, application_id=application_id))


@router.post(
    "/{application_id}/approve",
    response_model=DecorationRead,
    responses={404: ApplicationNotFound.doc(), 409: WrongState.doc()},
)
def approve(application_id: int, body: DecorationApprove, who: DecorationUser, session: WriteSession) -> DecorationRead:
    """Approve with conditions; workers' temporary passes are issued for the approved dates and hours."""
    app = decoration_service.approve(session, who=who, application_id=application_id, data=body, now=utcnow())
    return _read(session, app)


@router.post(
    "/{application_id}/reject",
    response_model=DecorationRead,
    responses={404: ApplicationNotFound.doc(), 409: WrongState.doc()},
)
def reject(application_id: int, body: DecorationReject, who: DecorationUser, session: WriteSession) -> DecorationRead:
    """Refuse the application with a reason."""
    app = decoration_service.reject(session, who=who, application_id=application_id, data=body, now=utcnow())
    return _read(session, app)


@router.post(
    "/{application_id}/cancel",
    response_model=DecorationRead,
    responses={404: ApplicationNotFound.doc(), 409: WrongState.doc()},
)
def cancel(application_id: int, who: DecorationUser, session: WriteSession) -> DecorationRead:
    """The applicant withdraws; workers' passes stop at once."""
    return _read(session, decoration_service.cancel(session, who=who, application_id=application_id))


@router.post(
    "/{application_id}/inspections",
    response_model=InspectionRead,
    status_code=201,
    responses={404: ApplicationNotFound.doc(), 409: WrongState.doc()},
)
def inspect(application_id: int, body: InspectionCreate, who: DecorationUser, session: WriteSession) -> object:
    """Record a site inspection; a failure opens a work order, a passed final one completes the decoration."""
    return decoration_service.inspect(session, who=who, application_id=application_id, data=body, now=utcnow())

"""Staff side of privacy: data-subject requests, record of processing, audit logs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy import func, select

from anju.core.audit import ObjectChange, PiiAccess
from anju.core.auth import CurrentPrincipal, Principal, requires
from anju.core.db import utcnow
from anju.core.deps import ReadSession, WriteSession
from anju.core.rbac import KernelPerm
from anju.core.schemas import Page, PageParams, page_params
from anju.privacy.minors import minor_access
from anju.privacy.models import ProcessingRecord
from anju.privacy.permissions import PrivacyPerm
from anju.privacy.schemas import (
    MinorAccessCreate,
    MinorAccessDecide,
    MinorAccessRead,
    ObjectChangeRead,
    PiiAccessRead,
    PrivacyRequestRead,
    PrivacyRequestResolve,
    ProcessingRecordRead,
)
from anju.privacy.service import privacy_service
from anju.registry.permissions import RegistryPerm
from anju.registry.service import person_service

router = APIRouter(tags=["privacy"])
PrivacyManager = Annotated[Principal, requires(PrivacyPerm.manage)]
AuditReader = Annotated[Principal, requires(KernelPerm.audit_read)]


@router.get(
    "/privacy/processing-records",
    response_model=list[ProcessingRecordRead],
    operation_id="privacy-list_processing_records",
)
def list_processing_records(who: CurrentPrincipal, session: ReadSession) -> Any:
    """The record of processing: every personal-data field's purpose, legal basis and retention."""
    return list(session.execute(select(ProcessingRecord).order_by(ProcessingRecord.field)).scalars())


@router.get("/privacy/requests", response_model=list[PrivacyRequestRead], operation_id="privacy-list_requests")
def list_requests(
    who: PrivacyManager, session: ReadSession, status: str | None = Query(None, pattern="^(open|done|refused)$")
) -> list[PrivacyRequestRead]:
    """Data-subject requests in the caller's compounds, earliest deadline first."""
    today = utcnow().date()  # the same clock as due_on and the overdue job
    return [
        PrivacyRequestRead.model_validate(r).model_copy(update={"overdue": r.status == "open" and r.due_on < today})
        for r in privacy_service.list_for_staff(session, who=who, status=status)
    ]


@router.post(
    "/privacy/requests/{request_id}/resolve", response_model=PrivacyRequestRead, operation_id="privacy-resolve_request"
)
def resolve_request(
    request_id: int, body: PrivacyRequestResolve, who: PrivacyManager, session: WriteSession
) -> PrivacyRequestRead:
    """Complete or refuse (with a reason) a request; a completed deletion erases the person's data."""
    return PrivacyRequestRead.model_validate(
        privacy_service.resolve(session, who=who, request_id=request_id, data=body)
    )


@router.get("/audit/pii-access", response_model=Page[PiiAccessRead], operation_id="privacy-list_pii_access")
def list_pii_access(
    who: AuditReader,
    session: ReadSession,
    pg: PageParams = Depends(page_params),
    subject: str | None = Query(None, max_length=64),
) -> Any:
    """Append-only log of unmasked personal-data reads (who, when, why)."""
    q = select(PiiAccess).where(PiiAccess.compound_id.in_(who.compound_ids))
    if subject:
        q = q.where(PiiAccess.subject == subject)
    total = session.execute(select(func.count()).select_from(q.subquery())).scalar_one()
    rows = session.execute(q.order_by(PiiAccess.id.desc()).offset(pg.offset).limit(pg.page_size)).scalars().all()
    return Page(items=list(rows), total=total, page=pg.page, page_size=pg.page_size)  # type: ignore[arg-type]


@router.get("/audit/changes", response_model=Page[ObjectChangeRead], operation_id="privacy-list_changes")
def list_changes(
    who: AuditReader,
    session: ReadSession,
    pg: PageParams = Depends(page_params),
    entity: str | None = Query(None, max_length=32),
    entity_id: int | None = None,
) -> Any:
    """Change records (before/after, personal fields masked) of staff writes."""
    q = select(ObjectChange).where(ObjectChange.compound_id.in_(who.compound_ids))
    if entity:
        q = q.where(ObjectChange.entity == entity)
    if entity_id is not None:
        q = q.where(ObjectChange.entity_id == entity_id)
    total = session.execute(select(func.count()).select_from(q.subquery())).scalar_one()
    rows = session.execute(q.order_by(ObjectChange.id.desc()).offset(pg.offset).limit(pg.page_size)).scalars().all()
    return Page(items=list(rows), total=total, page=pg.page, page_size=pg.page_size)  # type: ignore[arg-type]


PeopleUnmasker = Annotated[Principal, requires(RegistryPerm.people_unmask)]


@router.post(
    "/privacy/minor-access",
    response_model=MinorAccessRead,
    status_code=201,
    operation_id="privacy-request_minor_access",
)
def request_minor_access(body: MinorAccessCreate, who: PeopleUnmasker, session: WriteSession) -> Any:
    """Ask to unmask a minor's data (R-P6); someone else with privacy.manage must approve it."""
    person = person_service.get_readable(session, who=who, person_id=body.person_id)
    return minor_access.request(session, who=who, person=person, reason=body.reason)


@router.get("/privacy/minor-access", response_model=list[MinorAccessRead], operation_id="privacy-list_minor_access")
def list_minor_access(who: PrivacyManager, session: ReadSession) -> Any:
    """Requests waiting for a decision in the caller's compounds."""
    return minor_access.pending(session, who=who)


@router.post(
    "/privacy/minor-access/{approval_id}/decide",
    response_model=MinorAccessRead,
    operation_id="privacy-decide_minor_access",
)
def decide_minor_access(approval_id: int, body: MinorAccessDecide, who: PrivacyManager, session: WriteSession) -> Any:
    """Approve or reject; the requester cannot decide their own request."""
    return minor_access.decide(session, who=who, approval_id=approval_id, approve=body.approve, note=body.note)

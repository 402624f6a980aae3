"""Staff side of privacy: data-subject requests, record of processing, audit logs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select

from anju.core.audit import ObjectChange, PiiAccess
from anju.core.auth import CurrentPrincipal, Principal, requires
from anju.core.deps import ReadSession, WriteSession
from anju.core.kit.china_time import china_date
from anju.core.kit.pagination import paginate
from anju.core.rbac import KernelPerm
from anju.core.schemas import Page, PageParams, page_params
from anju.privacy.breach_service import breach_service
from anju.privacy.compliance_service import compliance_service
from anju.privacy.consent_service import consent_service, may_sync_face_off_edge
from anju.privacy.exceptions import SharingConsentMissing
from anju.privacy.minors import minor_access
from anju.privacy.models import ProcessingRecord
from anju.privacy.permissions import PrivacyPerm
from anju.privacy.schemas import (
    BreachCreate,
    BreachRead,
    BreachRegulatorIn,
    BreachWaiverIn,
    ChecklistTick,
    ComplianceAuditCreate,
    FaceCloudConsentIn,
    FaceCloudConsentRead,
    MinorAccessCreate,
    MinorAccessDecide,
    MinorAccessRead,
    ObjectChangeRead,
    PiiAccessRead,
    PrivacyRequestRead,
    PrivacyRequestResolve,
    ProcessingRecordRead,
    ShareCreate,
    SharingConsentCreate,
    SharingConsentRead,
    SharingRecordRead,
    ThirdPartyCreate,
    ThirdPartyRead,
    VendorContractCreate,
    VendorContractEnd,
    VendorContractRead,
    VendorDisposal,
)
from anju.privacy.service import privacy_service
from anju.privacy.sharing_service import sharing_service
from anju.registry.permissions import RegistryPerm
from anju.registry.service import person_service

router = APIRouter(tags=["privacy"])
PrivacyManager = Annotated[Principal, requires(PrivacyPerm.manage)]
AuditReader = Annotated[Principal, requires(KernelPerm.audit_read)]


@router.get(
    "/privacy/processing-records",
    response_model=list[ProcessingRecordRead],
)
def list_processing_records(who: CurrentPrincipal, session: ReadSession) -> Any:
    """The record of processing: every personal-data field's purpose, legal basis and retention."""
    return list(session.execute(select(ProcessingRecord).order_by(ProcessingRecord.field)).scalars())


@router.get("/privacy/requests", response_model=list[PrivacyRequestRead])
def list_requests(
    who: PrivacyManager, session: ReadSession, status: str | None = Query(None, pattern="^(open|done|refused)$")
) -> list[PrivacyRequestRead]:
    """Data-subject requests in the caller's compounds, earliest deadline first."""
    today = china_date()  # the same clock as due_on and the overdue job
    return [
        PrivacyRequestRead.model_validate(r).model_copy(update={"overdue": r.status == "open" and r.due_on < today})
        for r in privacy_service.list_for_staff(session, who=who, status=status)
    ]


@router.post("/privacy/requests/{request_id}/resolve", response_model=PrivacyRequestRead)
def resolve_request(
    request_id: int, body: PrivacyRequestResolve, who: PrivacyManager, session: WriteSession
) -> PrivacyRequestRead:
    """Complete or refuse (with a reason) a request; a completed deletion erases the person's data."""
    return PrivacyRequestRead.model_validate(
        privacy_service.resolve(session, who=who, request_id=request_id, data=body)
    )


@router.get("/audit/pii-access", response_model=Page[PiiAccessRead])
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
    rows, total = paginate(session, q, order_by=PiiAccess.id.desc(), offset=pg.offset, limit=pg.page_size)
    return Page(items=list(rows), total=total, page=pg.page, page_size=pg.page_size)


@router.get("/audit/changes", response_model=Page[ObjectChangeRead])
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
    rows, total = paginate(session, q, order_by=ObjectChange.id.desc(), offset=pg.offset, limit=pg.page_size)
    return Page(items=list(rows), total=total, page=pg.page, page_size=pg.page_size)


PeopleUnmasker = Annotated[Principal, requires(RegistryPerm.people_unmask)]


@router.post(
    "/privacy/minor-access",
    response_model=MinorAccessRead,
    status_code=201,
)
def request_minor_access(body: MinorAccessCreate, who: PeopleUnmasker, session: WriteSession) -> Any:
    """Ask to unmask a minor's data (R-P6); someone else with privacy.manage must approve it."""
    person = person_service.get_readable(session, who=who, person_id=body.person_id)
    return minor_access.request(session, who=who, person=person, reason=body.reason)


@router.get("/privacy/minor-access", response_model=list[MinorAccessRead])
def list_minor_access(who: PrivacyManager, session: ReadSession) -> Any:
    """Requests waiting for a decision in the caller's compounds."""
    return minor_access.pending(session, who=who)


@router.post(
    "/privacy/minor-access/{approval_id}/decide",
    response_model=MinorAccessRead,
)
def decide_minor_access(approval_id: int, body: MinorAccessDecide, who: PrivacyManager, session: WriteSession) -> Any:
    """Approve or reject; the requester cannot decide their own request."""
    return minor_access.decide(session, who=who, approval_id=approval_id, approve=body.approve, note=body.note)


# --- R-P7: breach workflow ---------------------------------------------------------------------------
@router.post("/privacy/breaches", response_model=BreachRead, status_code=201)
def record_breach(body: BreachCreate, who: PrivacyManager, session: WriteSession) -> Any:
    """Record a personal-data breach with what PIPL 57 lists; the notice deadlines start at its discovery."""
    return breach_service.record(session, who=who, data=body)


@router.get("/privacy/breaches", response_model=list[BreachRead])
def list_breaches(who: PrivacyManager, session: ReadSession) -> Any:
    """Breach incidents of the caller's compounds, latest discovery first."""
    return breach_service.list(session, who=who)


@router.get("/privacy/breaches/{incident_id}", response_model=BreachRead)
def get_breach(incident_id: int, who: PrivacyManager, session: ReadSession) -> Any:
    return breach_service.get(session, who=who, incident_id=incident_id)


@router.post(
    "/privacy/breaches/{incident_id}/notify-regulator",
    response_model=BreachRead,
)
def notify_regulator(incident_id: int, body: BreachRegulatorIn, who: PrivacyManager, session: WriteSession) -> Any:
    """Produce the notice to the regulator and record that it was filed."""
    return breach_service.notify_regulator(session, who=who, incident_id=incident_id, reference=body.reference)


@router.post(
    "/privacy/breaches/{incident_id}/notify-individuals",
    response_model=BreachRead,
)
def notify_individuals(incident_id: int, who: PrivacyManager, session: WriteSession) -> Any:
    """Produce the individual notice; it reaches every affected person's inbox after the commit."""
    return breach_service.notify_individuals(session, who=who, incident_id=incident_id)


@router.post(
    "/privacy/breaches/{incident_id}/waive-individual-notice",
    response_model=BreachRead,
)
def waive_individual_notice(incident_id: int, body: BreachWaiverIn, who: PrivacyManager, session: WriteSession) -> Any:
    """PIPL 57 para 2: record why the remedies effectively avoid the harm, so individuals need not be told."""
    return breach_service.waive_individual_notice(session, who=who, incident_id=incident_id, reason=body.reason)


@router.post("/privacy/breaches/{incident_id}/close", response_model=BreachRead)
def close_breach(incident_id: int, who: PrivacyManager, session: WriteSession) -> Any:
    return breach_service.close(session, who=who, incident_id=incident_id)


# --- R-P8: third parties, sharing consents, processor agreements --------------------------------------
@router.post("/privacy/third-parties", response_model=ThirdPartyRead, status_code=201)
def add_third_party(body: ThirdPartyCreate, who: PrivacyManager, session: WriteSession) -> Any:
    return sharing_service.add_third_party(session, who=who, data=body)


@router.get("/privacy/third-parties", response_model=list[ThirdPartyRead])
def list_third_parties(who: CurrentPrincipal, session: ReadSession, compound_id: int) -> Any:
    """The recipients a resident may consent to share with (and staff may share with)."""
    return sharing_service.third_parties(session, who=who, compound_id=compound_id)


@router.post(
    "/privacy/sharing-consents",
    response_model=SharingConsentRead,
    status_code=201,
)
def give_sharing_consent(body: SharingConsentCreate, who: CurrentPrincipal, session: WriteSession) -> Any:
    """A separate consent naming the recipient, the purpose and the data types (the person, or staff from a form)."""
    return sharing_service.give_consent(session, who=who, data=body)


@router.get("/privacy/sharing-consents", response_model=list[SharingConsentRead])
def list_sharing_consents(who: CurrentPrincipal, session: ReadSession, person_id: int) -> Any:
    return sharing_service.consents_of(session, who=who, person_id=person_id)


@router.post(
    "/privacy/sharing-consents/{consent_id}/withdraw",
    response_model=SharingConsentRead,
)
def withdraw_sharing_consent(consent_id: int, who: CurrentPrincipal, session: WriteSession) -> Any:
    return sharing_service.withdraw_consent(session, who=who, consent_id=consent_id)


@router.post(
    "/privacy/sharing",
    response_model=SharingRecordRead,
    status_code=201,
    responses={403: SharingConsentMissing.doc()},
)
def share(body: ShareCreate, who: PrivacyManager, session: WriteSession) -> Any:
    """Provide a person's data to a third party: refused without the separate consent that covers it (R-P8)."""
    return sharing_service.share(session, who=who, data=body)


@router.post(
    "/privacy/vendor-contracts",
    response_model=VendorContractRead,
    status_code=201,
)
def add_vendor_contract(body: VendorContractCreate, who: PrivacyManager, session: WriteSession) -> Any:
    """A processor agreement stating whether the vendor returns or deletes the data at its end."""
    return sharing_service.add_contract(session, who=who, data=body)


@router.get("/privacy/vendor-contracts", response_model=list[VendorContractRead])
def list_vendor_contracts(who: PrivacyManager, session: ReadSession) -> Any:
    return sharing_service.contracts(session, who=who)


@router.post(
    "/privacy/vendor-contracts/{contract_id}/end",
    response_model=VendorContractRead,
)
def end_vendor_contract(contract_id: int, body: VendorContractEnd, who: PrivacyManager, session: WriteSession) -> Any:
    return sharing_service.end_contract(session, who=who, contract_id=contract_id, on=body.on)


@router.post(
    "/privacy/vendor-contracts/{contract_id}/disposal",
    response_model=VendorContractRead,
)
def record_vendor_disposal(contract_id: int, body: VendorDisposal, who: PrivacyManager, session: WriteSession) -> Any:
    """Record the vendor's return or deletion of the data, with its evidence."""
    return sharing_service.record_disposal(session, who=who, contract_id=contract_id, data=body)


# --- R-F4: face data off the edge --------------------------------------------------------------------
@router.post(
    "/privacy/face-cloud-consent",
    response_model=FaceCloudConsentRead,
    status_code=201,
)
def give_face_cloud_consent(body: FaceCloudConsentIn, who: CurrentPrincipal, session: WriteSession) -> Any:
    """The separate consent to send face images and templates over the internet (off the device or edge)."""
    consent_service.give_face_cloud_sync(
        session, who=who, person_id=body.person_id, notice_version=body.notice_version, guardian=body.guardian
    )
    return FaceCloudConsentRead(
        person_id=body.person_id, may_sync_off_edge=may_sync_face_off_edge(session, body.person_id)
    )


@router.post(
    "/privacy/face-cloud-consent/{person_id}/withdraw",
    response_model=FaceCloudConsentRead,
)
def withdraw_face_cloud_consent(person_id: int, who: CurrentPrincipal, session: WriteSession) -> Any:
    consent_service.withdraw_face_cloud_sync(session, who=who, person_id=person_id)
    return FaceCloudConsentRead(person_id=person_id, may_sync_off_edge=may_sync_face_off_edge(session, person_id))


# --- R-P10: compliance audit and important-data checklist --------------------------------------------
ComplianceOfficer = Annotated[Principal, requires(PrivacyPerm.compliance)]


@router.get("/privacy/compliance")
def compliance_status(who: ComplianceOfficer, session: ReadSession) -> dict[str, Any]:
    """Platform-wide people count, thresholds, the last audit, the reminder and the important-data checklist."""
    return compliance_service.status(session, who=who, today=china_date())


@router.post("/privacy/compliance/audits", status_code=201)
def record_compliance_audit(body: ComplianceAuditCreate, who: ComplianceOfficer, session: WriteSession) -> Any:
    audit = compliance_service.record_audit(session, who=who, data=body)
    return {"id": audit.id, "performed_on": audit.performed_on, "auditor": audit.auditor}


@router.post("/privacy/compliance/checklist")
def tick_compliance_checklist(body: ChecklistTick, who: ComplianceOfficer, session: WriteSession) -> Any:
    duty = compliance_service.tick_checklist(session, who=who, item=body.item, done_on=body.done_on)
    return {"checklist": duty.checklist}

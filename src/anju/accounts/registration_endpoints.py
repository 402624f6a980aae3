"""Resident self-registration: phone code sign-in, house claims, and their verification by staff or the owner."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import Field
from sqlalchemy.orm import Session

from anju.accounts.onboarding_models import HouseClaim
from anju.accounts.permissions import AccountsPerm
from anju.accounts.registration_service import registration_service
from anju.accounts.schemas import TokenResponse
from anju.core.auth import Principal, requires
from anju.core.deps import ReadSession, WriteSession
from anju.core.errors import ErrorBody
from anju.core.schemas import InSchema, Schema
from anju.registry.enums import OccupancyRole
from anju.registry.service import house_service

public_router = APIRouter(tags=["registration"])
router = APIRouter(tags=["registration"])
SelfService = Annotated[Principal, requires(AccountsPerm.self_service)]
ClaimVerifier = Annotated[Principal, requires(AccountsPerm.claims_verify)]


class CodeRequest(InSchema):
    phone: str = Field(min_length=1, max_length=32)


class CodeSent(Schema):
    expires_in: int = Field(description="seconds the code stays valid")


class CodeSignIn(InSchema):
    phone: str = Field(min_length=1, max_length=32)
    code: str = Field(min_length=4, max_length=8, pattern=r"^\d+$")


class CompoundChoice(Schema):
    id: int
    name: str


class ClaimCreate(InSchema):
    compound_id: int
    house_label: str = Field(min_length=1, max_length=32, description='the house label, e.g. "3-1-0802"')
    name: str = Field(min_length=1, max_length=64)
    role: OccupancyRole
    lease_end: date | None = None


class ClaimDecision(InSchema):
    reason: str | None = Field(default=None, max_length=255)


class RosterEntry(Schema):
    name: str
    role: OccupancyRole
    phone: str | None
    same_phone: bool


class ClaimRead(Schema):
    id: int
    compound_id: int
    house_id: int
    house_label: str
    name: str
    role: OccupancyRole
    lease_end: date | None
    status: str
    created_at: datetime
    decided_at: datetime | None
    decided_as: str | None
    reason: str | None
    roster: list[RosterEntry] | None = None


def claim_reads(session: Session, claims: list[HouseClaim], *, with_roster: bool = False) -> list[ClaimRead]:
    labels = house_service.labels(session, house_ids={c.house_id for c in claims})
    roster = registration_service.roster_matches(session, claims) if with_roster else {}
    return [
        ClaimRead(
            id=c.id,
            compound_id=c.compound_id,
            house_id=c.house_id,
            house_label=labels.get(c.house_id, ""),
            name=c.name,
            role=OccupancyRole(c.role),
            lease_end=c.lease_end,
            status=c.status,
            created_at=c.created_at,
            decided_at=c.decided_at,
            decided_as=c.decided_as,
            reason=c.reason,
            roster=[RosterEntry(**r) for r in roster.get(c.id, [])] if with_roster else None,
        )
        for c in claims
    ]


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None


@public_router.get("/register/compounds", response_model=list[CompoundChoice])
def registration_compounds(session: ReadSession) -> list[CompoundChoice]:
    """The compounds a resident can register in (names only)."""
    return [CompoundChoice(id=c.id, name=c.name) for c in registration_service.compounds(session)]


@public_router.post(
    "/register/code",
    response_model=CodeSent,
    status_code=202,
    responses={422: {"model": ErrorBody}, 429: {"model": ErrorBody}, 503: {"model": ErrorBody}},
)
def request_code(body: CodeRequest, request: Request, session: WriteSession) -> CodeSent:
    """Send a one-time sign-in code by SMS (limited per phone and per client address)."""
    return CodeSent(expires_in=registration_service.request_code(session, phone=body.phone, ip=_ip(request)))


@public_router.post(
    "/register/verify",
    response_model=TokenResponse,
    responses={403: {"model": ErrorBody}, 422: {"model": ErrorBody}, 429: {"model": ErrorBody}},
)
def sign_in_with_code(body: CodeSignIn, request: Request, session: WriteSession) -> TokenResponse:
    """Exchange a phone and its code for an API token; a new phone gets a resident account."""
    token, user = registration_service.sign_in(session, phone=body.phone, code=body.code, ip=_ip(request), kind="api")
    return TokenResponse(access_token=token, role=user.role)


@router.get("/me/claims", response_model=list[ClaimRead])
def my_claims(who: SelfService, session: ReadSession) -> list[ClaimRead]:
    """My claims to houses and where they stand."""
    return claim_reads(session, registration_service.mine(session, who=who))


@router.post("/me/claims", response_model=ClaimRead, status_code=201)
def create_claim(body: ClaimCreate, who: SelfService, session: WriteSession) -> ClaimRead:
    """Claim to live in a house (by its label in a compound); staff or the owner verify it."""
    claim = registration_service.claim(
        session,
        who=who,
        compound_id=body.compound_id,
        house_label=body.house_label,
        name=body.name,
        role=body.role,
        lease_end=body.lease_end,
    )
    return claim_reads(session, [claim])[0]


@router.get("/me/house-claims", response_model=list[ClaimRead])
def claims_to_my_houses(who: SelfService, session: ReadSession) -> list[ClaimRead]:
    """Family members and tenants waiting for me, the owner, to approve them."""
    return claim_reads(session, registration_service.for_owner(session, who=who))


@router.post("/me/house-claims/{claim_id}/approve", response_model=ClaimRead)
def owner_approves(claim_id: int, who: SelfService, session: WriteSession) -> ClaimRead:
    return claim_reads(session, [registration_service.verify(session, who=who, claim_id=claim_id)])[0]


@router.post("/me/house-claims/{claim_id}/reject", response_model=ClaimRead)
def owner_rejects(claim_id: int, body: ClaimDecision, who: SelfService, session: WriteSession) -> ClaimRead:
    claim = registration_service.reject(session, who=who, claim_id=claim_id, reason=body.reason)
    return claim_reads(session, [claim])[0]


@router.get("/claims", response_model=list[ClaimRead])
def claims_queue(
    who: ClaimVerifier, session: ReadSession, compound_id: int, status: str = "pending"
) -> list[ClaimRead]:
    """Claims of a compound with the house's roster beside each (the same phone is marked)."""
    status = status if status in ("pending", "verified", "rejected", "all") else "pending"
    claims = registration_service.queue(session, who=who, compound_id=compound_id, status=status)
    return claim_reads(session, claims, with_roster=True)


@router.post("/claims/{claim_id}/verify", response_model=ClaimRead)
def verify_claim(claim_id: int, who: ClaimVerifier, session: WriteSession) -> ClaimRead:
    """Accept a claim: the account is linked to the person on the roster (moved in if not on it yet)."""
    return claim_reads(session, [registration_service.verify(session, who=who, claim_id=claim_id)])[0]


@router.post("/claims/{claim_id}/reject", response_model=ClaimRead)
def reject_claim(claim_id: int, body: ClaimDecision, who: ClaimVerifier, session: WriteSession) -> ClaimRead:
    claim = registration_service.reject(session, who=who, claim_id=claim_id, reason=body.reason)
    return claim_reads(session, [claim])[0]

"""Care API: the archive with contacts and consents, visits and their outcomes, R-E1 missed months."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from anju.care.exceptions import (
    BadCareInput,
    EpisodeClosed,
    EpisodeNotFound,
    PersonNotFound,
    ProfileExists,
    ProfileNotFound,
    VisitClosed,
    VisitNotFound,
)
from anju.care.models import CareVisit
from anju.care.permissions import CarePerm
from anju.care.schemas import (
    AwayCreate,
    ConsentCreate,
    ConsentRead,
    ConsentWithdraw,
    ContactCreate,
    EpisodeAnswer,
    EpisodeRead,
    MissedMonth,
    ProfileCreate,
    ProfileRead,
    ProfileUpdate,
    VisitRead,
    VisitRecord,
)
from anju.care.service import care_service
from anju.core.auth import CurrentPrincipal, Principal, requires
from anju.core.deps import ReadSession, WriteSession

router = APIRouter(prefix="/care", tags=["care"])
CareReader = Annotated[Principal, requires(CarePerm.read)]
CareManager = Annotated[Principal, requires(CarePerm.manage)]
CareVisitor = Annotated[Principal, requires(CarePerm.visit)]


@router.post(
    "/profiles",
    response_model=ProfileRead,
    status_code=201,
    responses={404: PersonNotFound.doc(), 409: ProfileExists.doc(), 400: BadCareInput.doc()},
)
def create_profile(body: ProfileCreate, who: CareManager, session: WriteSession) -> ProfileRead:
    """Put a person in the care archive (living alone, special hardship, disability) with contacts in order."""
    p = care_service.create(session, by=who, data=body)
    return care_service.read(session, by=who, profile=p)


@router.get("/profiles", response_model=list[ProfileRead])
def list_profiles(who: CareReader, session: ReadSession, compound_id: int = Query()) -> list[ProfileRead]:
    """The compound's care archive (health notes are never listed)."""
    return [
        care_service.read(session, by=who, profile=p)
        for p in care_service.profiles(session, by=who, compound_id=compound_id)
    ]


@router.get("/profiles/{profile_id}", response_model=ProfileRead, responses={404: ProfileNotFound.doc()})
def get_profile(profile_id: int, who: CareReader, session: WriteSession, reveal_health: bool = False) -> ProfileRead:
    """One profile; `reveal_health=true` shows the health notes only with the health consent in force (audited)."""
    p = care_service.get(session, by=who, profile_id=profile_id)
    return care_service.read(session, by=who, profile=p, reveal_health=reveal_health)


@router.patch(
    "/profiles/{profile_id}",
    response_model=ProfileRead,
    responses={404: ProfileNotFound.doc(), 400: BadCareInput.doc()},
)
def update_profile(profile_id: int, body: ProfileUpdate, who: CareManager, session: WriteSession) -> ProfileRead:
    """Change the reasons, the channel, health notes, the silence rule or the visiting grid worker."""
    p = care_service.update(session, by=who, profile_id=profile_id, data=body)
    return care_service.read(session, by=who, profile=p)


@router.post(
    "/profiles/{profile_id}/consents",
    response_model=ConsentRead,
    status_code=201,
    responses={404: ProfileNotFound.doc()},
)
def give_consent(profile_id: int, body: ConsentCreate, who: CareManager, session: WriteSession) -> object:
    """R-E2: record the separate consent for health, fall or location data (and the screen used, R-E3)."""
    return care_service.give_consent(session, by=who, profile_id=profile_id, data=body)


@router.post("/profiles/{profile_id}/consents/withdraw", status_code=204, responses={404: ProfileNotFound.doc()})
def withdraw_consent(profile_id: int, body: ConsentWithdraw, who: CareManager, session: WriteSession) -> None:
    """Withdraw a consent; emergency alerts still proceed (R-E2), the person or guardian is told afterwards."""
    care_service.withdraw_consent(session, by=who, profile_id=profile_id, scope=body.scope)


@router.post("/profiles/{profile_id}/away", response_model=ProfileRead, responses={404: ProfileNotFound.doc()})
def register_away(profile_id: int, body: AwayCreate, who: CareVisitor, session: WriteSession) -> ProfileRead:
    """外出报备: the person is away from home in this period, so silence raises no alarm until it ends."""
    p = care_service.register_away(session, by=who, profile_id=profile_id, data=body)
    return care_service.read(session, by=who, profile=p)


@router.post(
    "/profiles/{profile_id}/contacts",
    response_model=VisitRead,
    status_code=201,
    responses={404: ProfileNotFound.doc()},
)
def record_contact(profile_id: int, body: ContactCreate, who: CareVisitor, session: WriteSession) -> CareVisit:
    """Record a visit or phone contact made without a plan (it counts toward R-E1)."""
    return care_service.record_contact(session, by=who, profile_id=profile_id, data=body)


@router.get("/visits", response_model=list[VisitRead])
def list_visits(
    who: CareVisitor,
    session: ReadSession,
    compound_id: int = Query(),
    mine: bool = False,
    status: str | None = Query(default=None, pattern="^(open|done)$"),
) -> list[CareVisit]:
    """Visits of the compound (or the caller's own), the weekly list included."""
    return care_service.visits(session, by=who, compound_id=compound_id, mine=mine, status=status)


@router.get("/visits/overdue", response_model=list[VisitRead])
def overdue_visits(who: CareVisitor, session: ReadSession, compound_id: int = Query()) -> list[CareVisit]:
    """Open visits past their day, and alarm visits past their SLA."""
    return care_service.overdue(session, by=who, compound_id=compound_id)


@router.post(
    "/visits/{visit_id}/record",
    response_model=VisitRead,
    responses={404: VisitNotFound.doc(), 409: VisitClosed.doc()},
)
def record_visit(visit_id: int, body: VisitRecord, who: CareVisitor, session: WriteSession) -> CareVisit:
    """Close a visit with its outcome (fine / away / hospital / deceased / other) and a note."""
    return care_service.record_visit(session, by=who, visit_id=visit_id, data=body)


@router.get("/missed-months", response_model=list[MissedMonth])
def missed_months(who: CareReader, session: ReadSession, compound_id: int = Query()) -> list[MissedMonth]:
    """R-E1: special-hardship people with a calendar month without any visit or contact."""
    return care_service.missed_months(session, by=who, compound_id=compound_id)


@router.get("/profiles/{profile_id}/episodes", response_model=list[EpisodeRead], responses={404: ProfileNotFound.doc()})
def list_episodes(profile_id: int, who: CareReader, session: ReadSession) -> list[EpisodeRead]:
    """The person's silence episodes, newest first, each with its escalation ladder and outcome label."""
    p = care_service.get(session, by=who, profile_id=profile_id)
    return [care_service.read_episode(session, ep) for ep in care_service.episodes_of(session, profile=p)]


@router.post(
    "/episodes/{episode_id}/answer",
    response_model=EpisodeRead,
    responses={404: EpisodeNotFound.doc(), 409: EpisodeClosed.doc(), 400: BadCareInput.doc()},
)
def answer_episode(episode_id: int, body: EpisodeAnswer, who: CurrentPrincipal, session: WriteSession) -> EpisodeRead:
    """The self-check's "I am fine" (the person, or staff for them), or what a contact, neighbour or grid worker
    said: "fine" stops the ladder; the outcome labels the episode."""
    ep = care_service.answer(session, by=who, episode_id=episode_id, data=body)
    return care_service.read_episode(session, ep)

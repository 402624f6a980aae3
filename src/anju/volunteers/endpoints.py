"""Volunteer API: residents register, sign up, check in and out, exchange points; staff post activities and
rewards and see the roster."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from anju.accounts.permissions import AccountsPerm
from anju.core.auth import CurrentPrincipal, Principal
from anju.core.db import utcnow
from anju.core.deps import ReadSession, WriteSession
from anju.core.errors import Forbidden
from anju.volunteers.exceptions import (
    ActivityFull,
    ActivityNotFound,
    AlreadySignedUp,
    NotAVolunteer,
    NotEnoughPoints,
    OutsideWindow,
    SignupNotFound,
)
from anju.volunteers.permissions import VolunteersPerm
from anju.volunteers.schemas import (
    ActivityIn,
    ActivityRead,
    PointsRead,
    RewardIn,
    SignupRead,
    VolunteerIn,
    VolunteerRead,
)
from anju.volunteers.service import volunteer_service

router = APIRouter(prefix="/volunteers", tags=["volunteers"])


def _user(who: CurrentPrincipal) -> Principal:
    if not (who.can(AccountsPerm.self_service) or who.can(VolunteersPerm.read)):
        raise Forbidden("not for this role", zh="该角色无权使用志愿服务")
    return who


VolunteerUser = Annotated[Principal, Depends(_user)]


@router.post("/me", response_model=VolunteerRead, status_code=201)
def register(body: VolunteerIn, who: VolunteerUser, session: WriteSession) -> object:
    """Register (or update) myself as a volunteer with skills and availability."""
    return volunteer_service.register(session, who=who, data=body)


@router.get("/me", response_model=VolunteerRead, responses={404: NotAVolunteer.doc()})
def me(who: VolunteerUser, session: ReadSession, compound_id: Annotated[int, Query()]) -> object:
    return volunteer_service.me(session, who=who, compound_id=compound_id)


@router.get("/activities", response_model=list[ActivityRead])
def activities(who: VolunteerUser, session: ReadSession) -> object:
    """Patrol shifts and events of my compounds, from yesterday on."""
    return volunteer_service.activities(session, who=who, now=utcnow())


@router.post("/activities", response_model=ActivityRead, status_code=201)
def create_activity(body: ActivityIn, who: VolunteerUser, session: WriteSession) -> object:
    return volunteer_service.create_activity(session, who=who, data=body)


@router.post(
    "/activities/{activity_id}/signups",
    response_model=SignupRead,
    status_code=201,
    responses={404: ActivityNotFound.doc(), 409: ActivityFull.doc()},
)
def sign_up(activity_id: int, who: VolunteerUser, session: WriteSession) -> object:
    _ = AlreadySignedUp  # also a 409
    return volunteer_service.sign_up(session, who=who, activity_id=activity_id, now=utcnow())


@router.post(
    "/signups/{signup_id}/check-in",
    response_model=SignupRead,
    responses={404: SignupNotFound.doc(), 409: OutsideWindow.doc()},
)
def check_in(signup_id: int, who: VolunteerUser, session: WriteSession) -> object:
    """My own sign-up only: nobody checks in for someone else."""
    return volunteer_service.check_in(session, who=who, signup_id=signup_id, now=utcnow())


@router.post("/signups/{signup_id}/check-out", response_model=SignupRead, responses={404: SignupNotFound.doc()})
def check_out(signup_id: int, who: VolunteerUser, session: WriteSession) -> object:
    """The hours served inside the activity's time, and the points they earn (once)."""
    return volunteer_service.check_out(session, who=who, signup_id=signup_id, now=utcnow())


@router.post("/rewards", status_code=201)
def add_reward(body: RewardIn, who: VolunteerUser, session: WriteSession) -> dict[str, int]:
    r = volunteer_service.add_reward(session, who=who, data=body)
    return {"id": r.id}


@router.post(
    "/rewards/{reward_id}/redeem",
    response_model=PointsRead,
    status_code=201,
    responses={409: NotEnoughPoints.doc()},
)
def redeem(
    reward_id: int,
    who: VolunteerUser,
    session: WriteSession,
    request_key: Annotated[str | None, Query(max_length=24)] = None,
) -> object:
    """Exchange points for a reward; the same request_key twice exchanges once."""
    return volunteer_service.redeem(session, who=who, reward_id=reward_id, request_key=request_key)


@router.get("/me/points", response_model=list[PointsRead])
def points(who: VolunteerUser, session: ReadSession, compound_id: Annotated[int, Query()]) -> object:
    """My points ledger: what was earned for which activity, and what was exchanged for what."""
    return volunteer_service.ledger(session, who=who, compound_id=compound_id)


@router.get("/roster", response_model=list[VolunteerRead])
def roster(who: VolunteerUser, session: ReadSession, compound_id: Annotated[int, Query()]) -> object:
    """Staff: the compound's volunteers with hours served and points."""
    return volunteer_service.roster(session, who=who, compound_id=compound_id)

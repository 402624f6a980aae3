"""Volunteer API: residents register, sign up, check in and out, exchange points; staff post activities and
rewards and see the roster. The safety committee's records and safety education live here too."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from anju.accounts.permissions import AccountsPerm
from anju.core.auth import CurrentPrincipal, Principal
from anju.core.db import utcnow
from anju.core.deps import ReadSession, WriteSession
from anju.core.errors import Forbidden
from anju.volunteers.committee import committee_service
from anju.volunteers.education import education_service, event_service
from anju.volunteers.exceptions import (
    ActivityFull,
    ActivityNotFound,
    AlreadyPublished,
    AlreadySignedUp,
    BookingClosed,
    BookingNotFound,
    BookingState,
    CampaignNotFound,
    CommitteeMemberNotFound,
    DecisionNotFound,
    EventFull,
    EventNotFound,
    NotAVolunteer,
    NotEnoughPoints,
    NotInAudience,
    OutsideWindow,
    QuizAlreadyAnswered,
    SignupNotFound,
)
from anju.volunteers.permissions import VolunteersPerm
from anju.volunteers.schemas import (
    ActivityIn,
    ActivityRead,
    BookingRead,
    CampaignIn,
    CampaignRead,
    CheckInIn,
    DecisionRead,
    EventIn,
    EventRead,
    MeetingIn,
    MeetingRead,
    MemberIn,
    MemberRead,
    PointsRead,
    QuizAnswersIn,
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


# --- the residents' safety committee -------------------------------------------------------------------------
@router.get("/committee/members", response_model=list[MemberRead])
def committee_members(who: VolunteerUser, session: ReadSession, compound_id: Annotated[int, Query()]) -> object:
    """Staff: the safety committee's members today, chair first."""
    return committee_service.members(session, who=who, compound_id=compound_id)


@router.post("/committee/members", response_model=MemberRead, status_code=201)
def add_committee_member(body: MemberIn, who: VolunteerUser, session: WriteSession) -> object:
    return committee_service.add_member(session, who=who, data=body)


@router.post(
    "/committee/members/{member_id}/leave",
    response_model=MemberRead,
    responses={404: CommitteeMemberNotFound.doc()},
)
def end_committee_member(
    member_id: int, who: VolunteerUser, session: WriteSession, left_on: Annotated[date, Query()]
) -> object:
    """A member leaves the committee on a day (the record stays)."""
    return committee_service.end_member(session, who=who, member_id=member_id, left_on=left_on)


def _meeting_read(session: Any, meetings: list[Any]) -> list[MeetingRead]:
    decisions = committee_service.decisions(session, meeting_ids=[m.id for m in meetings])
    return [
        MeetingRead.model_validate(m).model_copy(
            update={"decisions": [DecisionRead.model_validate(d) for d in decisions[m.id]]}
        )
        for m in meetings
    ]


@router.get("/committee/meetings", response_model=list[MeetingRead])
def committee_meetings(who: VolunteerUser, session: ReadSession, compound_id: Annotated[int, Query()]) -> object:
    """Staff: meetings with their minutes and decisions, newest first."""
    return _meeting_read(session, committee_service.meetings(session, who=who, compound_id=compound_id))


@router.post("/committee/meetings", response_model=MeetingRead, status_code=201)
def record_committee_meeting(body: MeetingIn, who: VolunteerUser, session: WriteSession) -> object:
    """Record a meeting: attendees (members on that day), minutes, decisions."""
    return _meeting_read(session, [committee_service.record_meeting(session, who=who, data=body)])[0]


@router.post(
    "/committee/decisions/{decision_id}/publish",
    response_model=DecisionRead,
    responses={404: DecisionNotFound.doc(), 409: AlreadyPublished.doc()},
)
def publish_committee_decision(decision_id: int, who: VolunteerUser, session: WriteSession) -> object:
    """Publish a decision to the compound's residents as a notice (once)."""
    return committee_service.publish_decision(session, who=who, decision_id=decision_id, now=utcnow())


# --- safety education ----------------------------------------------------------------------------------------
@router.post("/education/campaigns", response_model=CampaignRead, status_code=201)
def publish_campaign(body: CampaignIn, who: VolunteerUser, session: WriteSession) -> object:
    """Staff: publish a campaign to an audience drawn from the registry today (elderly, children, tenants)."""
    return education_service.publish(session, who=who, data=body, now=utcnow())


@router.get("/education/coverage")
def education_coverage(
    who: VolunteerUser, session: ReadSession, compound_id: Annotated[int, Query()]
) -> dict[str, Any]:
    """Staff: per campaign and per audience, how many it was for, read it, took the quiz, and the scores."""
    cov = education_service.coverage(session, who=who, compound_id=compound_id)
    return {
        "audiences": cov["audiences"],
        "campaigns": [
            {
                **{k: v for k, v in row.items() if k != "campaign"},
                "campaign": CampaignRead.model_validate(row["campaign"]),
            }
            for row in cov["campaigns"]
        ],
    }


@router.get("/education/mine")
def my_campaigns(who: VolunteerUser, session: ReadSession) -> list[dict[str, Any]]:
    """Residents: the campaigns meant for me, with my read and my score."""
    return [
        {
            "campaign": CampaignRead.model_validate(c),
            "questions": len(c.quiz),
            "read_at": t.read_at,
            "quiz_score": t.quiz_score,
        }
        for c, t in education_service.mine(session, who=who)
    ]


@router.post("/education/campaigns/{campaign_id}/read", status_code=204, responses={404: CampaignNotFound.doc()})
def read_campaign(campaign_id: int, who: VolunteerUser, session: WriteSession) -> None:
    education_service.open(session, who=who, campaign_id=campaign_id, now=utcnow())


@router.post(
    "/education/campaigns/{campaign_id}/quiz",
    responses={404: CampaignNotFound.doc(), 409: QuizAlreadyAnswered.doc()},
)
def answer_quiz(campaign_id: int, body: QuizAnswersIn, who: VolunteerUser, session: WriteSession) -> dict[str, int]:
    """Answer the quiz once; the score is the number of right answers."""
    t = education_service.answer_quiz(session, who=who, campaign_id=campaign_id, answers=body.answers, now=utcnow())
    return {"score": t.quiz_score or 0}


# --- safety-education events (安全小课堂) ----------------------------------------------------------------------
@router.post("/education/events", response_model=EventRead, status_code=201)
def create_event(body: EventIn, who: VolunteerUser, session: WriteSession) -> object:
    """Staff: an event for an audience group (optionally one building) with a capacity and a booking deadline."""
    return event_service.create(session, who=who, data=body, now=utcnow())


@router.get("/education/events")
def events(who: VolunteerUser, session: ReadSession, compound_id: Annotated[int, Query()]) -> list[dict[str, Any]]:
    """Staff: the compound's events, newest first, with live bookings and attendance."""
    return [
        {"event": EventRead.model_validate(r["event"]), "attended": r["attended"]}
        for r in event_service.events(session, who=who, compound_id=compound_id)
    ]


@router.get("/education/events/figures")
def event_figures(who: VolunteerUser, session: ReadSession, compound_id: Annotated[int, Query()]) -> dict[str, Any]:
    """Staff: events held, bookings, attended and the attendance rate per audience group."""
    return event_service.figures(session, who=who, compound_id=compound_id, until=utcnow())


@router.get("/education/events/{event_id}/bookings", responses={404: EventNotFound.doc()})
def event_bookings(event_id: int, who: VolunteerUser, session: ReadSession) -> list[dict[str, Any]]:
    """Staff: the live bookings of an event with the residents' names, for checking them in."""
    return [
        {"booking": BookingRead.model_validate(b), "name": name}
        for b, name in event_service.bookings(session, who=who, event_id=event_id)
    ]


@router.post(
    "/education/events/{event_id}/check-in",
    response_model=BookingRead,
    responses={404: BookingNotFound.doc(), 409: BookingState.doc()},
)
def check_in_by_code(event_id: int, body: CheckInIn, who: VolunteerUser, session: WriteSession) -> object:
    """Staff: check in the resident who shows this code (once, from an hour before the start to an hour after)."""
    return event_service.check_in(session, who=who, event_id=event_id, code=body.code, now=utcnow())


@router.get("/education/events/mine")
def my_events(who: VolunteerUser, session: ReadSession) -> list[dict[str, Any]]:
    """Residents: events not over yet whose audience I am in (or that I booked), with my booking."""
    return [
        {"event": EventRead.model_validate(e), "booking": BookingRead.model_validate(b) if b else None}
        for e, b in event_service.open_to_me(session, who=who, now=utcnow())
    ]


@router.post(
    "/education/events/{event_id}/booking",
    response_model=BookingRead,
    status_code=201,
    responses={
        403: NotInAudience.doc(),
        404: EventNotFound.doc(),
        409: EventFull.doc(),
    },
)
def book_event(event_id: int, who: VolunteerUser, session: WriteSession) -> object:
    """Residents: book a seat (a retry returns the same booking). Full or past the deadline: 409; not in the
    event's audience: 403 with the reason."""
    _ = BookingClosed  # also a 409
    return event_service.book(session, who=who, event_id=event_id, now=utcnow())


@router.delete(
    "/education/events/{event_id}/booking",
    response_model=BookingRead,
    responses={404: BookingNotFound.doc(), 409: BookingState.doc()},
)
def cancel_booking(event_id: int, who: VolunteerUser, session: WriteSession) -> object:
    """Residents: cancel my booking before the start; the seat goes back."""
    return event_service.cancel(session, who=who, event_id=event_id, now=utcnow())

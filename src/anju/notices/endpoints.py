"""notices: HTTP API. Publishing (staff and the owners' committee), my inbox and read
receipts, mute preferences, surveys with anonymous answers and results by building."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter

from anju.accounts.permissions import AccountsPerm
from anju.core.auth import CurrentPrincipal, Principal, requires
from anju.core.deps import ReadSession, WriteSession
from anju.notices.models import Notice, Survey
from anju.notices.permissions import NoticesPerm
from anju.notices.schemas import (
    Inbox,
    InboxItem,
    MutesBody,
    NoticeCreate,
    NoticeRead,
    NoticeWithReceipts,
    SurveyAnswerBody,
    SurveyCreate,
    SurveyRead,
    SurveyResults,
)
from anju.notices.service import notice_service, survey_service

router = APIRouter(tags=["notices"])
NoticeManager = Annotated[Principal, requires(NoticesPerm.manage)]
SelfService = Annotated[Principal, requires(AccountsPerm.self_service)]


@router.post("/notices", response_model=NoticeRead, status_code=201)
def publish(body: NoticeCreate, who: NoticeManager, session: WriteSession) -> Notice:
    """Publish a notice to a compound, building, unit or house (owners, tenants or all).
    Emergency broadcasts reach every resident of the target whatever their preferences."""
    return notice_service.publish(session, by=who, data=body)


@router.get("/notices", response_model=list[NoticeWithReceipts])
def list_notices(who: NoticeManager, session: ReadSession, compound_id: int) -> list[NoticeWithReceipts]:
    """Published notices with read-receipt counts."""
    return [
        NoticeWithReceipts(**NoticeRead.model_validate(n).model_dump(), read=read)
        for n, read in notice_service.managed(session, by=who, compound_id=compound_id)
    ]


@router.get("/me/notices", response_model=Inbox)
def my_notices(who: SelfService, session: ReadSession) -> Inbox:
    """My inbox, newest first, with the unread count."""
    unread, rows = notice_service.inbox(session, by=who)
    return Inbox(
        unread=unread, items=[InboxItem(notice=NoticeRead.model_validate(n), read_at=d.read_at) for n, d in rows]
    )


@router.post("/me/notices/{notice_id}/read", status_code=204)
def mark_read(notice_id: int, who: SelfService, session: WriteSession) -> None:
    """Record my read receipt (the first read counts)."""
    notice_service.mark_read(session, by=who, notice_id=notice_id)


@router.put("/me/notice-mutes", response_model=list[str])
def set_mutes(body: MutesBody, who: SelfService, session: WriteSession) -> list[str]:
    """Kinds of notices I do not want ("all", "general", "outage", "disclosure").
    Emergency broadcasts and fee reminders cannot be muted."""
    return notice_service.set_mutes(session, by=who, kinds=body.kinds)


@router.post("/surveys", response_model=SurveyRead, status_code=201)
def create_survey(body: SurveyCreate, who: NoticeManager, session: WriteSession) -> Survey:
    """A survey (e.g. 物业满意度): single-choice, 1–5 rating and text questions, optionally anonymous."""
    return survey_service.create(session, by=who, data=body)


@router.post("/surveys/{survey_id}/responses", status_code=204)
def answer_survey(survey_id: int, body: SurveyAnswerBody, who: SelfService, session: WriteSession) -> None:
    """Answer once per household (or person). Anonymous answers are stored without any link to me."""
    survey_service.respond(session, by=who, survey_id=survey_id, house_id=body.house_id, answers=body.answers)


@router.get("/surveys/{survey_id}/results", response_model=SurveyResults)
def survey_results(survey_id: int, who: CurrentPrincipal, session: ReadSession) -> dict[str, Any]:
    """Counts, averages and results by building (publishers only)."""
    r = survey_service.results(session, by=who, survey_id=survey_id)
    return {**r, "survey": SurveyRead.model_validate(r["survey"])}


@router.post("/surveys/{survey_id}/close", response_model=SurveyRead)
def close_survey(survey_id: int, who: NoticeManager, session: WriteSession) -> Survey:
    """Stop accepting answers."""
    return survey_service.close(session, by=who, survey_id=survey_id)

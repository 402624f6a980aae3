"""Notices pages: the resident's notice inbox with surveys and mute preferences (H5); the notices console
for staff and the owners' committee (publish, read receipts, surveys and their results).

Forms post here and redirect back (post/redirect/get); refusals raise the domain's errors,
which web paths render as a 4xx page with the reason.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from starlette.responses import Response

from anju.accounts.permissions import AccountsPerm
from anju.core.auth import Principal
from anju.core.deps import ReadSession, WriteSession
from anju.core.errors import Forbidden, Invalid
from anju.core.rbac import Role
from anju.notices.enums import (
    MUTABLE,
    Audience,
    NoticeKind,
    OutageKind,
    QuestionKind,
    RespondentUnit,
    TargetKind,
)
from anju.notices.permissions import NoticesPerm
from anju.notices.repository import NoticeQuery
from anju.notices.schemas import NoticeCreate, QuestionIn, SurveyCreate
from anju.notices.service import notice_service, survey_service
from anju.registry.models import Building
from anju.web import queries
from anju.web.deps import (
    ConsolePage,
    WebUser,
    page_guard,
    selected_compound,
)
from anju.web.forms import PostedForm
from anju.web.nav import NavGroup, nav_for
from anju.web.render import CST, render

router = APIRouter(include_in_schema=False)
SelfServicePage = Annotated[Principal, Depends(page_guard(AccountsPerm.self_service))]


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# --- resident H5: notice inbox and surveys ---------------------------------------------------------------
@router.get("/h5/notices")
def my_notices(request: Request, who: SelfServicePage, session: ReadSession) -> Response:
    """通知公告: my inbox with the unread badge, open surveys, mute preferences."""
    unread, rows = notice_service.inbox(session, by=who)
    open_surveys = [
        {"survey": s, "questions": survey_service.questions(session, s.id), "done": done}
        for s, done in survey_service.open_for(session, by=who)
    ]
    mutes = notice_service.mutes(session, person_id=who.person_id) if who.person_id else []
    return render(
        request,
        "notices/h5_inbox.html",
        {"who": who, "unread": unread, "rows": rows, "surveys": open_surveys, "mutes": mutes, "mutable": MUTABLE},
    )


@router.post("/h5/notices/{notice_id}/read")
def read_notice(notice_id: int, who: SelfServicePage, session: WriteSession) -> Response:
    notice_service.mark_read(session, by=who, notice_id=notice_id)
    return _see_other(f"/h5/notices#notice-{notice_id}")


def _ascii_int(value: object) -> int | None:
    text = str(value)
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


@router.post("/h5/notices/mutes")
def set_mutes(form: PostedForm, who: SelfServicePage, session: WriteSession) -> Response:
    notice_service.set_mutes(session, by=who, kinds=[str(k) for k in form.getlist("kind")][:8])
    return _see_other("/h5/notices")


@router.post("/h5/surveys/{survey_id}")
def answer_survey(survey_id: int, form: PostedForm, who: SelfServicePage, session: WriteSession) -> Response:
    answers: dict[str, Any] = {}
    for k in {k for k in form if k.startswith("q_")}:
        values = [str(v) for v in form.getlist(k)[:20]]
        answers[k[2:]] = values if len(values) > 1 else values[0]  # several ticks of a multiple-choice question
    survey_service.respond(session, by=who, survey_id=survey_id, house_id=None, answers=answers)
    return _see_other("/h5/notices?answered=1")


# --- staff fees console -------------------------------------------------------------------------
# --- notices console: staff with notices.manage and the owners' committee ------------------------------
def notices_guard(request: Request, who: WebUser, session: ReadSession) -> ConsolePage:
    """Staff holding notices.manage, or committee members (not staff: their compound is their home's)."""
    if not who.can(NoticesPerm.manage) or not (who.is_staff or who.role == Role.committee_member):
        raise Forbidden(f"role {who.role.value} may not open {request.url.path}", zh="您的角色无权查看此页面")
    compounds = queries.compounds_of(session, who)
    return ConsolePage(who=who, compounds=compounds, compound=selected_compound(request, compounds))


NoticesPage = Annotated[ConsolePage, Depends(notices_guard)]
_COMMITTEE_PAGES = ("/console/notices", "/console/votes")
SURVEY_ROWS = 6  # question rows the builder shows at first ("add a question" reveals more, up to the maximum)
SURVEY_ROWS_MAX = 30


def _nav(who: Principal) -> list[NavGroup]:
    """Committee members see only the console pages they may open."""
    groups = nav_for(who)
    if who.is_staff:
        return groups
    out = [NavGroup(g.key, tuple(i for i in g.items if i.href in _COMMITTEE_PAGES)) for g in groups]
    return [g for g in out if g.items]


@router.get("/console/notices")
def notices_console(request: Request, ctx: NoticesPage, session: ReadSession, done: str | None = None) -> Response:
    """通知公告: publish (general, outage, emergency), read receipts, surveys and their results."""
    if ctx.compound is None:
        return render(request, "console/empty.html", {**ctx.context("nav.notices"), "nav": _nav(ctx.who)})
    cid = ctx.compound.id
    notices = notice_service.managed(session, by=ctx.who, compound_id=cid)
    buildings = list(
        session.execute(
            select(Building.id, Building.name).where(Building.compound_id == cid).order_by(Building.id)
        ).all()
    )
    surveys = []
    for s in NoticeQuery(session).surveys(cid)[:10]:
        surveys.append(survey_service.results(session, by=ctx.who, survey_id=s.id))
    now = datetime.now(UTC).astimezone(CST)
    return render(
        request,
        "notices/console.html",
        {
            **ctx.context(
                "nav.notices",
                notices=notices,
                buildings=buildings,
                surveys=surveys,
                done=done,
                kinds=[NoticeKind.general, NoticeKind.outage, NoticeKind.emergency],
                outage_kinds=list(OutageKind),
                audiences=list(Audience),
                question_kinds=list(QuestionKind),
                survey_rows=SURVEY_ROWS,
                survey_rows_max=SURVEY_ROWS_MAX,
                default_start=(now + timedelta(days=1)).strftime("%Y-%m-%dT09:00"),
                default_end=(now + timedelta(days=1)).strftime("%Y-%m-%dT17:00"),
            ),
            "nav": _nav(ctx.who),
        },
    )


def _local(value: str) -> datetime | None:
    """A datetime-local form value, read as China time."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=CST).astimezone(UTC)
    except (ValueError, OverflowError):  # not a date, or at the edge of the calendar (year 1 in China time)
        raise Invalid("bad date/time", zh="时间格式无效") from None


@router.post("/console/notices")
def publish_notice(form: PostedForm, ctx: NoticesPage, session: WriteSession) -> Response:
    if ctx.compound is None:
        raise Forbidden()
    f = {k: str(v)[:5000] for k, v in form.items()}
    building_id = _ascii_int(f.get("building_id", ""))
    buildings = [b for b in (_ascii_int(v) for v in form.getlist("outage_buildings")[:200]) if b is not None]
    try:
        data = NoticeCreate(
            compound_id=ctx.compound.id,
            kind=NoticeKind(f.get("kind", "general")),
            title=f.get("title", ""),
            body=f.get("body", ""),
            target_kind=TargetKind.building if building_id is not None else TargetKind.compound,
            target_id=building_id,
            audience=Audience(f.get("audience", "all")),
            outage_kind=OutageKind(f["outage_kind"]) if f.get("kind") == "outage" and f.get("outage_kind") else None,
            outage_buildings=buildings if f.get("kind") == "outage" else None,
            window_start=_local(f.get("window_start", "")) if f.get("kind") == "outage" else None,
            window_end=_local(f.get("window_end", "")) if f.get("kind") == "outage" else None,
        )
    except ValueError as exc:
        raise Invalid(str(exc)[:300], zh="通知内容不完整或无效") from None
    n = notice_service.publish(session, by=ctx.who, data=data)
    return _see_other(f"/console/notices?done=published:{n.recipients}")


@router.post("/console/notices/surveys")
def create_survey(form: PostedForm, ctx: NoticesPage, session: WriteSession) -> Response:
    """The survey builder: question rows q<n>_kind, q<n>_text and q<n>_options (one option per line); rows
    without text are skipped."""
    if ctx.compound is None:
        raise Forbidden()
    questions: list[QuestionIn] = []
    for n in range(SURVEY_ROWS_MAX):
        text = str(form.get(f"q{n}_text", ""))[:255].strip()
        if not text:
            continue
        kind = str(form.get(f"q{n}_kind", ""))
        options = [o.strip() for o in str(form.get(f"q{n}_options", ""))[:2000].splitlines() if o.strip()][:20]
        try:
            questions.append(QuestionIn(kind=QuestionKind(kind), text=text, options=options))
        except ValueError:
            raise Invalid(f"question {n + 1}: bad kind", zh=f"第 {n + 1} 题的题型无效") from None
    try:
        data = SurveyCreate(
            compound_id=ctx.compound.id,
            title=str(form.get("title", ""))[:128],
            description=str(form.get("description", ""))[:2000],
            anonymous=form.get("anonymous") == "on",
            respondent_unit=RespondentUnit(str(form.get("respondent_unit", "household"))),
            closes_at=_local(str(form.get("closes_at", ""))[:16]),
            questions=questions,
        )
    except ValueError as exc:
        raise Invalid(str(exc)[:300], zh="问卷标题和题目不能为空") from None
    survey_service.create(session, by=ctx.who, data=data)
    return _see_other("/console/notices?done=survey:1")

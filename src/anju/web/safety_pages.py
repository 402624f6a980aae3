"""Safety committee and safety education pages (issue 18 items 5 and 6).

Console: the residents' safety committee (members, meetings with minutes and decisions, publishing a decision as a
notice) and safety education (campaigns for an audience, coverage per audience; events — 安全小课堂 — with their
bookings, check-in by list or code, and attendance per audience group). H5: my safety lessons, read and quizzed once,
and the events I may book, with my check-in code and its QR. Every rule lives in volunteers.committee and
volunteers.education.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from anju.accounts.permissions import AccountsPerm
from anju.core.auth import Principal
from anju.core.db import utcnow
from anju.core.deps import ReadSession, WriteSession
from anju.core.errors import AppError, Invalid
from anju.core.kit.china_time import CHINA_TZ, china_date
from anju.volunteers.committee import committee_service
from anju.volunteers.education import education_service, event_service
from anju.volunteers.enums import CommitteeRole, EducationAudience
from anju.volunteers.permissions import VolunteersPerm
from anju.volunteers.schemas import CampaignIn, EventIn, MeetingIn, MemberIn, QuizQuestionIn
from anju.web.deps import ConsolePage, console_guard, page_guard
from anju.web.forms import PostedForm, error_message, form_action, go_back, outcome
from anju.web.i18n import Translator, lang_of
from anju.web.render import render

router = APIRouter(include_in_schema=False)
ResidentPage = Annotated[Principal, Depends(page_guard(AccountsPerm.self_service))]
SafetyDesk = Annotated[ConsolePage, Depends(console_guard(VolunteersPerm.read))]
COMMITTEE = "/console/safety-committee"
EDUCATION = "/console/safety-education"
EVENTS = "/console/safety-education/events"
H5 = "/h5/education"
QUIZ_SLOTS = 3


def _do(request: Request, session: Session, back: str, fn: Callable[[], Any], ok_key: str) -> Response:
    """Run one action; a refused one rolls back whatever it flushed and goes back with the reason."""
    return form_action(request, session, back, fn, ok=ok_key, invalid="safety.err.form")


def _text(form: Any, key: str, limit: int) -> str:
    return str(form.get(key, ""))[:limit]


# --- the safety committee (console) ---------------------------------------------------------------------------
@router.get(COMMITTEE)
def committee_page(request: Request, ctx: SafetyDesk, session: ReadSession) -> Response:
    cid = ctx.compound_id
    meetings = committee_service.meetings(session, who=ctx.who, compound_id=cid) if cid else []
    members = committee_service.members(session, who=ctx.who, compound_id=cid) if cid else []
    return render(
        request,
        "volunteers/committee.html",
        ctx.context(
            "nav.safety_committee",
            members=members,
            names={m.id: m.name for m in members},
            meetings=meetings,
            decisions=committee_service.decisions(session, meeting_ids=[m.id for m in meetings]),
            roles=list(CommitteeRole),
            can_manage=ctx.who.can(VolunteersPerm.manage),
            **outcome(request),
        ),
    )


@router.post(COMMITTEE + "/members")
def add_member(request: Request, form: PostedForm, ctx: SafetyDesk, session: WriteSession) -> Response:
    role = _text(form, "role", 12)
    return _do(
        request,
        session,
        COMMITTEE,
        lambda: committee_service.add_member(
            session,
            who=ctx.who,
            data=MemberIn(
                compound_id=ctx.compound_id or 0,
                name=_text(form, "name", 32),
                role=CommitteeRole(role) if role in CommitteeRole.__members__ else CommitteeRole.member,
            ),
        ),
        "safety.ok.member",
    )


@router.post(COMMITTEE + "/members/{member_id}/leave")
def end_member(request: Request, member_id: int, ctx: SafetyDesk, session: WriteSession) -> Response:
    return _do(
        request,
        session,
        COMMITTEE,
        lambda: committee_service.end_member(session, who=ctx.who, member_id=member_id, left_on=china_date()),
        "safety.ok.left",
    )


@router.post(COMMITTEE + "/meetings")
def record_meeting(request: Request, form: PostedForm, ctx: SafetyDesk, session: WriteSession) -> Response:
    def run() -> None:
        # The form's datetime-local field is a China wall-clock time.
        held = datetime.fromisoformat(_text(form, "held_at", 16)).replace(tzinfo=CHINA_TZ)
        attendees = [int(str(v)) for v in form.getlist("attendees")[:50] if str(v).isdigit()]
        decisions = [line.strip() for line in _text(form, "decisions", 10_000).splitlines() if line.strip()][:20]
        committee_service.record_meeting(
            session,
            who=ctx.who,
            data=MeetingIn(
                compound_id=ctx.compound_id or 0,
                title=_text(form, "title", 64),
                held_at=held,
                place=_text(form, "place", 64),
                attendee_ids=attendees,
                minutes=_text(form, "minutes", 10_000),
                decisions=decisions,
            ),
        )

    return _do(request, session, COMMITTEE, run, "safety.ok.meeting")


@router.post(COMMITTEE + "/decisions/{decision_id}/publish")
def publish_decision(request: Request, decision_id: int, ctx: SafetyDesk, session: WriteSession) -> Response:
    return _do(
        request,
        session,
        COMMITTEE,
        lambda: committee_service.publish_decision(session, who=ctx.who, decision_id=decision_id, now=utcnow()),
        "safety.ok.published",
    )


# --- safety education (console) -------------------------------------------------------------------------------
@router.get(EDUCATION)
def education_page(request: Request, ctx: SafetyDesk, session: ReadSession) -> Response:
    from anju.registry.service import house_service

    cid = ctx.compound_id
    cov = (
        education_service.coverage(session, who=ctx.who, compound_id=cid) if cid else {"campaigns": [], "audiences": []}
    )
    return render(
        request,
        "volunteers/education_console.html",
        ctx.context(
            "nav.safety_education",
            coverage=cov,
            audiences=list(EducationAudience),
            buildings=house_service.buildings(session, compound_id=cid) if cid else [],
            slots=range(QUIZ_SLOTS),
            can_manage=ctx.who.can(VolunteersPerm.manage),
            **outcome(request),
        ),
    )


@router.post(EDUCATION + "/campaigns")
def publish_campaign(request: Request, form: PostedForm, ctx: SafetyDesk, session: WriteSession) -> Response:
    def run() -> None:
        quiz = []
        for n in range(QUIZ_SLOTS):
            q = _text(form, f"q{n}", 200).strip()
            if not q:
                continue
            options = [_text(form, f"q{n}o{k}", 100).strip() for k in range(3)]
            options = [o for o in options if o]
            right = _text(form, f"q{n}a", 1)
            quiz.append(QuizQuestionIn(q=q, options=options, answer=int(right) if right.isdigit() else 0))
        building = _text(form, "building_id", 12)
        audience = _text(form, "audience", 12)
        education_service.publish(
            session,
            who=ctx.who,
            data=CampaignIn(
                compound_id=ctx.compound_id or 0,
                audience=EducationAudience(audience),
                building_id=int(building) if building.isdigit() else None,
                title=_text(form, "title", 64),
                body=_text(form, "body", 10_000),
                image_url=_text(form, "image_url", 255).strip(),
                video_url=_text(form, "video_url", 255).strip(),
                quiz=quiz,
            ),
            now=utcnow(),
        )

    return _do(request, session, EDUCATION, run, "safety.ok.campaign")


# --- safety-education events (console) ------------------------------------------------------------------------
def _china_time(form: Any, key: str, *, required: bool = True) -> datetime | None:
    """A datetime-local field: a China wall-clock time."""
    raw = _text(form, key, 16).strip()
    if not raw and not required:
        return None
    try:
        return datetime.fromisoformat(raw).replace(tzinfo=CHINA_TZ)
    except ValueError:
        raise Invalid(f"{key}: a date and time", zh="请填写完整的日期和时间") from None


@router.get(EVENTS)
def events_page(request: Request, ctx: SafetyDesk, session: ReadSession) -> Response:
    from anju.registry.service import house_service

    cid = ctx.compound_id
    now = utcnow()
    return render(
        request,
        "volunteers/events_console.html",
        ctx.context(
            "nav.safety_education",
            events=event_service.events(session, who=ctx.who, compound_id=cid) if cid else [],
            figures=event_service.figures(session, who=ctx.who, compound_id=cid, until=now) if cid else None,
            audiences=list(EducationAudience),
            buildings={b.id: b.name for b in house_service.buildings(session, compound_id=cid)} if cid else {},
            can_manage=ctx.who.can(VolunteersPerm.manage),
            now=now,
            **outcome(request),
        ),
    )


@router.post(EVENTS)
def create_event(request: Request, form: PostedForm, ctx: SafetyDesk, session: WriteSession) -> Response:
    def run() -> None:
        building = _text(form, "building_id", 12)
        capacity = _text(form, "capacity", 6).strip()
        if not capacity.isdigit() or int(capacity) < 1:
            raise Invalid("the capacity is at least 1", zh="名额至少为 1")
        audience = _text(form, "audience", 12)
        starts = _china_time(form, "starts_at")
        ends = _china_time(form, "ends_at")
        assert starts is not None and ends is not None
        event_service.create(
            session,
            who=ctx.who,
            data=EventIn(
                compound_id=ctx.compound_id or 0,
                audience=EducationAudience(audience)
                if audience in EducationAudience.__members__
                else EducationAudience.everyone,
                building_id=int(building) if building.isdigit() else None,
                title=_text(form, "title", 64),
                body=_text(form, "body", 2000),
                place=_text(form, "place", 64),
                starts_at=starts,
                ends_at=ends,
                booking_deadline=_china_time(form, "booking_deadline", required=False),
                capacity=int(capacity),
            ),
            now=utcnow(),
        )

    return _do(request, session, EVENTS, run, "safety.ok.event")


@router.get(EVENTS + "/{event_id}")
def event_page(request: Request, event_id: int, ctx: SafetyDesk, session: ReadSession) -> Response:
    """One event: who booked, check-in by the list or by the code the resident shows."""
    t = Translator(lang_of(request))
    try:
        e = event_service.staff_event(session, who=ctx.who, event_id=event_id)
        bookings = event_service.bookings(session, who=ctx.who, event_id=event_id)
    except AppError as exc:
        return go_back(request, EVENTS, err=error_message(request, exc) or t("safety.err.form"))
    return render(
        request,
        "volunteers/event_console.html",
        ctx.context(
            "nav.safety_education",
            e=e,
            bookings=bookings,
            attended=sum(1 for b, _ in bookings if b.checked_in_at),
            can_manage=ctx.who.can(VolunteersPerm.manage),
            **outcome(request),
        ),
    )


@router.post(EVENTS + "/{event_id}/check-in")
def check_in(request: Request, event_id: int, form: PostedForm, ctx: SafetyDesk, session: WriteSession) -> Response:
    booking = _text(form, "booking_id", 12)
    # Typed, or read from the resident's QR by a scanner into the same field: "anju-edu:<event>:<code>".
    raw = _text(form, "code", 40).strip()
    code = raw
    if raw.startswith("anju-edu:"):
        _, eid, code = [*raw.split(":"), "", ""][:3]
        if eid != str(event_id):
            t = Translator(lang_of(request))
            return go_back(request, f"{EVENTS}/{event_id}", err=t("safety.err.other_event"))
    return _do(
        request,
        session,
        f"{EVENTS}/{event_id}",
        lambda: event_service.check_in(
            session,
            who=ctx.who,
            event_id=event_id,
            booking_id=int(booking) if booking.isdigit() else None,
            code=code or None,
            now=utcnow(),
        ),
        "safety.ok.checked_in",
    )


# --- my safety lessons (H5) -----------------------------------------------------------------------------------
@router.get(H5)
def my_lessons(request: Request, who: ResidentPage, session: ReadSession) -> Response:
    from anju.web.access_pages import qr_svg

    now = utcnow()
    events = event_service.open_to_me(session, who=who, now=now)
    return render(
        request,
        "volunteers/education_h5.html",
        {
            "who": who,
            "items": education_service.mine(session, who=who),
            "events": events,
            "qr": {e.id: qr_svg(f"anju-edu:{e.id}:{b.code}") for e, b in events if b and b.status == "booked"},
            "now": now,
            **outcome(request),
        },
    )


@router.post(H5 + "/events/{event_id}/book")
def book(request: Request, event_id: int, who: ResidentPage, session: WriteSession) -> Response:
    return _do(
        request,
        session,
        H5,
        lambda: event_service.book(session, who=who, event_id=event_id, now=utcnow()),
        "safety.ok.booked",
    )


@router.post(H5 + "/events/{event_id}/cancel")
def cancel(request: Request, event_id: int, who: ResidentPage, session: WriteSession) -> Response:
    return _do(
        request,
        session,
        H5,
        lambda: event_service.cancel(session, who=who, event_id=event_id, now=utcnow()),
        "safety.ok.cancelled",
    )


@router.get(H5 + "/{campaign_id}")
def lesson(request: Request, campaign_id: int, who: ResidentPage, session: WriteSession) -> Response:
    """Opening it is the read receipt (once)."""
    t = Translator(lang_of(request))
    try:
        c, target = education_service.open(session, who=who, campaign_id=campaign_id, now=utcnow())
    except AppError as exc:
        session.rollback()
        return go_back(request, H5, err=error_message(request, exc) or t("safety.err.form"))
    return render(
        request,
        "volunteers/education_item.html",
        {"who": who, "c": c, "target": target, **outcome(request)},
    )


@router.post(H5 + "/{campaign_id}/quiz")
def answer(request: Request, campaign_id: int, form: PostedForm, who: ResidentPage, session: WriteSession) -> Response:
    def run() -> None:
        c, _ = education_service.view(session, who=who, campaign_id=campaign_id)
        answers = []
        for n in range(len(c.quiz)):
            raw = _text(form, f"a{n}", 2)
            answers.append(int(raw) if raw.isdigit() else -1)
        education_service.answer_quiz(session, who=who, campaign_id=campaign_id, answers=answers, now=utcnow())

    return _do(request, session, f"{H5}/{campaign_id}", run, "safety.ok.quiz")

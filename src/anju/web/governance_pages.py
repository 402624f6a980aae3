"""Vote pages: the committee console (set-up, live participation, paper ballots, results, 公示) and the resident H5.

Thin like the other pages: every rule, permission and scope check is in
governance/service.py, which the JSON API uses too. A refused form is rolled back
and the page is shown again with the reason and a 4xx status.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from anju.accounts.permissions import AccountsPerm
from anju.core.auth import Principal
from anju.core.db import utcnow
from anju.core.deps import ReadSession, WriteSession
from anju.core.errors import AppError, Forbidden, Invalid
from anju.core.rbac import Role
from anju.governance.enums import THRESHOLD_OF, Choice, EventKind, MatterType, VoteState
from anju.governance.models import Vote
from anju.governance.permissions import VotesPerm
from anju.governance.repository import VoteRepository
from anju.governance.schemas import AgendaItemIn, VoteCreate
from anju.governance.service import vote_service
from anju.governance.tally import to_decimal
from anju.web import queries
from anju.web.deps import ConsolePage, WebUser, page_guard, selected_compound
from anju.web.forms import PostedForm, error_message, query_int
from anju.web.render import CST, render

router = APIRouter(include_in_schema=False)
PAGE = "nav.votes"
POLL_SECONDS = 3
ResidentPage = Annotated[Principal, Depends(page_guard(AccountsPerm.self_service))]


def vote_console(request: Request, who: WebUser, session: ReadSession) -> ConsolePage:
    """Staff holding votes.read, and owners' committee members (not staff, so console_guard refuses them).

    A committee member's compound is the one their household is in (Principal.compound_ids).
    """
    if not who.can(VotesPerm.read) or not (who.is_staff or who.role is Role.committee_member):
        raise Forbidden(f"role {who.role.value} may not open {request.url.path}", zh="您的角色无权查看此页面")
    compounds = queries.compounds_of(session, who)
    return ConsolePage(who=who, compounds=compounds, compound=selected_compound(request, compounds))


VoteConsole = Annotated[ConsolePage, Depends(vote_console)]


# --- helpers -------------------------------------------------------------------------------------------------
def _pct(value: Any) -> str:
    return f"{to_decimal(value * 100, 1)}%"


def _participation(session: Session, vote: Vote) -> dict[str, Any]:
    p = vote_service.participation(session, vote)
    return {
        "p": p,
        "owners_pct": _pct(p.owners_share),
        "area_pct": _pct(p.area_share),
        "area": to_decimal(p.returned.area),
        "total_area": to_decimal(p.total.area),
    }


def _results(session: Session, vote: Vote) -> list[dict[str, Any]]:
    """The recorded tally with display figures; fractions stay exact in the data, rounded only here."""
    from fractions import Fraction

    tallied = VoteRepository(session).last_event(vote.id, EventKind.tallied)
    if tallied is None:
        return []
    titles = {i.position: i.title for i in VoteRepository(session).items(vote.id)}
    out = []
    for item in tallied.payload["items"]:
        part = item["participating"]
        row = {"title": titles.get(item["position"], ""), **item}
        for side in ("yes", "no", "abstain", "participating", "deemed"):
            area = Fraction(item[side]["area"])
            row[f"{side}_area"] = to_decimal(area)
            base = Fraction(part["area"]) if side != "participating" else Fraction(item["total"]["area"])
            row[f"{side}_area_pct"] = _pct(area / base) if base else "—"
            n = Fraction(item[side]["owners"])
            nb = part["owners"] if side != "participating" else item["total"]["owners"]
            row[f"{side}_owners_pct"] = _pct(n / nb) if nb else "—"
        out.append(row)
    return out


def _form_time(value: str) -> datetime:
    """A datetime-local field is China time."""
    try:
        at = datetime.fromisoformat(value.strip())
    except ValueError:
        raise Invalid("give a date and time", zh="请填写日期和时间") from None
    return at if at.tzinfo is not None else at.replace(tzinfo=CST)


def _attempt(
    request: Request, session: Session, action: Callable[[], Any], on_error: Callable[[str, int], Response]
) -> Any:
    """Run a form action; a refused one is rolled back and its page shown again with the reason."""
    try:
        return action()
    except ValidationError as exc:
        session.rollback()
        request.state.commit_session = False
        return on_error(str(exc.errors()[0].get("msg", "invalid")), 422)
    except AppError as exc:
        session.rollback()
        request.state.commit_session = False
        return on_error(error_message(request, exc), exc.status_code)


def _fields(form: PostedForm) -> dict[str, Any]:
    """Form fields; a repeated field (agenda items) becomes a list."""
    return {k: form.getlist(k) if len(form.getlist(k)) > 1 else form.get(k) for k in form}


VoteForm = Annotated[dict[str, Any], Depends(_fields)]


# --- committee console ---------------------------------------------------------------------------------------
@router.get("/console/votes")
def votes_index(request: Request, ctx: VoteConsole, session: ReadSession) -> Response:
    """Votes of the selected compound, with the set-up form."""
    return _index_page(request, ctx, session)


def _index_page(
    request: Request, ctx: ConsolePage, session: Session, error: str | None = None, status_code: int = 200
) -> Response:
    votes = VoteRepository(session).search(ctx.who, compound_id=ctx.compound_id) if ctx.compound else []
    rows = [{"vote": v, **_participation(session, v)} if v.state is not VoteState.draft else {"vote": v} for v in votes]
    return render(
        request,
        "governance/console_votes.html",
        ctx.context(
            PAGE,
            rows=rows,
            matters=list(MatterType),
            thresholds=THRESHOLD_OF,
            error=error,
            can_manage=ctx.who.can(VotesPerm.manage),
        ),
        status_code=status_code,
    )


@router.post("/console/votes")
def create_vote_page(request: Request, form: VoteForm, ctx: VoteConsole, session: WriteSession) -> Response:

    def act() -> Response:
        titles = form.get("item") or []
        titles = [titles] if isinstance(titles, str) else titles
        house = (form.get("subject_house") or "").strip()
        subject_id = None
        if house and ctx.compound_id:
            from anju.registry.service import house_service

            found = house_service.find_by_label(session, compound_id=ctx.compound_id, label=house)
            if found is None:
                raise Invalid("no such house", zh="房号不存在")
            subject_id = found.id
        data = VoteCreate(
            compound_id=ctx.compound_id or 0,
            title=form.get("title") or "",
            description=form.get("description") or "",
            matter_type=form.get("matter_type") or "",
            subject_house_id=subject_id,
            opens_at=_form_time(form.get("opens_at") or ""),
            closes_at=_form_time(form.get("closes_at") or ""),
            items=[AgendaItemIn(title=t) for t in titles if t and t.strip()],
        )
        vote = vote_service.create(session, by=ctx.who, data=data)
        return RedirectResponse(f"/console/votes/{vote.id}", status_code=303)

    return _attempt(
        request,
        session,
        act,
        lambda msg, code: _index_page(request, ctx, session, error=msg, status_code=code),
    )


@router.get("/console/votes/{vote_id}")
def vote_detail(request: Request, vote_id: int, ctx: VoteConsole, session: ReadSession) -> Response:
    """Agenda, live participation, paper ballots and proxies, results, 公示 and the verification summary."""
    return _detail_page(request, vote_id, ctx, session)


def _detail_page(
    request: Request, vote_id: int, ctx: ConsolePage, session: Session, error: str | None = None, status_code: int = 200
) -> Response:
    vote = vote_service.get(session, by=ctx.who, vote_id=vote_id)
    repo = VoteRepository(session)
    verification = vote_service.verify(session, vote) if vote.state is not VoteState.draft else None
    return render(
        request,
        "governance/console_vote.html",
        ctx.context(
            PAGE,
            vote=vote,
            items=repo.items(vote.id),
            threshold=THRESHOLD_OF[vote.matter_type],
            participation=_participation(session, vote) if vote.state is not VoteState.draft else None,
            results=_results(session, vote),
            proxies=repo.proxies(vote.id),
            verification=verification,
            paper_requests=repo.paper_requests(vote.id),
            can_manage=ctx.who.can(VotesPerm.manage),
            error=error,
            ok=request.query_params.get("ok") if not error else None,
            poll=POLL_SECONDS,
        ),
        status_code=status_code,
    )


@router.get("/console/votes/{vote_id}/participation")
def participation_fragment(request: Request, vote_id: int, ctx: VoteConsole, session: ReadSession) -> Response:
    """Live participation by headcount and area (polled by the page)."""
    vote = vote_service.get(session, by=ctx.who, vote_id=vote_id)
    return render(
        request, "governance/_participation.html", {"vote": vote, "participation": _participation(session, vote)}
    )


@router.post("/console/votes/{vote_id}/{action}")
def vote_action(
    request: Request, vote_id: int, action: str, form: VoteForm, ctx: VoteConsole, session: WriteSession
) -> Response:
    """One button or small form of the vote page: agenda, deem rule, publish, open, close, paper, proxy, 公示."""
    who = ctx.who

    def house_id() -> int:
        from anju.registry.service import house_service

        vote = vote_service.get(session, by=who, vote_id=vote_id)
        found = house_service.find_by_label(
            session, compound_id=vote.compound_id, label=(form.get("house") or "").strip()
        )
        if found is None:
            raise Invalid("no such house", zh="房号不存在")
        return found.id

    def act() -> Response:
        if action == "agenda":
            titles = form.get("item") or []
            titles = [titles] if isinstance(titles, str) else titles
            vote_service.replace_agenda(
                session, by=who, vote_id=vote_id, items=[AgendaItemIn(title=t) for t in titles if t and t.strip()]
            )
        elif action == "deem":
            vote_service.set_deem_rule(
                session, by=who, vote_id=vote_id, enabled=form.get("enabled") == "on", clause=form.get("clause")
            )
        elif action == "publish":
            vote_service.publish(session, by=who, vote_id=vote_id)
        elif action == "open":
            vote_service.open(session, by=who, vote_id=vote_id)
        elif action == "close":
            vote_service.close(session, by=who, vote_id=vote_id)
        elif action == "paper":
            items = VoteRepository(session).items(vote_id)
            choices = {str(i.position): form.get(f"c{i.position}") or "" for i in items}
            vote_service.cast_paper(
                session,
                by=who,
                vote_id=vote_id,
                house_id=house_id(),
                choices=choices,
                paper_ref=(form.get("paper_ref") or "").strip() or "-",
            )
        elif action == "proxy":
            vote_service.record_proxy(
                session,
                by=who,
                vote_id=vote_id,
                house_id=house_id(),
                person_id=query_int(str(form.get("person_id") or ""), minimum=0) or 0,
                document=(form.get("document") or "").strip(),
            )
        elif action == "announce":
            vote_service.announce(session, by=who, vote_id=vote_id, text_=(form.get("text") or "").strip())
        else:
            raise Invalid("unknown action", zh="未知操作")
        return RedirectResponse(f"/console/votes/{vote_id}?ok={action}", status_code=303)

    return _attempt(
        request,
        session,
        act,
        lambda msg, code: _detail_page(request, vote_id, ctx, session, error=msg, status_code=code),
    )


# --- resident H5 -----------------------------------------------------------------------------------------------
@router.get("/h5/votes")
def h5_votes(request: Request, who: ResidentPage, session: ReadSession) -> Response:
    """Open votes, my receipts and published results."""
    repo = VoteRepository(session)
    votes = repo.search(who)
    mine = {b.vote_id: b for b in repo.ballots_cast_by(who.person_id)} if who.person_id else {}
    titles = {v.id: v.title for v in votes}
    return render(
        request,
        "governance/h5_votes.html",
        {
            "who": who,
            "open": [v for v in votes if v.state is VoteState.open and utcnow() < v.closes_at],
            "upcoming": [v for v in votes if v.state is VoteState.published],
            "done": [
                v
                for v in votes
                if v.state in (VoteState.tallied, VoteState.announced, VoteState.closed)
                or (v.state is VoteState.open and utcnow() >= v.closes_at)
            ],
            "mine": mine,
            "receipts": sorted(mine.values(), key=lambda b: b.cast_at, reverse=True),
            "titles": titles,
        },
    )


def _h5_vote_page(
    request: Request,
    who: Principal,
    session: Session,
    vote_id: int,
    *,
    error: str | None = None,
    receipt: str | None = None,
    check: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    vote = vote_service.get(session, by=who, vote_id=vote_id)
    repo = VoteRepository(session)
    houses = [h for h in repo.elector_houses(vote.id) if h.house_id in who.house_ids]
    mine = [b for b in repo.ballots_cast_by(who.person_id) if b.vote_id == vote.id] if who.person_id else []
    voted = {b.elector_id for b in repo.ballots(vote.id)}
    return render(
        request,
        "governance/h5_vote.html",
        {
            "who": who,
            "vote": vote,
            "items": repo.items(vote.id),
            "houses": houses,
            "voted": voted,
            "mine": mine,
            "choices": list(Choice),
            "results": _results(session, vote),
            "error": error,
            "receipt": receipt or request.query_params.get("receipt"),
            "check": check,
            "paper_requested": {r.elector_id for r, _, _ in repo.paper_requests(vote.id)},
            "paper_ok": request.query_params.get("paper") == "1",
        },
        status_code=status_code,
    )


@router.get("/h5/votes/{vote_id}")
def h5_vote(request: Request, vote_id: int, who: ResidentPage, session: ReadSession) -> Response:
    """One vote: agenda, my ballot (or my receipt), results when published."""
    check = None
    if request.query_params.get("check"):
        check = vote_service.check_receipt(session, by=who, vote_id=vote_id, receipt=request.query_params["check"][:64])
    return _h5_vote_page(request, who, session, vote_id, check=check)


@router.post("/h5/votes/{vote_id}/ballot")
def h5_cast(request: Request, vote_id: int, form: VoteForm, who: ResidentPage, session: WriteSession) -> Response:

    def act() -> Response:
        items = VoteRepository(session).items(vote_id)
        choices = {str(i.position): form.get(f"c{i.position}") or "" for i in items}
        house = query_int(str(form.get("house_id") or ""), minimum=0)
        if house is None:
            raise Invalid("choose the house you vote for", zh="请选择投票的房屋")
        ballot = vote_service.cast(session, by=who, vote_id=vote_id, house_id=house, choices=choices)
        return RedirectResponse(f"/h5/votes/{vote_id}?receipt={ballot.row_hash}", status_code=303)

    return _attempt(
        request,
        session,
        act,
        lambda msg, code: _h5_vote_page(request, who, session, vote_id, error=msg, status_code=code),
    )


@router.post("/h5/votes/{vote_id}/paper")
def h5_request_paper(
    request: Request, vote_id: int, form: VoteForm, who: ResidentPage, session: WriteSession
) -> Response:
    """R-V16: ask for a paper ballot instead of voting online."""

    def act() -> Response:
        house = query_int(str(form.get("house_id") or ""), minimum=0)
        if house is None:
            raise Invalid("choose the house you vote for", zh="请选择投票的房屋")
        vote_service.request_paper(session, by=who, vote_id=vote_id, house_id=house)
        return RedirectResponse(f"/h5/votes/{vote_id}?paper=1", status_code=303)

    return _attempt(
        request,
        session,
        act,
        lambda msg, code: _h5_vote_page(request, who, session, vote_id, error=msg, status_code=code),
    )

"""The yearly satisfaction evaluation page (issue 18 item 7): open the year's standard survey, scores per service
area with the change from the year before, the response rate, the aggregates-only CSV for the third-party assessor
and the assessor's record. Every rule lives in notices.evaluation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import Response

from anju.core.db import utcnow
from anju.core.deps import ReadSession, WriteSession
from anju.core.errors import AppError
from anju.core.kit.china_time import china_date
from anju.notices.evaluation import evaluation_service
from anju.notices.permissions import NoticesPerm
from anju.web.deps import ConsolePage, console_guard
from anju.web.forms import go_back, outcome, refused
from anju.web.i18n import Translator, lang_of
from anju.web.render import render

router = APIRouter(include_in_schema=False)
EvaluationDesk = Annotated[ConsolePage, Depends(console_guard(NoticesPerm.manage))]
PAGE = "/console/evaluation"


def _year(value: int | None) -> int:
    return value if value is not None and 2000 <= value <= 2199 else china_date().year


@router.get(PAGE)
def evaluation_page(request: Request, ctx: EvaluationDesk, session: ReadSession, year: int | None = None) -> Response:
    y = _year(year)
    cid = ctx.compound_id
    ev = evaluation_service.find(session, compound_id=cid, year=y) if cid else None
    report = evaluation_service.report(session, who=ctx.who, compound_id=cid, year=y) if cid and ev else None
    return render(
        request,
        "notices/evaluation.html",
        ctx.context("nav.evaluation", year=y, ev=ev, report=report, **outcome(request)),
    )


@router.post(PAGE + "/{year}/open")
def open_evaluation(request: Request, year: int, ctx: EvaluationDesk, session: WriteSession) -> Response:
    t = Translator(lang_of(request))
    try:
        evaluation_service.open(session, who=ctx.who, compound_id=ctx.compound_id or 0, year=_year(year))
    except AppError as exc:
        return refused(request, session, f"{PAGE}?year={_year(year)}", exc)
    return go_back(request, f"{PAGE}?year={_year(year)}", ok=t("eval.ok.opened"))


@router.post(PAGE + "/{year}/assessor")
def record_assessor(
    request: Request,
    year: int,
    ctx: EvaluationDesk,
    session: WriteSession,
    assessor: Annotated[str, Form(max_length=64)] = "",
    ref: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    t = Translator(lang_of(request))
    back = f"{PAGE}?year={_year(year)}"
    if len(assessor.strip()) < 2:
        return go_back(request, back, err=t("eval.err.assessor"))
    try:
        evaluation_service.record_assessor(
            session, who=ctx.who, compound_id=ctx.compound_id or 0, year=_year(year), assessor=assessor, ref=ref
        )
    except AppError as exc:
        return refused(request, session, back, exc)
    return go_back(request, back, ok=t("eval.ok.assessor"))


@router.get(PAGE + "/{year}/export.csv")
def export(year: int, ctx: EvaluationDesk, session: WriteSession) -> Response:
    """The assessor's file (aggregates only); the hand-over time is recorded."""
    y = _year(year)
    text = evaluation_service.export_csv(session, who=ctx.who, compound_id=ctx.compound_id or 0, year=y, now=utcnow())
    return Response(
        content="\ufeff" + text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="evaluation-{ctx.compound_id}-{y}.csv"'},
    )

"""The yearly satisfaction evaluation's API (issue 18 item 7): open the year's standard survey, the report with
response rate and year-on-year change, the assessor's CSV (aggregates only), the third-party record."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import Field
from starlette.responses import Response

from anju.core.auth import CurrentPrincipal
from anju.core.db import utcnow
from anju.core.deps import ReadSession, WriteSession
from anju.core.schemas import InSchema
from anju.notices.evaluation import evaluation_service

router = APIRouter(prefix="/evaluations", tags=["notices"])
Year = Annotated[int, Path(ge=2000, le=2199)]


class AssessorIn(InSchema):
    assessor: str = Field(min_length=2, max_length=64)
    ref: str = Field("", max_length=128)


@router.post("/{compound_id}/{year}", status_code=201)
def open_evaluation(compound_id: int, year: Year, who: CurrentPrincipal, session: WriteSession) -> dict[str, Any]:
    """Open the year's standard satisfaction survey (once per compound and year)."""
    ev = evaluation_service.open(session, who=who, compound_id=compound_id, year=year)
    return {"id": ev.id, "year": ev.year, "survey_id": ev.survey_id}


@router.get("/{compound_id}/{year}")
def evaluation_report(compound_id: int, year: Year, who: CurrentPrincipal, session: ReadSession) -> dict[str, Any]:
    """Per-area scores, answers and response rate, and the change from the year before."""
    return evaluation_service.report(session, who=who, compound_id=compound_id, year=year)


@router.get("/{compound_id}/{year}/export.csv")
def evaluation_export(compound_id: int, year: Year, who: CurrentPrincipal, session: WriteSession) -> Response:
    """The third-party assessor's file: aggregates only."""
    text = evaluation_service.export_csv(session, who=who, compound_id=compound_id, year=year, now=utcnow())
    return Response(
        content="\ufeff" + text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="evaluation-{compound_id}-{year}.csv"'},
    )


@router.put("/{compound_id}/{year}/assessor")
def record_assessor(
    compound_id: int, year: Year, body: AssessorIn, who: CurrentPrincipal, session: WriteSession
) -> dict[str, Any]:
    """Record the third-party evaluation body and its contract or report number."""
    ev = evaluation_service.record_assessor(
        session, who=who, compound_id=compound_id, year=year, assessor=body.assessor, ref=body.ref
    )
    return {"year": ev.year, "assessor": ev.assessor, "assessor_ref": ev.assessor_ref}

"""Aggregate figures for the 数据大屏 and street-office oversight, hot spots and the security reports."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter

from anju.analytics.coverage import PositionState, key_position_service
from anju.analytics.hotspot_cache import HOTSPOT_HISTORY, model_weights
from anju.analytics.hotspots import HALF_LIFE_DAYS, rank
from anju.analytics.models import SecurityReport, StaffShift, StaffTraining, StaffTrainingRecord
from anju.analytics.permissions import AnalyticsPerm
from anju.analytics.picture import command_picture, district
from anju.analytics.queries import overview
from anju.analytics.reports import report_service
from anju.analytics.schemas import (
    HotspotCell,
    Hotspots,
    KeyPositionCameras,
    KeyPositionCreate,
    KeyPositionRead,
    RectificationUpdate,
    ReportCreate,
    ReportRead,
    ReportSummary,
    ShiftCreate,
    ShiftMark,
    ShiftRead,
    TrainingCreate,
    TrainingRead,
    TrainingRecordRead,
    TrainingRecordsUpdate,
)
from anju.analytics.staff import RecordIn, staff_service
from anju.analytics.street import street_hotspots
from anju.core.auth import Principal, requires
from anju.core.db import utcnow
from anju.core.deps import ReadSession, ReportSession, WriteSession
from anju.core.errors import Conflict, Invalid, NotFound
from anju.core.kit.china_time import china_date

router = APIRouter(tags=["analytics"])
AnalyticsReader = Annotated[Principal, requires(AnalyticsPerm.read)]
ReportWriter = Annotated[Principal, requires(AnalyticsPerm.report_write)]
StaffWriter = Annotated[Principal, requires(AnalyticsPerm.staff_write)]


@router.get("/analytics/overview")
def analytics_overview(who: AnalyticsReader, session: ReportSession, compound_id: int | None = None) -> dict[str, Any]:
    """Population structure, households, tags and vehicles (counts only)."""
    return overview(session, who=who, compound_id=compound_id, today=china_date())


@router.get("/analytics/picture", responses={404: NotFound.doc()})
def analytics_picture(who: AnalyticsReader, session: ReportSession, compound_id: int) -> dict[str, Any]:
    """The compound's security map: site plan, layers (places and counts), KPI tiles and the alarm ticker."""
    data = command_picture(session, who=who, compound_id=compound_id, now=utcnow())
    return {
        **data,
        "layers": [asdict(x) for x in data["layers"]],
        "ticker": [asdict(x) for x in data["ticker"]],
        "complaints": [asdict(x) for x in data["complaints"]],
    }


@router.get("/analytics/district")
def analytics_district(who: AnalyticsReader, session: ReportSession) -> dict[str, Any]:
    """Every compound the caller oversees compared, and the total (rates and counts; small person counts '<5')."""
    return district(session, who=who, now=utcnow())


@router.get("/analytics/street-hotspots")
def analytics_street_hotspots(who: AnalyticsReader, session: ReportSession) -> dict[str, Any]:
    """The street office's hot-spot map: its compounds' theft-kind incidents pooled, relative heat by weekday and
    hour and by compound and hour, the top place × time cells (counts under 5 hidden), never people."""
    return street_hotspots(session, who=who, now=utcnow())


@router.get("/analytics/hotspots", response_model=Hotspots, responses={404: NotFound.doc()})
def analytics_hotspots(who: AnalyticsReader, session: ReportSession, compound_id: int, top: int = 10) -> Hotspots:
    """Theft hot spots: the place × hour-of-week cells ranked by recency-weighted incident counts."""
    if not who.in_scope(compound_id):
        raise NotFound(f"compound {compound_id} not found", zh="未找到该小区")
    now = utcnow()
    weights, scale = model_weights(session, compound_id=compound_id, now=now)  # the day's model, brought forward
    cells = rank(weights, scale=scale)[: max(1, min(top, 50))]
    return Hotspots(
        compound_id=compound_id,
        incidents=sum(weights.place_n.values()),
        history_days=HOTSPOT_HISTORY.days,
        half_life_days=HALF_LIFE_DAYS,
        cells=[HotspotCell.model_validate(asdict(c)) for c in cells],
    )


@router.get("/analytics/reports", response_model=list[ReportSummary], responses={404: NotFound.doc()})
def list_reports(
    who: AnalyticsReader, session: ReportSession, compound_id: int | None = None, kind: str | None = None
) -> list[SecurityReport]:
    """Stored security reports of the caller's compounds, newest period first."""
    return report_service.search(session, who=who, compound_id=compound_id, kind=kind)


@router.post(
    "/analytics/reports",
    response_model=ReportRead,
    status_code=201,
    responses={404: NotFound.doc(), 409: Conflict.doc()},
)
def request_report(body: ReportCreate, who: ReportWriter, session: WriteSession) -> SecurityReport:
    """The report of a closed period now (the same stored report the period-end job makes; asking twice is one)."""
    return report_service.request(
        session, who=who, compound_id=body.compound_id, kind=body.kind, day=body.day, today=china_date()
    )


@router.get("/analytics/reports/{report_id}", response_model=ReportRead, responses={404: NotFound.doc()})
def get_report(report_id: int, who: AnalyticsReader, session: ReportSession) -> SecurityReport:
    """One stored report with its figures, formulas' inputs, comparison and rectification plan."""
    return report_service.get(session, who=who, report_id=report_id)


@router.put("/analytics/reports/{report_id}/rectification", response_model=ReportRead, responses={404: NotFound.doc()})
def set_rectification(
    report_id: int, body: RectificationUpdate, who: ReportWriter, session: WriteSession
) -> SecurityReport:
    """Write the report's rectification plan (整改计划); the figures stay as generated."""
    return report_service.set_rectification(session, who=who, report_id=report_id, text=body.text)


@router.get("/analytics/staff/trainings", response_model=list[TrainingRead], responses={404: NotFound.doc()})
def list_trainings(who: AnalyticsReader, session: ReadSession, compound_id: int) -> list[StaffTraining]:
    """Training sessions and exams of the compound's security staff, newest first."""
    return staff_service.trainings(session, who=who, compound_id=compound_id)


@router.post(
    "/analytics/staff/trainings",
    response_model=TrainingRead,
    status_code=201,
    responses={404: NotFound.doc(), 422: Invalid.doc()},
)
def add_training(body: TrainingCreate, who: StaffWriter, session: WriteSession) -> StaffTraining:
    """Record a training session or an exam (an exam carries its pass mark)."""
    return staff_service.add_training(
        session,
        who=who,
        compound_id=body.compound_id,
        kind=body.kind,
        title=body.title,
        held_on=body.held_on,
        today=china_date(),
        hours=body.hours,
        pass_score=body.pass_score,
    )


@router.put(
    "/analytics/staff/trainings/{training_id}/records",
    response_model=list[TrainingRecordRead],
    responses={404: NotFound.doc(), 422: Invalid.doc()},
)
def set_training_records(
    training_id: int, body: TrainingRecordsUpdate, who: StaffWriter, session: WriteSession
) -> list[StaffTrainingRecord]:
    """Who attended (and their exam scores); saving a person again replaces their line."""
    return staff_service.set_records(
        session,
        who=who,
        training_id=training_id,
        records=[RecordIn(r.user_id, r.attended, r.score) for r in body.records],
    )


@router.post(
    "/analytics/staff/shifts",
    response_model=ShiftRead,
    status_code=201,
    responses={404: NotFound.doc(), 409: Conflict.doc(), 422: Invalid.doc()},
)
def add_shift(body: ShiftCreate, who: StaffWriter, session: WriteSession) -> StaffShift:
    """Plan one shift of one staff member."""
    return staff_service.add_shift(
        session,
        who=who,
        compound_id=body.compound_id,
        user_id=body.user_id,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
    )


@router.put("/analytics/staff/shifts/{shift_id}", response_model=ShiftRead, responses={404: NotFound.doc()})
def mark_shift(shift_id: int, body: ShiftMark, who: StaffWriter, session: WriteSession) -> StaffShift:
    """Mark a shift worked or absent (考勤)."""
    return staff_service.mark_shift(session, who=who, shift_id=shift_id, status=body.status)


def _position(p: PositionState) -> KeyPositionRead:
    return KeyPositionRead(**asdict(p), covered=p.covered)


@router.get("/analytics/key-positions", response_model=list[KeyPositionRead], responses={404: NotFound.doc()})
def key_positions(who: AnalyticsReader, session: ReadSession, compound_id: int) -> list[KeyPositionRead]:
    """The compound's key positions (重点部位): the cameras assigned to each (`online`: those online), the online
    cameras that have it in their field of view (`in_view`), and whether either covers it."""
    return [_position(p) for p in key_position_service.positions(session, who=who, compound_id=compound_id)]


@router.post(
    "/analytics/key-positions",
    response_model=KeyPositionRead,
    status_code=201,
    responses={404: NotFound.doc(), 409: Conflict.doc(), 422: Invalid.doc()},
)
def add_key_position(body: KeyPositionCreate, who: ReportWriter, session: WriteSession) -> KeyPositionRead:
    """Define a key position and the cameras (their device ids) whose field of view takes it in."""
    return _position(
        key_position_service.create(
            session,
            who=who,
            compound_id=body.compound_id,
            kind=body.kind,
            name=body.name,
            building_id=body.building_id,
            plan_x=body.plan_x,
            plan_y=body.plan_y,
            camera_device_ids=body.camera_device_ids,
        )
    )


@router.put(
    "/analytics/key-positions/{position_id}/cameras",
    response_model=KeyPositionRead,
    responses={404: NotFound.doc(), 422: Invalid.doc()},
)
def assign_key_position(
    position_id: int, body: KeyPositionCameras, who: ReportWriter, session: WriteSession
) -> KeyPositionRead:
    """Replace the cameras assigned to a key position."""
    return _position(
        key_position_service.assign(session, who=who, position_id=position_id, camera_device_ids=body.camera_device_ids)
    )


@router.delete("/analytics/key-positions/{position_id}", status_code=204, responses={404: NotFound.doc()})
def remove_key_position(position_id: int, who: ReportWriter, session: WriteSession) -> None:
    """Remove a key position (the coverage figure no longer counts it)."""
    key_position_service.remove(session, who=who, position_id=position_id)

"""Video pages: cameras with health, the review queue (R-A4), false-alarm rates, an incident with its evidence
(viewing asks for a reason and is logged, R-A2; export is masked, R-A3), the zone editor drawn on the camera's
latest picture, and the footage access log."""

from __future__ import annotations

import base64
import json
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from pydantic import ValidationError
from starlette.responses import Response

from anju.core.deps import ReadSession, WriteSession
from anju.core.errors import AppError
from anju.registry.structure_schemas import metres_per_unit
from anju.video.enums import AccessAction, DetectorKind, ReviewVerdict
from anju.video.evidence import clip_frames
from anju.video.permissions import VideoPerm
from anju.video.schemas import CameraPatch, ScheduleIn, ZoneIn
from anju.video.service import ZONE_DETECTORS, clip_status, display_url, video_service
from anju.web.deps import ConsolePage, console_guard
from anju.web.forms import error_message, form_action, go_back
from anju.web.i18n import Translator, lang_of
from anju.web.render import render

router = APIRouter(include_in_schema=False)
VideoPage = Annotated[ConsolePage, Depends(console_guard(VideoPerm.read))]


def _jpeg_uri(data: bytes) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(data).decode("ascii")


@router.get("/console/video")
def video_home(request: Request, ctx: VideoPage, session: ReadSession) -> Response:
    """视频分析: cameras with stream health, the review queue, recent incidents, false-alarm rates."""
    cameras = [
        c
        for c in video_service.cameras(session, by=ctx.who)
        if ctx.compound is None or c.compound_id == ctx.compound.id
    ]
    names = {c.id: c.name for c in cameras}
    queue = [e for e in video_service.events(session, by=ctx.who, pending_review=True) if e.camera_id in names]
    recent = [e for e in video_service.events(session, by=ctx.who) if e.camera_id in names][:30]
    stats = [s for s in video_service.review_stats(session, by=ctx.who) if s.camera_id in names]
    return render(
        request,
        "video/home.html",
        ctx.context(
            "nav.video",
            cameras=cameras,
            names=names,
            queue=queue,
            clip_states={e.id: clip_status(e).value for e in queue},
            recent=recent,
            stats=stats,
            can_review=ctx.who.can(VideoPerm.review),
            can_manage=ctx.who.can(VideoPerm.manage),
            log=video_service.access_log(session, by=ctx.who)[:30] if ctx.who.can(VideoPerm.manage) else [],
            err=request.query_params.get("err"),
            ok=request.query_params.get("ok"),
        ),
    )


@router.post("/console/video/events/{event_id}/review")
def video_review(
    event_id: int,
    request: Request,
    ctx: VideoPage,
    session: WriteSession,
    verdict: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "/console/video",
) -> Response:
    """An operator confirms or dismisses an incident (R-A4); the alarm follows."""
    t = Translator(lang_of(request))
    if not ctx.who.can(VideoPerm.review):
        return go_back(request, back, err=t("error.403.title"))
    try:
        v = ReviewVerdict(verdict)
        if not reason.strip():
            raise ValueError
    except ValueError:
        return go_back(request, back, err=t("wo.err.invalid"))
    try:
        video_service.review(session, by=ctx.who, event_id=event_id, verdict=v, reason=reason.strip()[:255])
    except AppError as exc:
        return go_back(request, back, err=error_message(request, exc))
    return go_back(request, back, ok=t("video.reviewed_ok"))


def _event_page(
    request: Request, ctx: ConsolePage, session: ReadSession | WriteSession, event_id: int, **extra: object
) -> Response:
    ev = video_service.event(session, by=ctx.who, event_id=event_id)
    cam = video_service.get(session, by=ctx.who, camera_id=ev.camera_id)
    files = video_service.evidence(session, event_ids=[ev.id])[ev.id]
    return render(
        request,
        "video/event.html",
        ctx.context(
            "nav.video",
            ev=ev,
            cam=cam,
            files=files,
            clip_state=clip_status(ev).value,
            can_review=ctx.who.can(VideoPerm.review),
            can_view=ctx.who.can(VideoPerm.footage),
            err=request.query_params.get("err"),
            ok=request.query_params.get("ok"),
            **extra,
        ),
    )


@router.get("/console/video/events/{event_id}")
def video_event(event_id: int, request: Request, ctx: VideoPage, session: ReadSession) -> Response:
    """An incident: what, where, when, score, review state and its evidence files (viewing needs a reason)."""
    return _event_page(request, ctx, session, event_id)


@router.post("/console/video/events/{event_id}/view")
def video_event_view(
    event_id: int,
    request: Request,
    ctx: VideoPage,
    session: WriteSession,
    reason: Annotated[str, Form()] = "",
    action: Annotated[str, Form()] = "playback",
) -> Response:
    """Show the snapshot and the clip's frames; every file read is logged with the reason (R-A2)."""
    t = Translator(lang_of(request))
    back = f"/console/video/events/{event_id}"
    if not ctx.who.can(VideoPerm.footage):
        return go_back(request, back, err=t("error.403.title"))
    if not reason.strip():
        return go_back(request, back, err=t("video.view_reason"))
    act = AccessAction.export if action == "export" else AccessAction.playback
    files = video_service.evidence(session, event_ids=[event_id]).get(event_id, [])
    video_service.event(session, by=ctx.who, event_id=event_id)  # 404 outside the caller's compounds
    snapshot, frames = None, []
    try:
        for f in files:
            _, data, _ = video_service.footage(session, by=ctx.who, evidence_id=f.id, action=act, reason=reason.strip())
            if f.kind == "snapshot":
                snapshot = _jpeg_uri(data)
            else:
                import cv2

                frames = [_jpeg_uri(cv2.imencode(".jpg", fr)[1].tobytes()) for fr in clip_frames(data)]
    except AppError as exc:
        return go_back(request, back, err=error_message(request, exc))
    return _event_page(
        request, ctx, session, event_id, snapshot=snapshot, frames=frames, masked=act == AccessAction.export
    )


@router.get("/console/video/cameras/{camera_id}")
def video_camera(camera_id: int, request: Request, ctx: VideoPage, session: WriteSession) -> Response:
    """A camera: health, analytics, and (for managers) the zone editor on its latest picture."""
    cam = video_service.get(session, by=ctx.who, camera_id=camera_id)
    picture = None
    if ctx.who.can(VideoPerm.manage):
        data = video_service.camera_snapshot(
            session, by=ctx.who, camera_id=camera_id, reason="配置分析区域 / zone set-up"
        )
        picture = _jpeg_uri(data) if data else None
    plan = (ctx.compound.site_plan if ctx.compound and ctx.compound.id == cam.compound_id else None) or {}
    return render(
        request,
        "video/camera.html",
        ctx.context(
            "nav.video",
            cam=cam,
            place=next(
                (p for p in video_service.placements(session, compound_id=cam.compound_id) if p.camera_id == cam.id),
                None,
            ),
            plan_size=(plan["width"], plan["height"]) if plan.get("width") and plan.get("height") else None,
            scale=metres_per_unit(plan),
            url=display_url(video_service.stream_url(cam)),
            picture=picture,
            detectors=[d.value for d in DetectorKind if d in ZONE_DETECTORS or d == DetectorKind.left_object],
            events=video_service.events(session, by=ctx.who, camera_id=camera_id)[:20],
            can_manage=ctx.who.can(VideoPerm.manage),
            zones_json=json.dumps(
                [{"detector": a.get("detector"), "zones": a.get("zones") or []} for a in cam.analytics],
                ensure_ascii=False,
            ),
            err=request.query_params.get("err"),
            ok=request.query_params.get("ok"),
        ),
    )


@router.post("/console/video/cameras/{camera_id}/zones")
def video_add_zone(
    camera_id: int,
    request: Request,
    ctx: VideoPage,
    session: WriteSession,
    detector: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    points: Annotated[str, Form()] = "",
    start: Annotated[str, Form()] = "",
    end: Annotated[str, Form()] = "",
) -> Response:
    """Save a zone drawn on the picture (points in 0..1 image coordinates) with optional active hours."""
    t = Translator(lang_of(request))
    back = f"/console/video/cameras/{camera_id}"
    if not ctx.who.can(VideoPerm.manage):
        return go_back(request, back, err=t("error.403.title"))
    try:
        pts = json.loads(points or "[]")
        zone = ZoneIn(name=name.strip(), points=pts)
        schedule = ScheduleIn(start=start, end=end).model_dump() if start and end else {}
        kind = DetectorKind(detector)
    except (ValueError, ValidationError):
        return go_back(request, back, err=t("video.err.points"))
    try:
        video_service.add_zone(
            session,
            by=ctx.who,
            camera_id=camera_id,
            detector=kind,
            zone=zone.model_dump(mode="json"),
            schedule=schedule,
        )
    except AppError as exc:
        return go_back(request, back, err=error_message(request, exc))
    return go_back(request, back, ok=t("video.zone_saved"))


@router.post("/console/video/cameras/{camera_id}/placement")
def video_placement(
    camera_id: int,
    request: Request,
    ctx: VideoPage,
    session: WriteSession,
    plan_x: Annotated[str, Form()] = "",
    plan_y: Annotated[str, Form()] = "",
    heading_deg: Annotated[str, Form()] = "",
    fov_deg: Annotated[str, Form()] = "",
    range_m: Annotated[str, Form()] = "",
) -> Response:
    """Set where the camera sits on the site plan, where it looks, its angle of view and range (blank: not set)."""
    t = Translator(lang_of(request))
    back = f"/console/video/cameras/{camera_id}"
    if not ctx.who.can(VideoPerm.manage):
        return go_back(request, back, err=t("error.403.title"))

    def save() -> None:
        values: dict[str, object] = {
            "plan_x": plan_x.strip() or None,
            "plan_y": plan_y.strip() or None,
            "heading_deg": heading_deg.strip() or None,
            "range_m": range_m.strip() or None,
        }
        if fov_deg.strip():
            values["fov_deg"] = fov_deg.strip()
        video_service.update(session, by=ctx.who, camera_id=camera_id, data=CameraPatch.model_validate(values))

    return form_action(request, session, back, save, ok="video.placement_saved", invalid="video.err.placement")

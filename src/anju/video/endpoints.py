"""Video API: cameras (registry, analytics, health), detected events with evidence, human review (R-A4),
footage access with its log (R-A2), masked export (R-A3), legal holds (R-A1), false-alarm rates."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from anju.core.auth import Principal, requires
from anju.core.deps import ReadSession, WriteSession
from anju.video.enums import AccessAction
from anju.video.exceptions import (
    AlreadyReviewed,
    CameraNotFound,
    EvidenceGone,
    RetentionBelowFloor,
    SignageMissing,
    VideoEventNotFound,
)
from anju.video.models import Camera, VideoAccessLog, VideoEvent
from anju.video.permissions import VideoPerm
from anju.video.schemas import (
    AccessLogRead,
    CameraCreate,
    CameraPatch,
    CameraRead,
    EvidenceRead,
    HoldBody,
    ReviewBody,
    ReviewStats,
    VideoEventRead,
)
from anju.video.service import clip_status, display_url, video_service

router = APIRouter(prefix="/video", tags=["video"])
Reader = Annotated[Principal, requires(VideoPerm.read)]
Manager = Annotated[Principal, requires(VideoPerm.manage)]
Reviewer = Annotated[Principal, requires(VideoPerm.review)]
Footage = Annotated[Principal, requires(VideoPerm.footage)]
Holder = Annotated[Principal, requires(VideoPerm.hold)]


def camera_read(cam: Camera) -> CameraRead:
    return CameraRead(
        id=cam.id,
        compound_id=cam.compound_id,
        device_id=cam.device_id,
        name=cam.name,
        url_display=display_url(video_service.stream_url(cam)),
        fov_deg=cam.fov_deg,
        heading_deg=cam.heading_deg,
        range_m=cam.range_m,
        public_area=cam.public_area,
        key_target=cam.key_target,
        retention_days=cam.retention_days,
        signage_installed=cam.signage_installed,
        active=cam.active,
        analytics=cam.analytics,
        health=cam.health,
        fps=cam.fps,
        last_frame_at=cam.last_frame_at,
        last_error=cam.last_error,
    )


def events_read(session: ReadSession, events: list[VideoEvent]) -> list[VideoEventRead]:
    files = video_service.evidence(session, event_ids=[e.id for e in events])
    out = []
    for e in events:
        r = VideoEventRead.model_validate(e)
        r.clip_state = clip_status(e).value
        r.evidence = [
            EvidenceRead.model_validate(
                {
                    **{c: getattr(f, c) for c in EvidenceRead.model_fields if c != "available"},
                    "available": f.key is not None,
                }
            )
            for f in files[e.id]
        ]
        out.append(r)
    return out


@router.post(
    "/cameras",
    response_model=CameraRead,
    status_code=201,
    responses={422: RetentionBelowFloor.doc()},
)
def create_camera(body: CameraCreate, who: Manager, session: WriteSession) -> CameraRead:
    """Register a camera (a device of type camera is created with it); it starts inactive."""
    return camera_read(video_service.register(session, by=who, data=body))


@router.get("/cameras", response_model=list[CameraRead])
def list_cameras(who: Reader, session: ReadSession) -> list[CameraRead]:
    """Cameras of the caller's compounds with their health (stream up, fps, last frame)."""
    return [camera_read(c) for c in video_service.cameras(session, by=who)]


@router.get("/cameras/{camera_id}", response_model=CameraRead, responses={404: CameraNotFound.doc()})
def get_camera(camera_id: int, who: Reader, session: ReadSession) -> CameraRead:
    return camera_read(video_service.get(session, by=who, camera_id=camera_id))


@router.patch(
    "/cameras/{camera_id}",
    response_model=CameraRead,
    responses={404: CameraNotFound.doc(), 422: SignageMissing.doc()},
)
def patch_camera(camera_id: int, body: CameraPatch, who: Manager, session: WriteSession) -> CameraRead:
    """Change a camera: stream, zones and schedules, retention (floors apply), activation (signage needed)."""
    return camera_read(video_service.update(session, by=who, camera_id=camera_id, data=body))


@router.get("/events", response_model=list[VideoEventRead], responses={404: CameraNotFound.doc()})
def list_events(
    who: Reader,
    session: ReadSession,
    camera_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    pending_review: bool = False,
) -> list[VideoEventRead]:
    """Newest detected incidents; `pending_review=true` is the review queue."""
    return events_read(
        session, video_service.events(session, by=who, camera_id=camera_id, pending_review=pending_review)
    )


@router.get("/events/{event_id}", response_model=VideoEventRead, responses={404: VideoEventNotFound.doc()})
def get_event(event_id: int, who: Reader, session: ReadSession) -> VideoEventRead:
    return events_read(session, [video_service.event(session, by=who, event_id=event_id)])[0]


@router.post(
    "/events/{event_id}/review",
    response_model=VideoEventRead,
    responses={404: VideoEventNotFound.doc(), 409: AlreadyReviewed.doc()},
)
def review_event(event_id: int, body: ReviewBody, who: Reviewer, session: WriteSession) -> VideoEventRead:
    """Confirm (the alarm leaves review) or dismiss (a false alarm) a detected incident (R-A4)."""
    ev = video_service.review(session, by=who, event_id=event_id, verdict=body.verdict, reason=body.reason)
    return events_read(session, [ev])[0]


@router.post(
    "/events/{event_id}/hold",
    response_model=VideoEventRead,
    responses={404: VideoEventNotFound.doc()},
)
def hold_event(event_id: int, body: HoldBody, who: Holder, session: WriteSession) -> VideoEventRead:
    """A legal hold keeps the incident's footage past its retention (R-A1)."""
    ev = video_service.hold(session, by=who, event_id=event_id, until=body.until, reason=body.reason)
    return events_read(session, [ev])[0]


@router.get(
    "/evidence/{evidence_id}",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "video/x-msvideo": {}}}, 404: EvidenceGone.doc()},
)
def get_evidence(
    evidence_id: int,
    who: Footage,
    session: WriteSession,
    reason: Annotated[str, Query(min_length=1, max_length=255)],
    action: AccessAction = AccessAction.playback,
) -> Response:
    """Play, download or export (faces and plates masked, R-A3) an evidence file; logged with the reason (R-A2)."""
    item, data, masked = video_service.footage(session, by=who, evidence_id=evidence_id, action=action, reason=reason)
    headers = {"X-Evidence-SHA256": item.sha256, "X-Masked": "1" if masked else "0"}
    if action != AccessAction.playback:
        ext = "jpg" if item.content_type == "image/jpeg" else "avi"
        headers["Content-Disposition"] = f'attachment; filename="evidence-{item.id}.{ext}"'
    return Response(content=data, media_type=item.content_type, headers=headers)


@router.get("/access-log", response_model=list[AccessLogRead])
def access_log(who: Manager, session: ReadSession) -> list[VideoAccessLog]:
    """Every playback, download and export: user, time, camera, range, reason (R-A2)."""
    return video_service.access_log(session, by=who)


@router.get("/review-stats", response_model=list[ReviewStats])
def review_stats(who: Reader, session: ReadSession) -> list[ReviewStats]:
    """Per camera and detector: incidents, confirmed, dismissed, pending, and the false-alarm rate."""
    return video_service.review_stats(session, by=who)

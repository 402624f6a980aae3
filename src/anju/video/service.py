"""Video rules: the camera registry (R-A1 floors, R-F10 signage), detections into alarms with evidence
(idempotent), human review (R-A4), footage access with its log (R-A2) and masked exports (R-A3), retention
with legal holds (R-A1), and camera health feeding the device-offline alarm (R-A6, through the devices domain).
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from anju.alarms.enums import AlarmAction
from anju.alarms.events import AlarmRequested, BuildingNotifyRequested, WorkOrderRequested
from anju.alarms.service import alarm_service
from anju.core import events
from anju.core.auth import Principal
from anju.core.crypto import decrypt, encrypt
from anju.core.db import utcnow
from anju.core.errors import Invalid
from anju.core.kit.china_time import china_text
from anju.devices.enums import DeviceType, MessageKind
from anju.devices.intake_service import Accepted, directory, intake_service
from anju.devices.models import Device
from anju.devices.schemas import DeviceCreate
from anju.devices.service import device_service
from anju.registry.service import compounds_by_id
from anju.video.config import video_settings
from anju.video.detectors.base import Detection, Image
from anju.video.enums import (
    REVIEW_DETECTORS,
    AccessAction,
    ClipState,
    DetectorKind,
    EvidenceKind,
    ReviewVerdict,
)
from anju.video.evidence import clip_avi, evidence_store, masked_clip, masked_jpeg, sha256, snapshot_jpeg
from anju.video.exceptions import (
    AlreadyReviewed,
    BadAnalytics,
    CameraNotFound,
    EvidenceGone,
    RetentionBelowFloor,
    SignageMissing,
    VideoEventNotFound,
)
from anju.video.models import Camera, VideoAccessLog, VideoEvent, VideoEvidence
from anju.video.repository import VideoRepository, scoped
from anju.video.schemas import AnalyticIn, CameraCreate, CameraPatch, ReviewStats

if TYPE_CHECKING:
    from anju.video.push import DeviceIdentity

URL_CONTEXT = "video.camera.url"
log = logging.getLogger("anju.video")

TITLES = {
    DetectorKind.intrusion: "区域入侵",
    DetectorKind.loitering: "人员徘徊",
    DetectorKind.thrown_object: "高空抛物",
    DetectorKind.fall: "人员跌倒",
    DetectorKind.fire_lane_parking: "消防通道占用",
    DetectorKind.gathering: "人员聚集",
    DetectorKind.climbing: "翻越围栏",
    DetectorKind.left_object: "遗留物",
}
SEVERITY = {
    DetectorKind.intrusion: "major",
    DetectorKind.loitering: "minor",
    DetectorKind.thrown_object: "critical",
    DetectorKind.fall: "critical",
    DetectorKind.fire_lane_parking: "major",
    DetectorKind.gathering: "major",
    DetectorKind.climbing: "major",
    DetectorKind.left_object: "minor",
}


def display_url(url: str) -> str:
    """The stream address without credentials: rtsp://***@host/path."""
    parts = urlsplit(url)
    if not parts.scheme or parts.scheme == "file":
        return url.rsplit("/", 1)[-1]
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    if parts.username or parts.password:
        host = f"***@{host}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def retention_floor(*, public_area: bool, key_target: bool) -> int:
    s = video_settings()
    if key_target:
        return s.key_target_retention_days
    return s.public_retention_floor_days if public_area else 1


# Detectors that make no sense without a zone (left objects watch the whole picture when no zone is drawn).
ZONE_DETECTORS = frozenset(
    {
        DetectorKind.intrusion,
        DetectorKind.loitering,
        DetectorKind.fire_lane_parking,
        DetectorKind.gathering,
        DetectorKind.climbing,
    }
)


def _analytics_json(items: list[AnalyticIn]) -> list[dict[str, Any]]:
    seen: set[str] = set()
    out = []
    for a in items:
        if a.detector.value in seen:
            raise BadAnalytics(f"detector {a.detector.value} configured twice")
        seen.add(a.detector.value)
        if a.detector in ZONE_DETECTORS and not a.zones:
            raise BadAnalytics(
                f"{a.detector.value} needs at least one zone",
                fields=[{"field": "analytics.zones", "message": "needs a zone", "type": "zones"}],
            )
        out.append(a.model_dump(mode="json"))
    return out


@dataclass
class EncodedFile:
    kind: EvidenceKind
    ext: str
    data: bytes
    content_type: str
    frames: int
    start: datetime
    end: datetime


@dataclass
class StoredFile:
    kind: EvidenceKind
    key: str
    sha256: str
    size: int
    content_type: str
    frames: int
    start: datetime
    end: datetime


def encode_evidence(
    detection: Detection,
    snapshot: Image | None,
    clip: list[Image] | None,
    clip_fps: float,
    clip_start: datetime,
    detected_at: datetime,
    clip_end: datetime | None = None,
) -> list[EncodedFile]:
    """A snapshot (JPEG with the box and the score) and a clip (MJPEG AVI), whichever is given: on the edge or on
    the platform. At the decision only the snapshot exists; the clip follows once its post-roll is recorded."""
    label = f"{TITLES[DetectorKind(detection.detector)]} {detection.score:.2f}"
    out = []
    if snapshot is not None:
        out.append(
            EncodedFile(
                EvidenceKind.snapshot,
                "jpg",
                snapshot_jpeg(snapshot, detection.box, label),
                "image/jpeg",
                1,
                detected_at,
                detected_at,
            )
        )
    if clip:
        out.append(
            EncodedFile(
                EvidenceKind.clip,
                "avi",
                clip_avi(clip, clip_fps),
                "video/x-msvideo",
                len(clip),
                clip_start,
                clip_end or detected_at,
            )
        )
    return out


def clip_status(event: VideoEvent, now: datetime | None = None) -> ClipState:
    """The clip's state as the reviewer sees it: a clip still pending past its post-roll and the grace period
    counts as missing (its worker died or its delivery was lost); the alarm stands either way."""
    if event.clip_state is None:
        return ClipState.attached  # recorded with its clip inline (before the alarm went out at the decision)
    state = ClipState(event.clip_state)
    s = video_settings()
    due = event.detected_at + timedelta(seconds=s.post_seconds + s.clip_grace_seconds)
    if state == ClipState.pending and (now or utcnow()) > due:
        return ClipState.missing
    return state


LIVE_MARK = ":live:"  # in the incident key of a live stream's decision (the worker's key format)


def event_key_path(event_key: str) -> str:
    """An incident key as one safe path segment (keys hold ':' and '.')."""
    return hashlib.sha1(event_key.encode()).hexdigest()[:20]


def pushed_key(digest: str, ext: str) -> str:
    """Where an edge worker puts a file it pushes: content-addressed, so the message need only carry the sha256."""
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ValueError("not a sha256")
    return f"inbox/{digest[:2]}/{digest}.{ext}"


@dataclass
class Recorded:
    event: VideoEvent
    created: bool  # False: the same incident was already recorded (a restarted worker, a replay)
    attached: list[str] = field(default_factory=list)  # evidence kinds this call added to an existing incident


@dataclass(frozen=True)
class CameraPlacement:
    """Where a camera sits and looks on the compound's site plan (None where not set)."""

    camera_id: int
    device_id: int
    name: str
    plan_x: int | None  # its device's point, plan units
    plan_y: int | None
    heading_deg: int | None  # 0 = north (up on the plan), clockwise
    fov_deg: int  # horizontal angle of view, 1..360
    range_m: float | None  # metres


def check_on_plan(session: Session, *, compound_id: int, plan_x: int | None, plan_y: int | None) -> None:
    """A camera's point must lie on the compound's site plan (0..width × 0..height); both or neither given."""
    if plan_x is None and plan_y is None:
        return
    if plan_x is None or plan_y is None:
        raise Invalid(
            "a point on the site plan needs both plan_x and plan_y",
            zh="平面图位置须同时给出横、纵坐标",
            fields=[{"field": "plan_x" if plan_x is None else "plan_y", "message": "required with the other"}],
        )
    compound = next(iter(compounds_by_id(session, compound_ids=[compound_id])), None)
    site = (compound.site_plan if compound else None) or {}
    width, height = site.get("width"), site.get("height")
    if not width or not height:
        return  # no site plan drawn yet: nothing to be off
    bad = [
        {"field": f, "message": f"must be from 0 to {limit}"}
        for f, v, limit in (("plan_x", plan_x, width), ("plan_y", plan_y, height))
        if not 0 <= v <= limit
    ]
    if bad:
        raise Invalid(
            f"point ({plan_x}, {plan_y}) is off the site plan ({width} × {height})",
            zh=f"位置 ({plan_x}, {plan_y}) 不在小区平面图内（{width} × {height}）",
            fields=bad,
        )


class VideoService:
    # --- cameras --------------------------------------------------------------------------------------------
    def register(self, session: Session, *, by: Principal, data: CameraCreate) -> Camera:
        """A camera and its device row (type camera: site plan, heartbeats, the offline alarm)."""
        floor = retention_floor(public_area=data.public_area, key_target=data.key_target)
        if by.in_scope(data.compound_id):
            check_on_plan(session, compound_id=data.compound_id, plan_x=data.plan_x, plan_y=data.plan_y)
        if data.retention_days < floor:
            raise RetentionBelowFloor(
                f"retention {data.retention_days} days is below the {floor}-day floor",
                fields=[{"field": "retention_days", "message": f"at least {floor}", "type": "retention"}],
            )
        device, _secret = device_service.register(
            session,
            by=by,
            data=DeviceCreate(
                compound_id=data.compound_id,
                device_key=data.device_key,
                name=data.name,
                device_type=DeviceType.camera,
                building_id=data.building_id,
                location=data.location,
                plan_x=data.plan_x,
                plan_y=data.plan_y,
                heartbeat_seconds=max(30, int(video_settings().health_every_seconds * 3)),
            ),
        )
        cam = Camera(
            compound_id=data.compound_id,
            device_id=device.id,
            name=data.name,
            url_enc=encrypt(data.url, context=URL_CONTEXT) or "",
            fov_deg=data.fov_deg,
            heading_deg=data.heading_deg,
            range_m=data.range_m,
            public_area=data.public_area,
            key_target=data.key_target,
            retention_days=data.retention_days,
            signage_installed=data.signage_installed,
            active=False,
            analytics=_analytics_json(data.analytics),
        )
        session.add(cam)
        session.flush()
        return cam

    def get(self, session: Session, *, by: Principal, camera_id: int) -> Camera:
        cam = VideoRepository(session).camera(camera_id)
        if cam is None or not by.in_scope(cam.compound_id):
            raise CameraNotFound(f"camera {camera_id}")
        return cam

    def cameras(self, session: Session, *, by: Principal) -> list[Camera]:
        return VideoRepository(session).cameras(scoped(by))

    def placements(self, session: Session, *, compound_id: int) -> list[CameraPlacement]:
        """Every camera of a compound with its point, direction, angle and range (no permission check: callers
        are services that checked the compound)."""
        return [
            CameraPlacement(c.id, c.device_id, c.name, x, y, c.heading_deg, c.fov_deg, c.range_m)
            for c, x, y in VideoRepository(session).placements(compound_id)
        ]

    def update(self, session: Session, *, by: Principal, camera_id: int, data: CameraPatch) -> Camera:
        cam = self.get(session, by=by, camera_id=camera_id)
        values = data.model_dump(exclude_unset=True)
        public = values.get("public_area", cam.public_area)
        key = values.get("key_target", cam.key_target)
        days = values.get("retention_days", cam.retention_days)
        floor = retention_floor(public_area=public, key_target=key)
        if days < floor:
            raise RetentionBelowFloor(
                f"retention {days} days is below the {floor}-day floor",
                fields=[{"field": "retention_days", "message": f"at least {floor}", "type": "retention"}],
            )
        signage = values.get("signage_installed", cam.signage_installed)
        if values.get("active", cam.active) and public and not signage:
            raise SignageMissing("activation needs signage_installed for a public-area camera")
        if "fov_deg" in values and values["fov_deg"] is None:
            raise Invalid(
                "fov_deg cannot be cleared: a camera has an angle of view (1–360°)",
                zh="水平视角不能为空（1–360°）",
                fields=[{"field": "fov_deg", "message": "1..360"}],
            )
        if "plan_x" in values or "plan_y" in values:
            device = session.get(Device, cam.device_id)
            assert device is not None
            x = values.pop("plan_x", device.plan_x)
            y = values.pop("plan_y", device.plan_y)
            check_on_plan(session, compound_id=cam.compound_id, plan_x=x, plan_y=y)
            device.plan_x, device.plan_y = x, y
        if "url" in values:
            cam.url_enc = encrypt(values.pop("url"), context=URL_CONTEXT) or ""
        if "analytics" in values:
            values.pop("analytics")
            assert data.analytics is not None
            cam.analytics = _analytics_json(data.analytics)
        for k, v in values.items():
            setattr(cam, k, v)
        session.flush()
        return cam

    def stream_url(self, cam: Camera) -> str:
        """Decrypted only for the worker that opens the stream."""
        return decrypt(cam.url_enc, context=URL_CONTEXT) or ""

    def device_identity(self, session: Session, cam: Camera) -> DeviceIdentity | None:
        """What an edge worker needs to speak for this camera through device intake (compound code, key, secret)."""
        from anju.video.push import DeviceIdentity

        device = session.get(Device, cam.device_id)
        info = directory.lookup_many(session, {device.device_key}).get(device.device_key) if device else None
        if info is None:
            return None
        return DeviceIdentity(info.compound_code, info.device_key, info.secret.decode())

    # --- health --------------------------------------------------------------------------------------------
    def report_health(
        self,
        session: Session,
        *,
        camera_id: int,
        up: bool,
        fps: float | None = None,
        error: str | None = None,
        snapshot: Image | None = None,
        now: datetime | None = None,
    ) -> None:
        """The worker's view of a stream. Up: a heartbeat through device intake (which clears an offline alarm).
        Down: no heartbeat, so the devices domain's heartbeat check raises `device_offline` after 3 intervals."""
        now = now or utcnow()
        cam = session.get(Camera, camera_id)
        if cam is None:
            return
        cam.health = "up" if up else "down"
        if up:
            cam.retries, cam.retry_at = 0, None
        cam.fps = round(fps, 2) if fps is not None else cam.fps
        cam.last_error = None if up else (error or "stream unavailable")[:255]
        if up:
            cam.last_frame_at = now
            if snapshot is not None:  # the latest picture, for drawing zones in the console
                key = f"{cam.compound_id}/{cam.id}/live.jpg"
                evidence_store().put(key, snapshot_jpeg(snapshot, None))
                cam.snapshot_key = key
            device = session.get(Device, cam.device_id)
            info = directory.lookup_many(session, {device.device_key}).get(device.device_key) if device else None
            if info is not None:
                intake_service.store(
                    session,
                    [Accepted(info, MessageKind.heartbeat.value, f"vh-{uuid.uuid4().hex[:24]}", now, {"fps": cam.fps})],
                    [],
                    now=now,
                )
        session.flush()

    def note_retry(self, session: Session, *, camera_id: int, retry_at: datetime) -> None:
        """The worker will reconnect at `retry_at` (shown on the camera list); one more failure in a row."""
        cam = session.get(Camera, camera_id)
        if cam is not None:
            cam.retries = (cam.retries or 0) + 1
            cam.retry_at = retry_at
            session.flush()

    # --- detections -----------------------------------------------------------------------------------------
    def record_detection(
        self,
        session: Session,
        *,
        camera: Camera,
        detection: Detection,
        event_key: str,
        started_at: datetime,
        detected_at: datetime,
        snapshot: Image,
        clip: list[Image] | None,
        clip_fps: float,
        clip_start: datetime,
        clip_end: datetime | None = None,
        zone_place: dict[str, Any] | None = None,
        now: datetime | None = None,
    ) -> Recorded:
        """Store an incident once (UNIQUE camera+key), its evidence with sha256, and raise its alarm.

        The worker calls this twice per incident: at the decision without a clip (the alarm goes out now, the
        clip is pending) and after the post-roll with it (the clip attaches to the incident already raised).
        Either call alone records the whole incident; a repeat (a replayed file, a restarted worker) adds
        nothing it already has."""
        existing = VideoRepository(session).event_by_key(camera.id, event_key)
        have = {e.kind for e in VideoRepository(session).evidence_of([existing.id])} if existing else set()
        store = evidence_store()
        files = []
        # A rival worker racing on the same incident must not overwrite the winner's files: a fresh folder each.
        folder = f"{camera.compound_id}/{camera.id}/{event_key_path(event_key)}-{uuid.uuid4().hex[:8]}"
        for f in encode_evidence(
            detection,
            snapshot if EvidenceKind.snapshot.value not in have else None,
            clip if EvidenceKind.clip.value not in have else None,
            clip_fps,
            clip_start,
            detected_at,
            clip_end,
        ):
            key = f"{folder}/{f.kind.value}.{f.ext}"
            store.put(key, f.data)
            files.append(StoredFile(f.kind, key, sha256(f.data), len(f.data), f.content_type, f.frames, f.start, f.end))
        return self._record(
            session,
            camera=camera,
            detection=detection,
            event_key=event_key,
            started_at=started_at,
            detected_at=detected_at,
            files=files,
            zone_place=zone_place,
            now=now,
            clip_state=ClipState.attached if clip else ClipState.pending,
        )

    def record_pushed(
        self, session: Session, *, device_id: int, data: dict[str, Any], now: datetime | None = None
    ) -> Recorded | None:
        """A detection an edge worker delivered through device intake (MQTT or HTTP, signed by the camera's
        device secret). The message carries the decision; the evidence files sit in the evidence store under
        their sha256, which is checked here. A file that is missing or fails its check is left out and named in
        the event's details: the alarm is raised anyway (nothing accepted is lost).

        An incident comes in two messages: `video_part=alarm` at the decision (snapshot only, the clip pending)
        and `video_part=clip` after the post-roll (the same decision with both files). Whichever arrives first
        records the incident and raises the alarm; the other attaches what is not there yet."""
        cam = VideoRepository(session).camera_by_device(device_id)
        if cam is None or "video_detector" not in data:
            return None
        try:
            detector = DetectorKind(str(data["video_detector"]))
            box = tuple(int(v) for v in str(data.get("box") or "0,0,0,0").split(","))
            started_at = datetime.fromisoformat(str(data["started_at"]))
            detected_at = datetime.fromisoformat(str(data["detected_at"]))
            clip_start = datetime.fromisoformat(str(data.get("clip_start") or data["started_at"]))
            clip_end = datetime.fromisoformat(str(data.get("clip_end") or data["detected_at"]))
            event_key = str(data["video_key"])
        except (KeyError, ValueError) as exc:
            log.warning("camera %s: unreadable pushed detection (%s)", cam.id, exc)
            return None
        store = evidence_store()
        details: dict[str, Any] = {}
        missing: list[str] = []
        if data.get("details"):
            try:
                details = json.loads(store.get(pushed_key(str(data["details"]), "json")))
            except (FileNotFoundError, ValueError):
                missing.append("details")
        files: list[StoredFile] = []
        clip_expected = data.get("video_part") != "alarm"  # the decision message: the clip follows later
        for kind, ext, ctype, frames, start, end in (
            (EvidenceKind.snapshot, "jpg", "image/jpeg", 1, detected_at, detected_at),
            (EvidenceKind.clip, "avi", "video/x-msvideo", int(data.get("clip_frames") or 0), clip_start, clip_end),
        ):
            if kind == EvidenceKind.clip and not clip_expected:
                continue
            digest = str(data.get(kind.value) or "")
            key = pushed_key(digest, ext)
            try:
                blob = store.get(key)
            except (FileNotFoundError, ValueError):
                missing.append(kind.value)
                continue
            if sha256(blob) != digest:
                missing.append(kind.value)
                continue
            files.append(StoredFile(kind, key, digest, len(blob), ctype, max(1, frames), start, end))
        if not clip_expected:
            clip_state = ClipState.pending
        else:
            clip_state = ClipState.missing if EvidenceKind.clip.value in missing else ClipState.attached
        if missing:
            details["evidence_missing"] = missing
        detection = Detection(
            detector=detector.value,
            t=0.0,
            started_t=0.0,
            score=float(data.get("score") or 0.0),
            box=(*box, 0, 0, 0, 0)[:4],  # type: ignore[arg-type]
            zone=str(data["zone"]) if data.get("zone") else None,
            key=event_key,
            details=details,
        )
        zone_place = next(
            (
                {k: v for k, v in z.items() if k not in ("name", "points")}
                for a in cam.analytics
                if a.get("detector") == detector.value
                for z in a.get("zones") or []
                if z.get("name") == detection.zone
            ),
            None,
        )
        return self._record(
            session,
            camera=cam,
            detection=detection,
            event_key=event_key,
            started_at=started_at,
            detected_at=detected_at,
            files=files,
            zone_place=zone_place,
            now=now,
            clip_state=clip_state,
        )

    def _record(
        self,
        session: Session,
        *,
        camera: Camera,
        detection: Detection,
        event_key: str,
        started_at: datetime,
        detected_at: datetime,
        files: list[StoredFile],
        zone_place: dict[str, Any] | None,
        now: datetime | None,
        clip_state: ClipState,
    ) -> Recorded:
        now = now or utcnow()
        repo = VideoRepository(session)
        existing = repo.event_by_key(camera.id, event_key)
        if existing is not None:
            return Recorded(existing, created=False, attached=self._attach(session, existing, files, clip_state))
        detector = DetectorKind(detection.detector)
        if LIVE_MARK in event_key:  # a file's incidents are told apart by their position in it
            cooldown = timedelta(seconds=video_settings().incident_cooldown_seconds)
            recent = repo.recent_event(
                camera.id, detector.value, detection.zone, after=detected_at - cooldown, before=detected_at + cooldown
            )
            if recent is not None:  # the same camera, detector and zone just decided on this: the same incident
                return Recorded(recent, created=False)
        space_id = (zone_place or {}).get("parking_space_id")
        if detector == DetectorKind.fire_lane_parking and space_id:
            from anju.parking.lane_service import fire_lane_dedupe_key

            dedupe = fire_lane_dedupe_key(int(space_id))  # one alarm per place, whoever raises it (issue 13)
        else:
            dedupe = f"video:{camera.id}:{detector.value}:{detection.zone or '-'}"
        retain_days = max(
            camera.retention_days, retention_floor(public_area=camera.public_area, key_target=camera.key_target)
        )
        event = VideoEvent(
            compound_id=camera.compound_id,
            camera_id=camera.id,
            detector=detector.value,
            zone=detection.zone,
            event_key=event_key[:160],
            score=float(detection.score),
            started_at=started_at,
            detected_at=detected_at,
            box=[int(v) for v in detection.box],
            details=_jsonable(detection.details),
            alarm_dedupe_key=dedupe,
            retain_until=detected_at + timedelta(days=retain_days),
            clip_state=clip_state.value,
            created_at=now,
        )
        try:
            with session.begin_nested():  # a rival worker recording the same incident loses here
                session.add(event)
                session.flush()
        except IntegrityError:
            again = repo.event_by_key(camera.id, event_key)
            assert again is not None
            return Recorded(again, created=False, attached=self._attach(session, again, files, clip_state))
        listed: list[dict[str, Any]] = []
        for f in files:
            ev = self._evidence_row(event, f)
            session.add(ev)
            session.flush()
            listed.append({"id": ev.id, "kind": f.kind.value, "sha256": ev.sha256, "frames": f.frames})
        device = session.get(Device, camera.device_id)  # read only: where the camera hangs
        floor = detection.details.get("floor") if detector == DetectorKind.thrown_object else None
        band = floor_band_text(detection.details) if detector == DetectorKind.thrown_object else ""
        result = alarm_service.raise_or_refresh(
            session,
            now=now,
            request=AlarmRequested(
                compound_id=camera.compound_id,
                kind=detector.value,
                severity=SEVERITY[detector],
                source=f"video:camera:{camera.id}",
                dedupe_key=dedupe,
                title=f"{camera.name}：{TITLES[detector]}" + (f"（约 {band} 层）" if band else ""),
                building_id=device.building_id if device else None,
                floor=floor if isinstance(floor, int) else None,
                device_id=camera.device_id,
                needs_review=detector in REVIEW_DETECTORS,  # R-A4: a human looks before any action
                evidence={
                    "video_event_id": event.id,
                    "camera_id": camera.id,
                    "detector": detector.value,
                    "zone": detection.zone,
                    "score": event.score,
                    "box": event.box,
                    "files": listed,
                    "details": event.details,
                },
                occurred_at=started_at.isoformat(),
            ),
        )
        event.alarm_id = result.alarm_id
        session.flush()
        return Recorded(event, created=True)

    def _evidence_row(self, event: VideoEvent, f: StoredFile) -> VideoEvidence:
        return VideoEvidence(
            event_id=event.id,
            compound_id=event.compound_id,
            kind=f.kind.value,
            key=f.key,
            sha256=f.sha256,
            size=f.size,
            content_type=f.content_type,
            frames=f.frames,
            range_start=f.start,
            range_end=f.end,
        )

    def _attach(self, session: Session, event: VideoEvent, files: list[StoredFile], clip_state: ClipState) -> list[str]:
        """Evidence for an incident already raised (its clip after the post-roll, or a snapshot whose decision
        message was lost): each kind attaches once (UNIQUE event+kind), never a second incident or alarm."""
        have = {e.kind for e in VideoRepository(session).evidence_of([event.id])}
        added: list[str] = []
        for f in files:
            if f.kind.value in have or event.purged_at is not None:
                continue
            try:
                with session.begin_nested():  # a rival delivery of the same file loses here
                    session.add(self._evidence_row(event, f))
                    session.flush()
            except IntegrityError:
                continue
            added.append(f.kind.value)
        if event.clip_state is not None:
            if EvidenceKind.clip.value in have or EvidenceKind.clip.value in added:
                event.clip_state = ClipState.attached.value
            elif clip_state == ClipState.missing:
                event.clip_state = ClipState.missing.value  # its delivery came and failed its check
        session.flush()
        if added:
            log.info("video event %s: attached %s", event.id, ", ".join(added))
        return added

    # --- events, review ------------------------------------------------------------------------------------
    def event(self, session: Session, *, by: Principal, event_id: int) -> VideoEvent:
        ev = session.get(VideoEvent, event_id)
        if ev is None or not by.in_scope(ev.compound_id):
            raise VideoEventNotFound(f"video event {event_id}")
        return ev

    def events(
        self, session: Session, *, by: Principal, camera_id: int | None = None, pending_review: bool = False
    ) -> list[VideoEvent]:
        if camera_id is not None:
            self.get(session, by=by, camera_id=camera_id)
        return VideoRepository(session).events(scoped(by), camera_id=camera_id, pending_review=pending_review)

    def evidence(self, session: Session, *, event_ids: list[int]) -> dict[int, list[VideoEvidence]]:
        out: dict[int, list[VideoEvidence]] = {i: [] for i in event_ids}
        for e in VideoRepository(session).evidence_of(event_ids):
            out[e.event_id].append(e)
        return out

    def review(
        self,
        session: Session,
        *,
        by: Principal,
        event_id: int,
        verdict: ReviewVerdict,
        reason: str,
        now: datetime | None = None,
    ) -> VideoEvent:
        """An operator confirms (the alarm leaves review and may be acted on) or dismisses (a false alarm)."""
        now = now or utcnow()
        ev = self.event(session, by=by, event_id=event_id)
        if ev.review is not None:
            raise AlreadyReviewed(f"video event {event_id} was {ev.review}")
        if ev.alarm_id is not None:
            from anju.alarms.enums import AlarmStatus

            alarm = alarm_service.get(session, by=by, alarm_id=ev.alarm_id)
            if verdict == ReviewVerdict.dismissed and alarm.status not in (
                AlarmStatus.resolved,
                AlarmStatus.false_alarm,
            ):
                alarm_service.transition(
                    session, by=by, alarm_id=ev.alarm_id, action=AlarmAction.false_alarm, reason=reason, now=now
                )
            elif verdict == ReviewVerdict.confirmed and alarm.status == AlarmStatus.pending_review:
                alarm_service.transition(
                    session, by=by, alarm_id=ev.alarm_id, action=AlarmAction.reviewed, reason=reason, now=now
                )
        first_confirmed = (
            verdict == ReviewVerdict.confirmed
            and ev.alarm_id is not None
            and not VideoRepository(session).confirmed_for_alarm(ev.alarm_id)
        )
        ev.review = verdict.value
        ev.reviewed_by = by.user_id
        ev.reviewed_at = now
        ev.review_reason = reason
        if first_confirmed and ev.detector == DetectorKind.thrown_object.value:
            self._thrown_object_follow_up(session, ev)
        session.flush()
        return ev

    def _thrown_object_follow_up(self, session: Session, ev: VideoEvent) -> None:
        """A confirmed 高空抛物: a work order to find the floor and a notice to the building's residents, both
        through the outbox (the work-order and notices domains subscribe). Once per alarm: a second confirmed
        drop on the same open alarm adds neither (the work-order side also keeps one order per alarm)."""
        assert ev.alarm_id is not None
        cam = session.get(Camera, ev.camera_id)
        device = session.get(Device, cam.device_id) if cam else None
        building_id = device.building_id if device else None
        band = floor_band_text(ev.details)
        where = f"约 {band} 层" if band else "楼层待查"
        where_en = f"about floors {band}" if band else "floor unknown"
        at = china_text(ev.started_at)
        events.publish(
            session,
            WorkOrderRequested(
                alarm_id=ev.alarm_id,
                compound_id=ev.compound_id,
                kind=DetectorKind.thrown_object.value,
                severity=SEVERITY[DetectorKind.thrown_object],
                category="security",
                title=f"高空抛物排查：{cam.name if cam else ''} {where}（{at}）"[:200],
                building_id=building_id,
                floor=_int_or_none(ev.details.get("floor")),
                device_id=cam.device_id if cam else None,
            ),
            compound_id=ev.compound_id,
        )
        if building_id is None:
            return  # a camera not facing a building: nobody to tell but the work order still goes out
        events.publish(
            session,
            BuildingNotifyRequested(
                alarm_id=ev.alarm_id,
                compound_id=ev.compound_id,
                building_id=building_id,
                title="【安全提醒 / Safety】高空抛物 / Object thrown from height",
                # No names and no picture: the residents learn what happened and where from, not who.
                body=(
                    f"{at}，本楼监控发现有物品从高处坠落（{where}）。高空抛物危及他人生命安全，"
                    "属违法行为，请勿从窗口、阳台向外抛掷物品。物业正在排查，如有线索请联系物业。\n"
                    f"{at} (China time): a camera saw an object fall from this building ({where_en}). "
                    "Throwing things from height endangers lives and is against the law; please never throw "
                    "anything from windows or balconies. The management office is looking into it."
                ),
            ),
            compound_id=ev.compound_id,
        )

    def review_stats(self, session: Session, *, by: Principal) -> list[ReviewStats]:
        """False-alarm rate per camera and detector: dismissed over reviewed."""
        acc: dict[tuple[int, str], dict[str, int]] = {}
        for cam, det, review, n in VideoRepository(session).review_counts(scoped(by)):
            row = acc.setdefault((cam, det), {"confirmed": 0, "dismissed": 0, "pending": 0})
            row[review or "pending"] = row.get(review or "pending", 0) + n
        out = []
        for (cam, det), r in sorted(acc.items()):
            reviewed = r["confirmed"] + r["dismissed"]
            out.append(
                ReviewStats(
                    camera_id=cam,
                    detector=det,
                    events=reviewed + r["pending"],
                    confirmed=r["confirmed"],
                    dismissed=r["dismissed"],
                    pending=r["pending"],
                    false_alarm_rate=round(r["dismissed"] / reviewed, 4) if reviewed else None,
                )
            )
        return out

    # --- footage: access log, export masking, holds, retention ---------------------------------------------
    def footage(
        self,
        session: Session,
        *,
        by: Principal,
        evidence_id: int,
        action: AccessAction,
        reason: str,
        now: datetime | None = None,
    ) -> tuple[VideoEvidence, bytes, bool]:
        """Read an evidence file for playback, download or export; every access is logged first (R-A2).
        Exports are masked (faces and plates pixelated, R-A3); the stored file's sha256 is checked."""
        now = now or utcnow()
        item = session.get(VideoEvidence, evidence_id)
        if item is None or not by.in_scope(item.compound_id):
            raise VideoEventNotFound(f"evidence {evidence_id}")
        ev = session.get(VideoEvent, item.event_id)
        assert ev is not None
        if item.key is None:
            raise EvidenceGone(f"evidence {evidence_id} was deleted on {ev.purged_at}")
        data = evidence_store().get(item.key)
        if sha256(data) != item.sha256:
            raise EvidenceGone(f"evidence {evidence_id} fails its sha256 check", zh="录像证据校验失败（可能被篡改）")
        masked = action == AccessAction.export
        if masked:
            data = masked_jpeg(data) if item.kind == EvidenceKind.snapshot else masked_clip(data)
        session.add(
            VideoAccessLog(
                compound_id=item.compound_id,
                camera_id=ev.camera_id,
                event_id=ev.id,
                evidence_id=item.id,
                user_id=by.user_id,
                action=action.value,
                reason=reason,
                range_start=item.range_start,
                range_end=item.range_end,
                masked=masked,
                at=now,
            )
        )
        session.flush()
        return item, data, masked

    def camera_snapshot(self, session: Session, *, by: Principal, camera_id: int, reason: str) -> bytes | None:
        """The camera's latest picture (zone set-up); a look at the camera's picture is logged too (R-A2)."""
        cam = self.get(session, by=by, camera_id=camera_id)
        if cam.snapshot_key is None:
            return None
        try:
            data = evidence_store().get(cam.snapshot_key)
        except FileNotFoundError:
            return None
        at = cam.last_frame_at or utcnow()
        session.add(
            VideoAccessLog(
                compound_id=cam.compound_id,
                camera_id=cam.id,
                user_id=by.user_id,
                action=AccessAction.playback.value,
                reason=reason[:255],
                range_start=at,
                range_end=at,
                masked=False,
                at=utcnow(),
            )
        )
        session.flush()
        return data

    def add_zone(
        self,
        session: Session,
        *,
        by: Principal,
        camera_id: int,
        detector: DetectorKind,
        zone: dict[str, Any],
        schedule: dict[str, str] | None,
    ) -> Camera:
        """Add (or replace by name) one zone of one analytic, keeping the others (the console's zone editor)."""
        from anju.video.schemas import AnalyticIn, CameraPatch

        cam = self.get(session, by=by, camera_id=camera_id)
        items = [dict(a) for a in cam.analytics]
        mine = next((a for a in items if a.get("detector") == detector.value), None)
        if mine is None:
            mine = {"detector": detector.value, "zones": [], "schedule": None, "params": {}}
            items.append(mine)
        mine["zones"] = [z for z in mine.get("zones") or [] if z.get("name") != zone["name"]] + [zone]
        if schedule is not None:
            mine["schedule"] = schedule or None
        try:
            patch = CameraPatch(analytics=[AnalyticIn.model_validate(a) for a in items])
        except ValueError as exc:
            raise BadAnalytics(str(exc)[:200]) from None
        return self.update(session, by=by, camera_id=camera_id, data=patch)

    def access_log(self, session: Session, *, by: Principal) -> list[VideoAccessLog]:
        return VideoRepository(session).access_log(scoped(by))

    def hold(self, session: Session, *, by: Principal, event_id: int, until: datetime, reason: str) -> VideoEvent:
        """A legal hold keeps an event's evidence past its retention until `until` (R-A1)."""
        ev = self.event(session, by=by, event_id=event_id)
        if ev.purged_at is not None:
            raise EvidenceGone(f"video event {event_id} was already deleted")
        ev.hold_until = until if ev.hold_until is None else max(ev.hold_until, until)
        ev.hold_reason = reason
        session.flush()
        return ev

    def purge(self, session: Session, *, now: datetime | None = None, limit: int = 200) -> int:
        """Delete evidence past retention and past any hold (R-A1); the event row stays as the alarm's record."""
        now = now or utcnow()
        store = evidence_store()
        events = VideoRepository(session).expired(now, limit)
        ids = [e.id for e in events]
        for item in VideoRepository(session).evidence_of(ids):
            if item.key is not None:
                store.delete(item.key)
                item.key = None
        for e in events:
            e.purged_at = now
        session.flush()
        return len(events)


def floor_band_text(details: dict[str, Any]) -> str:
    """A thrown object's floor band as people read it: "15–18" (or "16" when the band is one floor)."""
    band = details.get("floor_band")
    if isinstance(band, list) and len(band) == 2 and all(isinstance(f, int) for f in band):
        lo, hi = sorted(band)
        return str(lo) if lo == hi else f"{lo}–{hi}"
    floor = details.get("floor")
    return str(floor) if isinstance(floor, int) else ""


def _int_or_none(v: Any) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def _jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if hasattr(v, "item"):  # numpy scalars
        return v.item()
    return v


video_service = VideoService()

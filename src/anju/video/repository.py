"""Video queries and conditional updates (leases, idempotent inserts, retention batches)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from anju.core.auth import Principal
from anju.devices.models import Device
from anju.video.models import Camera, VideoAccessLog, VideoEvent, VideoEvidence


class VideoRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def camera(self, camera_id: int) -> Camera | None:
        return self.s.get(Camera, camera_id)

    def camera_by_device(self, device_id: int) -> Camera | None:
        return self.s.scalars(select(Camera).where(Camera.device_id == device_id)).one_or_none()

    def cameras(self, compound_ids: list[int]) -> list[Camera]:
        return list(self.s.scalars(select(Camera).where(Camera.compound_id.in_(compound_ids)).order_by(Camera.id)))

    def placements(self, compound_id: int) -> list[tuple[Camera, int | None, int | None]]:
        """The compound's cameras with their device's point on the site plan."""
        rows = self.s.execute(
            select(Camera, Device.plan_x, Device.plan_y)
            .join(Device, Device.id == Camera.device_id)
            .where(Camera.compound_id == compound_id)
            .order_by(Camera.id)
        ).all()
        return [(c, x, y) for c, x, y in rows]

    def events(
        self, compound_ids: list[int], *, camera_id: int | None = None, pending_review: bool = False, limit: int = 50
    ) -> list[VideoEvent]:
        q = select(VideoEvent).where(VideoEvent.compound_id.in_(compound_ids))
        if camera_id is not None:
            q = q.where(VideoEvent.camera_id == camera_id)
        if pending_review:
            q = q.where(VideoEvent.review.is_(None), VideoEvent.purged_at.is_(None))
        return list(self.s.scalars(q.order_by(VideoEvent.detected_at.desc(), VideoEvent.id.desc()).limit(limit)))

    def event_by_key(self, camera_id: int, key: str) -> VideoEvent | None:
        return self.s.scalars(
            select(VideoEvent).where(VideoEvent.camera_id == camera_id, VideoEvent.event_key == key)
        ).one_or_none()

    def recent_event(
        self, camera_id: int, detector: str, zone: str | None, *, after: datetime, before: datetime
    ) -> VideoEvent | None:
        """The camera's latest incident of this detector and zone decided between `after` and `before`."""
        q = select(VideoEvent).where(
            VideoEvent.camera_id == camera_id,
            VideoEvent.detector == detector,
            VideoEvent.detected_at > after,
            VideoEvent.detected_at < before,
        )
        q = q.where(VideoEvent.zone.is_(None)) if zone is None else q.where(VideoEvent.zone == zone)
        return self.s.scalars(q.order_by(VideoEvent.detected_at.desc()).limit(1)).first()

    def confirmed_for_alarm(self, alarm_id: int) -> bool:
        return (
            self.s.scalar(
                select(VideoEvent.id).where(VideoEvent.alarm_id == alarm_id, VideoEvent.review == "confirmed").limit(1)
            )
            is not None
        )

    def evidence_of(self, event_ids: list[int]) -> list[VideoEvidence]:
        if not event_ids:
            return []
        return list(
            self.s.scalars(
                select(VideoEvidence).where(VideoEvidence.event_id.in_(event_ids)).order_by(VideoEvidence.id)
            )
        )

    def claim(self, worker_id: str, *, now: datetime, until: datetime, limit: int) -> list[int]:
        """Take (or keep) active cameras whose lease is free, expired or already ours; returns the ids held."""
        free = or_(Camera.lease_until.is_(None), Camera.lease_until < now, Camera.leased_by == worker_id)
        ids = list(self.s.scalars(select(Camera.id).where(Camera.active.is_(True), free).order_by(Camera.id)))
        held: list[int] = []
        for cid in ids:
            if len(held) >= limit:
                break
            # Compare-and-swap: only one worker's UPDATE matches a free lease.
            r = self.s.execute(
                update(Camera)
                .where(Camera.id == cid, Camera.active.is_(True), free)
                .values(leased_by=worker_id, lease_until=until)
            )
            if r.rowcount == 1:  # type: ignore[attr-defined]
                held.append(cid)
        return held

    def release(self, worker_id: str, camera_ids: list[int]) -> None:
        if camera_ids:
            self.s.execute(
                update(Camera)
                .where(Camera.id.in_(camera_ids), Camera.leased_by == worker_id)
                .values(leased_by=None, lease_until=None)
            )

    def expired(self, now: datetime, limit: int) -> list[VideoEvent]:
        keep = func.coalesce(VideoEvent.hold_until, VideoEvent.retain_until)
        return list(
            self.s.scalars(
                select(VideoEvent)
                .where(
                    VideoEvent.purged_at.is_(None),
                    VideoEvent.retain_until < now,
                    or_(VideoEvent.hold_until.is_(None), and_(VideoEvent.hold_until < now, keep < now)),
                )
                .order_by(VideoEvent.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )

    def access_log(self, compound_ids: list[int], limit: int = 100) -> list[VideoAccessLog]:
        return list(
            self.s.scalars(
                select(VideoAccessLog)
                .where(VideoAccessLog.compound_id.in_(compound_ids))
                .order_by(VideoAccessLog.at.desc(), VideoAccessLog.id.desc())
                .limit(limit)
            )
        )

    def review_counts(self, compound_ids: list[int]) -> list[tuple[int, str, str | None, int]]:
        rows = self.s.execute(
            select(VideoEvent.camera_id, VideoEvent.detector, VideoEvent.review, func.count())
            .where(VideoEvent.compound_id.in_(compound_ids))
            .group_by(VideoEvent.camera_id, VideoEvent.detector, VideoEvent.review)
        )
        return [(int(a), str(b), c, int(n)) for a, b, c, n in rows]


def scoped(by: Principal) -> list[int]:
    return sorted(by.compound_ids)

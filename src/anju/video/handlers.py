"""Video subscribers and jobs (imported by anju.handlers): the retention job, and detections an edge worker
delivered through device intake (MQTT or HTTP) becoming incidents with their alarm."""

from __future__ import annotations

from sqlalchemy.orm import Session

from anju.core.events import subscribe
from anju.devices.events import CameraEventReported
from anju.video import tasks as _tasks  # noqa: F401
from anju.video.service import video_service


@subscribe(CameraEventReported)
def record_pushed_detection(session: Session, event: CameraEventReported) -> None:
    """Idempotent: the incident key is unique per camera, so a redelivered event records nothing new."""
    video_service.record_pushed(session, device_id=event.device_id, data=event.data)

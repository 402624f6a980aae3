"""Device events other domains react to."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from anju.core.events import DomainEvent


class CameraEventReported(DomainEvent):
    """A camera device (or the edge video worker speaking for it) sent an `event` message through device intake,
    authenticated by the device secret and stored once (UNIQUE device, event_id): the video domain turns a
    detection into its incident and alarm. Published only for newly stored messages, so a redelivery is silent."""

    topic = "devices.CameraEventReported"
    device_id: int
    compound_id: int
    event_id: str
    device_at: datetime
    data: dict[str, Any] = {}

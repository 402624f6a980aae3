"""Notification API schemas."""

from __future__ import annotations

from datetime import datetime

from anju.core.schemas import Schema


class NotificationRead(Schema):
    id: int
    compound_id: int
    category: str
    title: str
    body: str
    alarm_id: int | None
    created_at: datetime
    read_at: datetime | None

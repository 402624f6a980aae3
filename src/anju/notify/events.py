"""Notification events."""

from __future__ import annotations

from anju.core.events import DomainEvent


class DeliveryQueued(DomainEvent):
    """An external delivery row exists; the worker sends it after the commit that wrote it."""

    topic = "notify.DeliveryQueued"
    delivery_id: int

"""Events the access domain publishes (care inactivity checks, flow analytics, terminal push)."""

from __future__ import annotations

from anju.core.events import DomainEvent


class AccessGranted(DomainEvent):
    topic = "access.AccessGranted"
    log_id: int
    compound_id: int
    access_point_id: int | None
    method: str
    reason: str
    direction: str
    person_id: int | None = None
    visitor_pass_id: int | None = None
    at: str  # ISO-8601 server time (device time for replayed offline records)


class AccessDenied(DomainEvent):
    topic = "access.AccessDenied"
    log_id: int
    compound_id: int
    access_point_id: int | None
    method: str
    reason: str
    person_id: int | None = None
    at: str


class TerminalListsChanged(DomainEvent):
    """Allow-lists of these terminals changed: push "sync now" to each (≤ 10 s when online)."""

    topic = "access.TerminalListsChanged"
    compound_id: int
    terminal_ids: list[int]


class DoorsFailedOpen(DomainEvent):
    topic = "access.DoorsFailedOpen"
    compound_id: int
    access_point_ids: list[int]
    cause: str


class RemoteOpened(DomainEvent):
    topic = "access.RemoteOpened"
    compound_id: int
    access_point_id: int
    user_id: int
    reason: str
    terminal_ids: list[int]

"""The notice events other domains may react to."""

from __future__ import annotations

from anju.core.events import DomainEvent


class NoticePublished(DomainEvent):
    """A notice asked for by another domain's event is out; `source` is what that domain asked with
    (e.g. "fees.reminder:12"), so it can link its own record to the notice without reading ours."""

    topic = "notices.NoticePublished"
    notice_id: int
    compound_id: int
    source: str
    recipients: int

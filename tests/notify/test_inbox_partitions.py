"""Issue 19: the in-app inbox partitioned by month on PostgreSQL; read marks and retention behind the same calls."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, text

from anju.core.auth import Principal
from anju.core.db import utcnow
from anju.core.partitions import month_floor, registered
from anju.core.rbac import Role
from anju.notify.config import notify_settings
from anju.notify.models import Notification
from anju.notify.service import notify_service
from anju.notify.tasks import purge_inbox_in
from anju.privacy.catalog import CATALOG
from tests.conftest import DB_KIND


def _user(session) -> int:
    return int(session.execute(text("SELECT min(id) FROM app_user")).scalar_one())


def _message(session, ids, user: int, at, title: str) -> Notification:
    n = Notification(compound_id=ids["A"], user_id=user, category="alarm", title=title, body="正文", created_at=at)
    session.add(n)
    session.flush()
    return n


def test_a_message_lands_in_its_month_and_is_marked_read_there(session, ids):
    user = _user(session)
    last_month = month_floor(utcnow()) - timedelta(seconds=30)
    n = _message(session, ids, user, last_month, "上月的消息")
    if DB_KIND == "postgresql":
        part = session.execute(
            text("SELECT tableoid::regclass::text FROM notification WHERE id = :i"), {"i": n.id}
        ).scalar_one()
        assert part == f"notification_p{last_month:%Y%m}"
    who = Principal(user_id=user, username="u", display_name="u", role=Role.guard, compound_ids=frozenset({ids["A"]}))
    assert notify_service.get_mine(session, by=who, notification_id=n.id).title == "上月的消息"
    assert notify_service.mark_read(session, by=who, notification_id=n.id) is True
    session.expire_all()
    assert session.get(Notification, n.id).read_at is not None


def test_r_p4_inbox_purge_deletes_messages_past_retention_and_keeps_newer(session, ids):
    user = _user(session)
    now = utcnow()
    keep = timedelta(days=notify_settings().inbox_retention_days)
    # Older than every monthly partition the test database has: on PostgreSQL this row sits in the default
    # partition, which the row purge covers (whole months go by core.partitions, tests/core/test_partitions_history).
    old = _message(session, ids, user, now - keep - timedelta(days=400), "old").id
    new = _message(session, ids, user, now - timedelta(days=1), "new").id
    assert purge_inbox_in(session, now=now) >= 1
    session.expire_all()
    left = set(session.execute(select(Notification.id).where(Notification.id.in_([old, new]))).scalars())
    assert left == {new}


def test_r_p1_inbox_retention_is_the_record_of_processings():
    import anju.handlers  # noqa: F401

    declared = next(d for d in CATALOG if d.field == "notification.body")
    spec = registered()["notification"]
    assert spec.column == "created_at"
    assert spec.retention() == timedelta(days=notify_settings().inbox_retention_days)
    assert spec.retention() == timedelta(days=declared.retention_days or 0)

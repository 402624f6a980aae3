"""Issue 19: alarm transitions partitioned by month on PostgreSQL stay append-only (R-A8) and land in their month."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError

from anju.alarms.config import MIN_HISTORY_RETENTION_DAYS, AlarmSettings, alarm_settings
from anju.alarms.events import AlarmRequested
from anju.alarms.models import AlarmTransition
from anju.alarms.service import alarm_service
from anju.core.db import utcnow
from anju.core.partitions import month_floor, registered
from tests.conftest import DB_KIND


def _raise(session, ids, now) -> int:
    r = AlarmRequested(
        compound_id=ids["A"],
        kind="water_leak",
        severity="major",
        source="test:partitions",
        dedupe_key=f"test:{uuid.uuid4().hex}",
        title="泵房漏水",
    )
    return alarm_service.raise_or_refresh(session, request=r, now=now).alarm_id


def test_r_a8_transitions_land_in_their_month_and_stay_append_only(session, ids):
    last_month = month_floor(utcnow()) - timedelta(seconds=30)
    alarm_id = _raise(session, ids, last_month)
    session.flush()
    (tr,) = session.execute(select(AlarmTransition).where(AlarmTransition.alarm_id == alarm_id)).scalars()
    assert tr.at == last_month
    if DB_KIND == "postgresql":
        part = session.execute(
            text("SELECT tableoid::regclass::text FROM alarm_transition WHERE id = :i"), {"i": tr.id}
        ).scalar_one()
        assert part == f"alarm_transition_p{last_month:%Y%m}"
    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        session.execute(update(AlarmTransition).where(AlarmTransition.id == tr.id).values(reason="rewritten"))
    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        session.execute(text("DELETE FROM alarm_transition WHERE id = :i"), {"i": tr.id})


def test_r_a8_history_retention_is_configured_and_never_below_90_days():
    import anju.handlers  # noqa: F401

    spec = registered()["alarm_transition"]
    assert spec.column == "at"
    assert spec.retention() == timedelta(days=alarm_settings().history_retention_days)
    assert alarm_settings().history_retention_days >= MIN_HISTORY_RETENTION_DAYS == 90
    with pytest.raises(ValidationError, match="R-A8"):
        AlarmSettings(history_retention_days=30)

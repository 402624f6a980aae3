"""Two workers running the silence check at once raise the episode's alarm and visit exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from anju.care.models import CareSilenceEpisode, CareVisit
from anju.care.service import care_service
from anju.core.db import transaction
from anju.core.events import OutboxEvent
from tests.care.helpers import make_profile
from tests.conftest import principal_of
from tests.core.databases import dedicated_database
from tests.core.job_race import race

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def _check(out: list[object]) -> None:
    try:
        with transaction() as s:
            out.append(care_service.check_silence(s, now=NOW))
    except Exception as exc:  # noqa: BLE001 - asserted below
        out.append(exc)


def test_two_workers_raise_one_alarm_and_one_visit_order(tmp_path):
    with dedicated_database(tmp_path, "care_silence_race", seed=True):
        with transaction() as s:
            cid = principal_of(s, "manager_wang").compound_ids
            compound_id = min(cid)
            p = make_profile(s, principal_of(s, "manager_wang"), compound_id, created_at=NOW - timedelta(hours=30))
            pid = p.id
        out: list[object] = []
        race(2, lambda _: _check(out))
        with transaction() as s:
            episodes = s.execute(
                select(func.count(CareSilenceEpisode.id)).where(CareSilenceEpisode.profile_id == pid)
            ).scalar_one()
            visits = s.execute(select(func.count(CareVisit.id)).where(CareVisit.profile_id == pid)).scalar_one()
            reqs = [
                e
                for e in s.execute(select(OutboxEvent).where(OutboxEvent.topic == "alarms.AlarmRequested")).scalars()
                if e.payload["source"] == f"care:profile:{pid}"
            ]
        assert episodes == 1 and visits == 1 and len(reqs) == 1
        assert all(isinstance(x, list) for x in out), out  # the loser skips the episode, it does not fail
        assert sum(len(x) for x in out) == 1

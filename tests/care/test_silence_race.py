"""Two workers running the silence check and then the ladder at once: one episode, one alarm, one visit work order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from anju.care.models import CareLadderStep, CareSilenceEpisode, CareVisit
from anju.care.service import care_service
from anju.core.db import transaction
from anju.core.events import OutboxEvent
from anju.workorders.models import WorkOrder
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


def _climb(out: list[object], at: datetime) -> None:
    try:
        with transaction() as s:
            out.append(care_service.fire_ladder(s, now=at, worker_id=f"w{id(out)}"))
    except Exception as exc:  # noqa: BLE001 - asserted below
        out.append(exc)


def test_two_workers_raise_one_alarm_and_one_visit_order(tmp_path):
    with dedicated_database(tmp_path, "care_silence_race", seed=True):
        with transaction() as s:
            cid = principal_of(s, "manager_wang").compound_ids
            compound_id = min(cid)
            p = make_profile(s, principal_of(s, "manager_wang"), compound_id, created_at=NOW - timedelta(hours=30))
            pid, house = p.id, p.house_id
        out: list[object] = []
        race(2, lambda _: _check(out))
        assert all(isinstance(x, list) for x in out), out  # the loser skips the episode, it does not fail
        assert sum(len(x) for x in out) == 1  # type: ignore[arg-type]
        # the ladder, rung by rung, two workers each time (a restart between runs: each is a new transaction)
        for minutes in (0, 15, 25, 35, 55):
            fired: list[object] = []
            race(2, lambda _, m=minutes, f=fired: _climb(f, NOW + timedelta(minutes=m)))
            assert all(isinstance(x, list) for x in fired), fired
            assert sum(len(x) for x in fired) >= 1  # type: ignore[arg-type]
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
            orders = s.execute(
                select(func.count(WorkOrder.id)).where(WorkOrder.kind == "care_visit", WorkOrder.house_id == house)
            ).scalar_one()
            steps = (
                s.execute(select(CareLadderStep.status, func.count()).group_by(CareLadderStep.status)).tuples().all()
            )
        assert episodes == 1 and visits == 1 and len(reqs) == 1 and orders == 1
        assert dict(steps) == {"fired": 6}  # self-check, alarm, two contacts, grid worker, visit: each once

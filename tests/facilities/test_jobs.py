"""The registered jobs, run the way the worker runs them (own transactions, real clock), on a committed database."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from anju.core.db import transaction
from anju.core.events import OutboxEvent
from anju.core.jobs import registered_jobs
from anju.facilities.models import MaintenancePlan
from anju.workorders.models import WorkOrder
from tests.devices.helpers import DedicatedDatabase


@pytest.fixture(scope="module")
def real_db(tmp_path_factory):
    db = DedicatedDatabase(tmp_path_factory.mktemp("wojobs"), "wojobs")
    yield db
    db.close()


def test_jobs_are_registered():
    import anju.handlers  # noqa: F401

    assert {"workorders.deadlines", "patrol.watch", "facilities.due"} <= set(registered_jobs())


def test_r_w2_the_due_job_raises_the_demo_lifts_order_once(real_db):
    import anju.handlers  # noqa: F401

    jobs = registered_jobs()
    for _ in range(2):  # a second run (or a second worker) finds nothing new
        jobs["facilities.due"].fn()
    with transaction() as s:
        plan = s.execute(select(MaintenancePlan).where(MaintenancePlan.kind == "lift_maintenance")).scalars().first()
        assert plan is not None and plan.open_order_id and plan.open_order_id > 0
        n = s.execute(
            select(func.count())
            .select_from(WorkOrder)
            .where(WorkOrder.kind == "inspection", WorkOrder.category == "lift")
        ).scalar_one()
        assert n == 1


def test_the_patrol_and_deadline_jobs_run(real_db):
    import anju.handlers  # noqa: F401

    jobs = registered_jobs()
    for _ in range(2):
        jobs["patrol.watch"].fn()
        jobs["workorders.deadlines"].fn()
    with transaction() as s:
        patrol_alarms = s.execute(select(OutboxEvent).where(OutboxEvent.topic == "alarms.AlarmRequested")).scalars()
        keys = [e.payload["dedupe_key"] for e in patrol_alarms if e.payload["kind"] == "patrol_missed"]
        assert len(keys) == len(set(keys))  # each gap or round once, however often the job runs

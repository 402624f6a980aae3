"""Terminal writes under a small connection pool (issue 19, gate decisions): more decisions in flight than pooled
connections and worker threads still all answer; none waits out the pool timeout.

Before, the decision's session, write session and terminal dependencies each ran in a thread of their own
while the session held its connection between them: with 45 decisions in flight and 2 connections, the
threads waiting for a connection took every thread, the two holders could not finish, and all waited out the
pool timeout (500s). Now a decision authenticates, decides and commits in one thread on its own session."""

from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import create_engine, func, select

from anju.access.models import AccessLog, AccessPoint
from anju.core import db as core_db
from anju.core.events import OutboxEvent
from anju.sim.access_demo import LI_CARD
from tests.access.conftest import terminal_headers
from tests.core.databases import dedicated_database

IN_FLIGHT = 45  # above anyio's 40 worker threads


def test_decisions_beyond_pool_and_threads_all_answer_logged_and_published(tmp_path):
    from fastapi.testclient import TestClient

    from tests.conftest import shared_app

    with dedicated_database(tmp_path, "terminal_threads", seed=True) as (url, _engine):
        small = create_engine(url, pool_size=2, max_overflow=0, pool_timeout=30)
        core_db.set_engine(small)  # dedicated_database puts the previous engine back
        try:
            with core_db.new_session() as s:
                gate = s.execute(select(AccessPoint.id).where(AccessPoint.name == "南门人行")).scalars().first()
                before = s.execute(select(func.count()).select_from(AccessLog)).scalar_one()
            statuses: list[int] = []
            lock = threading.Lock()
            with TestClient(shared_app(), raise_server_exceptions=False) as client:
                barrier = threading.Barrier(IN_FLIGHT)

                def post() -> None:
                    barrier.wait()
                    r = client.post(
                        "/api/v1/terminals/decisions",
                        headers=terminal_headers("south"),
                        json={"access_point_id": gate, "credential": {"kind": "card", "value": LI_CARD}},
                    )
                    with lock:
                        statuses.append(r.status_code)

                threads = [threading.Thread(target=post) for _ in range(IN_FLIGHT)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join(120)
            assert Counter(statuses) == Counter({200: IN_FLIGHT}), Counter(statuses)
            with core_db.new_session() as s:
                logs = s.execute(select(func.count()).select_from(AccessLog)).scalar_one() - before
                granted = s.execute(
                    select(func.count()).where(OutboxEvent.topic == "access.AccessGranted")
                ).scalar_one()
            assert logs == IN_FLIGHT and granted >= IN_FLIGHT  # every decision logged and published
        finally:
            small.dispose()

"""Brute-force limits under concurrency (issue 20 item 4): parallel guesses are counted one after
another, on real separate connections (a dedicated database; SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

from sqlalchemy import select

from anju.access.models import AccessPoint, Terminal
from anju.access.schemas import DecisionRequest
from anju.core import db as core_db
from anju.core.db import utcnow
from tests.core.databases import dedicated_database

UNIT_DOOR = "3号楼1单元门"


def _parallel(n: int, work: Callable[[int], str]) -> Counter[str]:
    barrier = threading.Barrier(n)
    results: list[str] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        barrier.wait()
        try:
            out = work(i)
        except Exception as e:  # noqa: BLE001 - an unexpected error must show in the tally, not vanish
            out = f"error:{type(e).__name__}:{e}"
        with lock:
            results.append(out)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return Counter(results)


def test_brute_force_41_parallel_pin_guesses_are_evaluated_at_most_the_limit(tmp_path):
    from anju.access.config import access_settings
    from anju.access.decision_service import decision_service

    limit = access_settings().pin_max_failures
    with dedicated_database(tmp_path, "pin_race", seed=True) as (_, engine):
        with core_db.new_session() as s:
            point = s.execute(select(AccessPoint.id).where(AccessPoint.name == UNIT_DOOR)).scalars().first()
            terminal = s.execute(select(Terminal.id).where(Terminal.key_id.like("term_%_unit"))).scalars().first()
        assert point is not None and terminal is not None

        def guess(i: int) -> str:
            with core_db.new_session() as s:
                t = s.get(Terminal, terminal)
                assert t is not None
                req = DecisionRequest.model_validate(
                    {"access_point_id": point, "credential": {"kind": "pin", "value": f"{700000 + i}"}}
                )
                reason = decision_service.decide(s, terminal=t, req=req, now=utcnow()).reason
                s.commit()
                return reason

        tally = _parallel(41, guess)
        # Before: 7 of 41 were evaluated against a limit of 5.
        assert tally == Counter({"unknown_credential": limit, "too_many_attempts": 41 - limit}), tally
        engine.dispose()


def test_brute_force_parallel_room_guesses_at_two_doors_are_evaluated_at_most_the_limit(tmp_path):
    """Each guess holds its door's and the room's counters in one statement, in key order (issue 19): guesses
    racing at two doors against one room still count one after another, and never deadlock."""
    from anju.access.config import access_settings
    from anju.access.decision_service import decision_service

    limit = access_settings().pin_max_failures
    with dedicated_database(tmp_path, "pin_room_race", seed=True) as (_, engine):
        doors = []
        with core_db.new_session() as s:
            for name, key in (("南门人行", "south"), ("东门人行", "east")):
                ap = s.execute(select(AccessPoint).where(AccessPoint.name == name)).scalars().first()
                assert ap is not None
                terminal = s.execute(
                    select(Terminal.id).where(Terminal.compound_id == ap.compound_id, Terminal.key_id.like(f"%_{key}"))
                ).scalar_one()
                doors.append((terminal, ap.id))

        def guess(i: int) -> str:
            terminal, point = doors[i % 2]
            with core_db.new_session() as s:
                t = s.get(Terminal, terminal)
                assert t is not None
                req = DecisionRequest.model_validate(
                    {"access_point_id": point, "credential": {"kind": "pin", "value": f"3-1-0802#{700000 + i}"}}
                )
                reason = decision_service.decide(s, terminal=t, req=req, now=utcnow()).reason
                s.commit()
                return reason

        tally = _parallel(24, guess)
        assert tally == Counter({"unknown_credential": limit, "too_many_attempts": 24 - limit}), tally
        engine.dispose()

"""Tally time for a 5,000-owner vote on PostgreSQL, as a ratio against a bare SQL sum over the same ballots.

Run: ANJU_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/governance_tally.py
It creates a scratch database on that server (and drops it afterwards), builds one compound
with 5,000 owners (some with two flats, a developer block), publishes a two-item vote
(electorate snapshot), chains ~80 % of ballots, then times, in the same run:

- baseline: one bare `SELECT count(*), sum(area)` over the ballot rows joined to the snapshot;
- recount:  the service's exact-fraction tally from scratch (what closing a vote does);
- verify:   recount + both hash chains + the electorate digest (what `anju votes verify` does).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from sqlalchemy import create_engine, text


def timed(fn: Callable[[], object], n: int) -> float:
    fn()  # warm-up
    started = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - started) / n


def build(session, owners: int) -> int:  # type: ignore[no-untyped-def]
    """One compound: `owners` people owning 1–2 flats each, plus 40 developer-held flats; returns a vote id."""
    from anju.accounts.models import User
    from anju.accounts.service import account_service
    from anju.core.db import utcnow
    from anju.core.rbac import Role
    from anju.governance.enums import Channel, MatterType
    from anju.governance.models import Ballot
    from anju.governance.schemas import AgendaItemIn, VoteCreate
    from anju.governance.service import vote_service
    from anju.registry.enums import HouseStatus, OccupancyRole
    from anju.registry.models import Building, Compound, House, Occupancy, Person, Unit

    rng = random.Random(5000)
    c = Compound(code="BENCH", name="基准小区", address="基准路 1 号")
    session.add(c)
    session.flush()
    people = [Person(compound_id=c.id, name=f"业主{k}") for k in range(owners)]
    session.add_all(people)
    session.flush()
    flats: list[tuple[int | None, bool]] = [(k, False) for k in range(owners)]
    flats += [(rng.randrange(owners), False) for _ in range(owners // 10)]  # second flats
    flats += [(None, True) for _ in range(40)]  # developer-held
    per_unit = 200
    houses = []
    for b in range((len(flats) + per_unit - 1) // per_unit):
        bld = Building(compound_id=c.id, number=str(b + 1), name=f"{b + 1}号楼", floors=25)
        session.add(bld)
        session.flush()
        unit = Unit(compound_id=c.id, building_id=bld.id, number="1", floors=25)
        session.add(unit)
        session.flush()
        for k in range(per_unit):
            i = b * per_unit + k
            if i >= len(flats):
                break
            area = Decimal(rng.randrange(4500, 16000)) / 100
            houses.append(
                House(
                    compound_id=c.id,
                    building_id=bld.id,
                    unit_id=unit.id,
                    floor=k // 8 + 1,
                    number=f"{k:04d}",
                    label=f"{b + 1}-1-{k:04d}",
                    registered_area=area if rng.random() < 0.9 else None,
                    surveyed_area=area,
                    status=HouseStatus.developer_unsold if flats[i][1] else HouseStatus.self_occupied,
                )
            )
    session.add_all(houses)
    session.flush()
    session.add_all(
        Occupancy(
            compound_id=c.id,
            house_id=h.id,
            person_id=people[owner].id,
            role=OccupancyRole.owner,
            started_on=date(2020, 1, 1),
        )
        for h, (owner, dev) in zip(houses, flats, strict=True)
        if owner is not None
    )
    user = User(
        username="bench_committee",
        display_name="委员",
        password_hash="x",
        role=Role.committee_member,
        person_id=people[0].id,
    )
    session.add(user)
    session.flush()
    who = account_service.principal(session, user)
    now = utcnow()
    vote = vote_service.create(
        session,
        by=who,
        data=VoteCreate(
            compound_id=c.id,
            title="基准表决",
            matter_type=MatterType.hire_property_company,
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=14),
            items=[AgendaItemIn(title="续聘物业"), AgendaItemIn(title="调整标准")],
        ),
    )
    vote_service.publish(session, by=who, vote_id=vote.id, now=now - timedelta(days=16))
    vote_service.advance(session, vote, now=now)
    caster = dict(
        session.execute(
            text("SELECT elector_id, person_id FROM vote_elector_person WHERE vote_id = :v"), {"v": vote.id}
        ).all()
    )
    ballots = []
    for (e_id,) in session.execute(
        text("SELECT id FROM vote_elector WHERE vote_id = :v ORDER BY id"), {"v": vote.id}
    ).all():
        if rng.random() < 0.8:
            ballots.append(
                Ballot(
                    elector_id=e_id,
                    channel=Channel.online,
                    cast_by_person_id=caster.get(e_id),
                    choices={"1": rng.choice(("yes", "yes", "no", "abstain")), "2": rng.choice(("yes", "no"))},
                    cast_at=now - timedelta(hours=rng.randrange(1, 20)),
                )
            )
    vote_service.append_many(session, vote, ballots)
    return vote.id


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--owners", type=int, default=5000)
    ap.add_argument("-n", type=int, default=10)
    args = ap.parse_args()
    server = os.environ.get("ANJU_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    if not server.startswith("postgresql"):
        sys.exit("set ANJU_DATABASE_URL to a PostgreSQL server (a scratch database is created on it)")
    name = f"anju_bench_gov_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.rsplit("/", 1)[0] + "/" + name
    os.environ["ANJU_DATABASE_URL"] = url
    try:
        from anju.core import db as core_db
        from anju.core.config import reset_settings
        from anju.core.migrate import upgrade
        from anju.governance.models import Vote
        from anju.governance.service import vote_service
        from anju.startup import post_upgrade

        reset_settings()
        core_db.set_engine(core_db.make_engine(url))
        upgrade()
        post_upgrade()
        started = time.perf_counter()
        with core_db.transaction() as s:
            vote_id = build(s, args.owners)
        print(f"built {args.owners:,} owners + ballots in {time.perf_counter() - started:.1f} s")
        with core_db.new_session() as s:
            vote = s.get(Vote, vote_id)
            assert vote is not None
            (n_ballots,) = s.execute(text("SELECT count(*) FROM vote_ballot WHERE vote_id = :v"), {"v": vote_id}).one()
            (n_electors,) = s.execute(
                text("SELECT count(*) FROM vote_elector WHERE vote_id = :v"), {"v": vote_id}
            ).one()
            bare = timed(
                lambda: s.execute(
                    text(
                        "SELECT count(*), sum(e.area) FROM vote_ballot b JOIN vote_elector e ON e.id = b.elector_id "
                        "WHERE b.vote_id = :v"
                    ),
                    {"v": vote_id},
                ).one(),
                args.n,
            )
            recount = timed(lambda: vote_service.recount(s, vote), args.n)
            verify = timed(lambda: vote_service.verify(s, vote), max(1, args.n // 2))
            results = vote_service.recount(s, vote)
        print(f"electorate {n_electors:,} owners (developer counted once), {n_ballots:,} ballots, 2 agenda items")
        print(f"bare SELECT count/sum over the ballots: {bare * 1000:8.2f} ms  (baseline 1.0)")
        print(f"exact-fraction tally from scratch:      {recount * 1000:8.2f} ms  ratio {recount / bare:6.1f}x")
        print(f"full verification (chains + tally):     {verify * 1000:8.2f} ms  ratio {verify / bare:6.1f}x")
        print(
            f"item 1: {results[0].official.value}, participation {results[0].participating.owners}"
            f"/{results[0].total.owners}"
        )
    finally:
        from anju.core import db as core_db

        core_db.set_engine(None)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()

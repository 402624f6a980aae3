"""Two sessions cast the same owner's ballot at the same time: exactly one ballot is stored."""

from __future__ import annotations

from sqlalchemy import func, select

from anju.core import db as core_db
from anju.core.auth import Principal
from anju.governance.exceptions import AlreadyVoted
from anju.governance.models import Ballot
from anju.governance.service import vote_service
from tests.core.databases import dedicated_database
from tests.core.job_race import race
from tests.governance.world import HouseSpec, build_world


def test_r_v5_double_vote_under_concurrency_stores_exactly_one_ballot(tmp_path):
    with dedicated_database(tmp_path, "gov_race") as (_, engine):
        with core_db.transaction() as s:
            w = build_world(s, [HouseSpec("101", ("李", "王"), "88.00"), HouseSpec("102", ("张",))])
            v = w.vote()
            li, wang = w.person("李"), w.person("王")  # co-owners of one part: one ballot between them
            vote_id, house = v.id, w.houses["101"]
        outcomes: list[str] = []

        def cast(who: Principal, choice: str) -> None:
            with core_db.new_session() as s:
                try:
                    vote_service.cast(s, by=who, vote_id=vote_id, house_id=house, choices={"1": choice})
                    s.commit()
                    outcomes.append("stored")
                except AlreadyVoted:
                    s.rollback()
                    outcomes.append("refused")

        race(2, lambda i: cast(*[(li, "yes"), (wang, "no")][i]), timeout=60)
        assert sorted(outcomes) == ["refused", "stored"]
        with core_db.new_session() as s:
            assert (
                s.execute(select(func.count()).select_from(Ballot).where(Ballot.vote_id == vote_id)).scalar_one() == 1
            )
            assert vote_service.verify(s, s.get(type(v), vote_id)).ok
        engine.dispose()

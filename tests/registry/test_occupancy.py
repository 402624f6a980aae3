"""Current occupancy has one home (registry.occupancy); a lapsed lease means the same everywhere (issue 10, item 1).

The decision: a tenant whose lease has passed without a recorded move-out is refused at the gate,
loses the house from their house list and cannot issue visitor passes for it; staff still see the
open occupancy on the house until they record the move-out. The lease's last day still counts.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.core.kit.china_time import china_date
from anju.registry.enums import OccupancyRole
from anju.registry.models import Occupancy
from anju.registry.occupancy import is_current
from tests.access.conftest import LI

GATE = "南门人行"


def _lease_li(session: Session, ids: dict[str, int], *, days_left: int) -> Occupancy:
    """Make resident_li a tenant of 3-1-0802 whose lease ends `days_left` days from today (China)."""
    occ = session.execute(
        select(Occupancy).where(Occupancy.house_id == ids["li_house"], Occupancy.person_id == ids["li_person"])
    ).scalar_one()
    occ.role = OccupancyRole.tenant
    occ.lease_end = china_date() + timedelta(days=days_left)
    session.flush()
    return occ


def _issue_pass(client: Any, login: Any, ids: dict[str, int]) -> Any:
    return client.post(
        "/api/v1/access/visitor-passes",
        headers=login("resident_li"),
        json={
            "host_house_id": ids["li_house"],
            "visitor_name": "王阿姨",
            "valid_until": (datetime.now(UTC) + timedelta(hours=4)).isoformat(),
        },
    )


class TestLapsedLease:
    def test_lapsed_lease_is_refused_at_gate_in_house_list_and_for_visitor_passes(
        self, client, login, ids, session, decide, south, points
    ):
        occ = _lease_li(session, ids, days_left=-1)
        assert not is_current(occ)
        # At the gate: no current home, so the card is refused.
        assert decide(south, points[GATE], "card", LI)["reason"] == "not_resident"
        # In the house list: the house is gone from the resident's own view.
        me = client.get("/api/v1/me", headers=login("resident_li")).json()
        assert ids["li_house"] not in me["house_ids"]
        # Visitor passes: cannot be issued for that house.
        assert _issue_pass(client, login, ids).status_code == 404
        # Staff still see the open occupancy on the house, to record the move-out or a renewal.
        r = client.get(f"/api/v1/people?house_id={ids['li_house']}", headers=login("manager_wang"))
        assert ids["li_person"] in {p["id"] for p in r.json()["items"]}

    def test_last_day_of_the_lease_still_counts_everywhere(self, client, login, ids, session, decide, south, points):
        occ = _lease_li(session, ids, days_left=0)
        assert is_current(occ)
        assert decide(south, points[GATE], "card", LI)["decision"] == "allow"
        assert ids["li_house"] in client.get("/api/v1/me", headers=login("resident_li")).json()["house_ids"]
        assert _issue_pass(client, login, ids).status_code == 201

    @pytest.mark.parametrize("days_left", [-1, 0])
    def test_sql_clause_and_loaded_row_agree(self, session, ids, days_left):
        from anju.registry.occupancy import current_occupancy_clause

        occ = _lease_li(session, ids, days_left=days_left)
        in_sql = session.execute(select(Occupancy.id).where(Occupancy.id == occ.id, current_occupancy_clause())).first()
        assert (in_sql is not None) == is_current(occ)

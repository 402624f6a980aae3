"""Issue 16 care walk: a household's activity stops → the silence job opens an episode and the self-check goes out
→ nobody answers, so the ladder climbs (alarm, contacts, grid worker) to a visit work order → the grid worker sees
the visit with its order on the phone and closes it "fine" → the order is closed and the episode is labelled.

The silence and ladder jobs run in a side process on the live server's database (the product's own
care_service.check_silence / fire_ladder, as the leased jobs call them) with a fake clock for the ladder's waits.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.browser import PHONE, on_live_database, shot, sign_in

pytestmark = pytest.mark.browser

JOBS = r"""
import json, sys
from datetime import timedelta
from sqlalchemy import select
from tests.conftest import attach
attach(sys.argv[1])
from anju.care.models import CareProfile, CareVisit
from anju.care.service import care_service
from anju.core.db import transaction, utcnow
from anju.registry.models import House

step, now = sys.argv[2], utcnow()
out = {}
with transaction() as s:
    if step == "silence":
        # the household simulator stops: this person's last sign of life was 26 hours ago
        p = s.execute(
            select(CareProfile)
            .join(House, House.id == CareProfile.house_id)
            .where(CareProfile.active.is_(True), CareProfile.visitor_user_id.is_not(None))
            .order_by(CareProfile.id)
        ).scalars().first()
        p.last_activity_at, p.deadline_minute = now - timedelta(hours=26), None
        p.quiet_start_minute = p.quiet_end_minute = 0  # whatever the hour the walk runs at
        s.flush()
        care_service.check_silence(s, now=now)
        [ep] = care_service.episodes_of(s, profile=p)[:1]
        care_service.fire_ladder(s, now=now, worker_id="walk")
        out = {"profile": p.id, "episode": ep.id}
    else:
        for minutes in (16, 30, 45, 60, 80):  # the fake clock: nobody answers the self-check or the phone
            care_service.fire_ladder(s, now=now + timedelta(minutes=minutes), worker_id="walk")
        v = s.execute(select(CareVisit).where(CareVisit.episode_id == int(sys.argv[3]))).scalar_one()
        out = {"visit": v.id, "order": v.order_id}
print("RESULT " + json.dumps(out))
"""


def jobs(base: str, *args: str) -> dict[str, Any]:
    return on_live_database(base, JOBS, *args)


def test_silence_self_check_escalates_to_a_visit_order_the_grid_worker_closes_fine(browser, live_server):
    opened = jobs(live_server, "silence")
    grid = sign_in(browser, live_server, "grid_zhou", PHONE)
    try:
        episodes = grid.request.get(f"/api/v1/care/profiles/{opened['profile']}/episodes").json()
        ours = next(e for e in episodes if e["id"] == opened["episode"])
        steps = {s["kind"]: s["status"] for s in ours["steps"]}
        assert steps["self_check"] == "fired" and steps["visit"] == "pending" and ours["closed_at"] is None

        climbed = jobs(live_server, "climb", str(opened["episode"]))
        grid.goto("/field/visits")
        item = grid.locator(f"[data-testid=field-visits-due] li[data-visit-id='{climbed['visit']}']")
        assert item.count() == 1
        assert f"#{climbed['order']}" in item.locator(f"[data-testid=visit-order-{climbed['visit']}]").inner_text()
        shot(grid, "phone_grid_care_visit_order")
        item.locator("select[name=outcome]").select_option("fine")
        item.locator("input[name=note]").fill("敲门后老人开门，手机没电未接电话，身体无恙")
        item.locator(f"[data-testid=visit-record-{climbed['visit']}]").click()
        done = grid.locator(f"[data-testid=field-visits-done] li[data-visit-id='{climbed['visit']}']")
        done.wait_for()
        assert "手机没电" in done.inner_text()

        after = grid.request.get(f"/api/v1/care/profiles/{opened['profile']}/episodes").json()
        ours = next(e for e in after if e["id"] == opened["episode"])
        assert (ours["outcome"], ours["answered_by"]) == ("fine", "visit")  # the label fed back
        assert {s["status"] for s in ours["steps"]} == {"fired"}  # every rung once, none left
    finally:
        grid.context.close()
    manager = sign_in(browser, live_server, "manager_wang", PHONE)
    try:
        order = manager.request.get(f"/api/v1/work-orders/{climbed['order']}").json()
        assert order["status"] == "closed" and order["kind"] == "care_visit"
    finally:
        manager.context.close()

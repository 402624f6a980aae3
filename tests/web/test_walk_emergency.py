"""Issue 16 walks: a smoke alarm proposes the fire plan and the manager activates it from the message; and a manager
runs a fire drill (exercise) for one building from the console, sees the role tasks and the evacuation estimate for
that building, ticks a task, opens the simulation, and closes the drill with its after-action review."""

from __future__ import annotations

import pytest

from tests.web.browser import DESKTOP, on_live_database, shot, sign_in

pytestmark = pytest.mark.browser

# In a side process on the live server's database, as the intake and the worker would: a smoke detector's critical
# alarm in one building (its own dedupe key, so no other walk's smoke alarm absorbs it), then the alarm's
# AlarmRaised event delivered through the outbox (emergency proposes the plan to the managers' messages).
SMOKE = r"""
import json, sys, uuid
from sqlalchemy import select
from tests.conftest import attach
attach(sys.argv[1])
import anju.handlers  # noqa: F401  (the subscribers)
from anju.alarms.events import AlarmRequested
from anju.alarms.service import alarm_service
from anju.core.db import transaction
from anju.core.events import OutboxEvent, deliver_event
from anju.registry.models import Building, Compound

with transaction() as s:
    cid = s.execute(select(Compound.id).where(Compound.code == "SFXQ")).scalar_one()
    b = s.execute(select(Building).where(Building.compound_id == cid).order_by(Building.id).offset(1)).scalars().first()
    req = AlarmRequested(compound_id=cid, kind="smoke", severity="critical", source="walk:emergency",
                         dedupe_key=f"walk:smoke:{uuid.uuid4().hex}", title=f"{b.name} 烟感报警", building_id=b.id)
    alarm_id = alarm_service.raise_or_refresh(s, request=req).alarm_id
with transaction() as s:
    events = [e.id for e in s.execute(select(OutboxEvent).where(OutboxEvent.topic == "alarms.AlarmRaised")).scalars()
              if e.payload.get("alarm_id") == alarm_id]
for event_id in events:
    deliver_event(event_id, worker_id="walk")
print("RESULT " + json.dumps({"alarm": alarm_id, "building": b.name}))
"""


# R-F13 opened the compound's evacuation doors when the smoke alarm was delivered ("until a person resets it"):
# the manager resets them after the walk, so the walks after this one meet the gates as they were.
RESET_DOORS = r"""
import json, sys
from sqlalchemy import select
from tests.conftest import attach, principal_of
attach(sys.argv[1])
from anju.access.points_service import access_point_service
from anju.core.db import transaction
from anju.registry.models import Compound

with transaction() as s:
    cid = s.execute(select(Compound.id).where(Compound.code == "SFXQ")).scalar_one()
    reset = access_point_service.reset_fail_open(s, who=principal_of(s, "manager_wang"), compound_id=cid)
print("RESULT " + json.dumps({"reset": len(reset)}))
"""


def raise_smoke(base: str) -> dict[str, object]:
    return on_live_database(base, SMOKE)


def test_a_smoke_alarm_proposes_the_fire_plan_and_the_manager_activates_it_from_the_message(browser, live_server):
    smoke = raise_smoke(live_server)
    manager = sign_in(browser, live_server, "manager_wang", DESKTOP)
    try:
        manager.goto("/console/messages")
        row = manager.locator("tr[data-message]", has_text=str(smoke["building"]) + " 烟感报警").first
        row.wait_for()
        assert "建议启动预案" in row.inner_text()
        row.locator('[data-testid="msg-open"]').click()  # read, and on to the proposal
        proposal = manager.locator('[data-testid="em-proposal"]')
        proposal.wait_for()
        assert str(smoke["building"]) + " 烟感报警" in proposal.inner_text()
        form = manager.locator('[data-testid="activate-proposal"]')
        selected = form.locator("select[name=building_id] option:checked").inner_text()
        assert selected == smoke["building"]  # the alarm's building, chosen for the manager
        shot(manager, "manager_wang_fire_plan_proposed")
        form.locator("button[type=submit]").click()
        manager.wait_for_url("**/console/emergency/incidents/**")
        assert manager.locator('[data-testid="em-exercise"]').count() == 0  # a real activation, not a drill
        assert manager.locator('[data-testid="em-tasks"] tr[data-task]').count() >= 3
        total = manager.locator('[data-testid="em-estimate-total"]')
        assert total.count() == 1 and "分" in total.inner_text()  # the building's evacuation estimate
        shot(manager, "manager_wang_fire_plan_activated")
    finally:
        manager.context.close()
        assert on_live_database(live_server, RESET_DOORS)["reset"] >= 1  # the doors had failed open (R-F13)


def test_manager_runs_a_fire_drill_with_the_evacuation_estimate_and_closes_it(browser, live_server):
    manager = sign_in(browser, live_server, "manager_wang", DESKTOP)
    try:
        assert manager.goto("/console/emergency").status == 200
        form = manager.locator('[data-testid="activate-fire"]')
        options = form.locator("select[name=building_id] option")
        building = options.nth(1)  # the first building (option 0 is the whole compound)
        form.locator("select[name=building_id]").select_option(building.get_attribute("value"))
        form.locator("input[name=exercise]").check()
        form.locator("button[type=submit]").click()
        manager.wait_for_url("**/console/emergency/incidents/**")
        assert "/console/emergency/incidents/" in manager.url  # our own incident, by the redirect
        assert manager.locator('[data-testid="em-exercise"]').count() == 1
        tasks = manager.locator('[data-testid="em-tasks"] tr[data-task]')
        assert tasks.count() >= 3
        total = manager.locator('[data-testid="em-estimate-total"]')
        assert total.count() == 1 and "分" in total.inner_text()
        shot(manager, "manager_wang_fire_drill_incident")

        first = tasks.first
        task_id = first.get_attribute("data-task")
        first.locator("button").click()
        manager.wait_for_selector('[data-testid="wo-ok"]')
        assert manager.locator(f'tr[data-task="{task_id}"] button').count() == 0  # ticked off, with its time

        incident_url = manager.url.split("?")[0]
        manager.click('[data-testid="em-estimate"] a')
        manager.wait_for_selector('[data-testid="ev-result"]')
        assert manager.locator('[data-testid="ev-exits"] tbody tr').count() >= 1
        assert manager.locator("svg.ev-plan").count() == 1
        shot(manager, "manager_wang_evacuation_simulation")

        manager.goto(incident_url)
        manager.fill("textarea[name=review]", "演练用时与模拟接近；西楼梯口人员聚集，需增派引导员。")
        manager.click("text=" + manager.locator("form[action$='/close'] button").inner_text())
        manager.wait_for_selector('[data-testid="wo-ok"]')
        assert "西楼梯口人员聚集" in manager.inner_text("body")
        assert manager.locator("form[action$='/close']").count() == 0
    finally:
        manager.context.close()

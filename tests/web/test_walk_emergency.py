"""Issue 16 walk: a manager runs a fire drill (exercise) for one building from the console, sees the role tasks
and the evacuation estimate for that building, ticks a task, opens the simulation, and closes the drill with its
after-action review."""

from __future__ import annotations

import pytest

from tests.web.browser import DESKTOP, shot, sign_in

pytestmark = pytest.mark.browser


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

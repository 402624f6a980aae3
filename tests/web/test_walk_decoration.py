"""Issue 18 walk: an owner files a decoration application on the phone, the manager approves it on the console,
a worker's temporary pass (shared as a link) opens the unit door within the approved window, and no longer once
the final inspection has closed the decoration."""

from __future__ import annotations

from datetime import timedelta

import pytest

from anju.core.kit.china_time import china_date
from tests.web.browser import DESKTOP, PHONE, present_qr, shot, sign_in

pytestmark = pytest.mark.browser

UNIT_TERMINAL = "term_SFXQ_unit"  # the unit door's terminal

UNIT_DOOR = "3号楼1单元门"
WORKER = "周师傅"


def test_owner_files_staff_approve_worker_pass_opens_the_unit_door(browser, live_server):
    owner = sign_in(browser, live_server, "resident_li", PHONE)
    manager = sign_in(browser, live_server, "manager_wang", DESKTOP)
    worker_ctx = browser.new_context(viewport=PHONE, locale="zh-CN")
    try:
        # The owner files on the phone.
        assert owner.goto("/h5").status == 200
        owner.click('[data-testid="h5-link-decoration"]')
        form = owner.locator('[data-testid="deco-form"]')
        start = china_date() + timedelta(days=0)
        form.locator("input[name=start_date]").fill(start.isoformat())
        form.locator("input[name=end_date]").fill((start + timedelta(days=14)).isoformat())
        form.locator("textarea[name=scope]").fill("厨房翻新、卫生间防水")
        form.locator("input[name=contractor]").fill("安居装饰工程有限公司")
        form.locator("textarea[name=workers]").fill(f"{WORKER} 13522223333")
        form.locator("input[name=daily_from]").fill("00:00")
        form.locator("input[name=daily_until]").fill("23:59")
        form.locator("button[type=submit]").click()
        owner.wait_for_selector('[data-testid="deco-ok"], [data-testid="deco-error"]')
        assert owner.locator('[data-testid="deco-error"]').count() == 0, owner.inner_text('[data-testid="deco-error"]')
        app_id = owner.locator('[data-testid="deco-app"]').first.get_attribute("data-app")
        shot(owner, "resident_li_decoration_filed")

        # The manager approves on the console.
        assert manager.goto("/console/decoration").status == 200
        row = manager.locator(f'tr[data-app="{app_id}"]')
        row.locator('[data-testid="deco-approve"]').click()
        manager.wait_for_selector('[data-testid="deco-ok"]')
        assert manager.locator(f'tr[data-app="{app_id}"]').get_attribute("data-status") == "approved"
        shot(manager, "manager_wang_decoration_approved")

        # The owner shares the worker's pass; the worker opens it without signing in.
        assert owner.goto("/h5/access").status == 200
        card = owner.locator(".pass-card", has_text=WORKER).first
        card.locator('[data-testid="share-pass"]').click()
        url = card.locator('[data-testid="share-url"]').input_value()
        worker = worker_ctx.new_page()
        assert worker.goto(url).status == 200
        token = worker.get_attribute('[data-testid="visit-qr"]', "data-token") or ""

        doors = {d["name"]: d["id"] for d in owner.request.get("/api/v1/access/me/doors").json()}
        decision = present_qr(live_server, doors[UNIT_DOOR], token, terminal=UNIT_TERMINAL)
        assert decision["decision"] == "allow", decision

        # The final inspection closes the decoration: the pass no longer opens the door.
        assert manager.goto("/console/decoration").status == 200
        insp = manager.locator(f'tr[data-app="{app_id}"] [data-testid="deco-inspect-form"]')
        insp.locator("select[name=kind]").select_option("final")
        insp.locator("select[name=passed]").select_option("1")
        insp.locator("button").click()
        manager.wait_for_selector('[data-testid="deco-ok"]')
        after = present_qr(live_server, doors[UNIT_DOOR], token, terminal=UNIT_TERMINAL)
        assert (after["decision"], after["reason"]) == ("deny", "pass_revoked")
    finally:
        worker_ctx.close()
        owner.context.close()
        manager.context.close()

"""The visitor walk in a real browser: a resident invites a visitor, a gate admits them, the guard sees it live.

resident_li (phone) creates a pass on /h5/access and sees its QR; guard_chen
(desktop) has /console/access open; the south gate terminal presents the
pass's QR payload to the decision API over HTTP; the entry appears on the
guard's page through server-sent events, without a reload, and so does the
denial when the used-up pass is shown again.
"""

from __future__ import annotations

import pytest

from anju.core.crypto import mask_name
from tests.web.browser import DESKTOP, PHONE, present_qr, shot, sign_in

pytestmark = pytest.mark.browser

VISITOR = "钱小多"
GATE = "南门人行"


def test_visitor_pass_entry_appears_live_on_the_guard_desk(browser, live_server):
    guard = sign_in(browser, live_server, "guard_chen", DESKTOP)
    resident = sign_in(browser, live_server, "resident_li", PHONE)
    try:
        # The guard desk is open and connected before anything happens.
        assert guard.goto("/console/access").status == 200
        guard.wait_for_selector('[data-testid="feed-status"].is-live')
        guard.evaluate("window.__sameDocument = true")

        # The resident invites a visitor from the phone and gets a QR code.
        assert resident.goto("/h5/access").status == 200
        resident.wait_for_selector('[data-testid="my-qr"] svg')
        resident.click('[data-testid="pass-form"] button[type=submit]')  # neither name nor phone yet
        assert "请填写访客姓名或手机号" in resident.wait_for_selector("#pass-form-result .alert-error").inner_text()
        resident.fill('[data-testid="pass-form"] input[name=visitor_name]', VISITOR)
        resident.fill('[data-testid="pass-form"] input[name=entries]', "1")
        resident.click('[data-testid="pass-form"] button[type=submit]')
        resident.wait_for_selector('[data-testid="pass-created"]')
        card = resident.locator(".pass-card.pass-new")
        assert VISITOR in card.inner_text()
        assert card.locator('[data-testid="pass-qr"] svg').is_visible()
        pass_id = int(card.get_attribute("data-pass") or 0)
        resident.evaluate("window.scrollTo(0, 0)")
        shot(resident, "resident_li_visitor_pass")

        # The visitor holds the QR to the south gate: the terminal asks the decision API.
        issued = resident.request.get(f"/api/v1/access/visitor-passes/{pass_id}").json()
        doors = {d["name"]: d["id"] for d in resident.request.get("/api/v1/access/me/doors").json()}
        entry = present_qr(live_server, doors[GATE], issued["qr"])
        assert (entry["decision"], entry["reason"], entry["display"]) == ("allow", "visitor_ok", "欢迎来访")

        # The guard's page shows it without a reload, the visitor's name masked.
        row = guard.wait_for_selector(f"#access-log-{entry['log_id']}")
        text = row.inner_text()
        assert GATE in text and "访客通行" in text and mask_name(VISITOR) in text and VISITOR not in text
        assert row.get_attribute("data-decision") == "allow"
        top = guard.locator("#feed-rows tr").first
        assert top.get_attribute("id") == f"access-log-{entry['log_id']}"  # newest first

        # The same pass again: used up, denied, highlighted on the desk.
        again = present_qr(live_server, doors[GATE], issued["qr"])
        assert (again["decision"], again["reason"]) == ("deny", "pass_used_up")
        denied = guard.wait_for_selector(f"#access-log-{again['log_id']}.feed-deny")
        assert "通行次数已用完" in denied.inner_text()
        assert guard.evaluate("window.__sameDocument === true")  # still the same page: no reload

        # Today's passes on the desk follow the entry too: the pass is used up.
        guard.wait_for_selector(f'[data-testid="desk-passes"] tr[data-pass="{pass_id}"][data-state="used_up"]')
        guard.evaluate("window.scrollTo(0, 0)")
        shot(guard, "guard_chen_access_live")
    finally:
        guard.context.close()
        resident.context.close()


def test_guard_registers_a_walk_in_and_opens_the_gate(browser, live_server):
    guard = sign_in(browser, live_server, "guard_chen", DESKTOP)
    try:
        assert guard.goto("/console/access").status == 200
        guard.wait_for_selector('[data-testid="feed-status"].is-live')
        form = '[data-testid="walk-in-form"]'
        guard.fill(f"{form} input[name=visitor_name]", "孙师傅")
        guard.fill(f"{form} input[name=house]", "3-1-0802")
        guard.select_option(f"{form} select[name=access_point_id]", label=GATE)
        guard.click(f"{form} button[type=submit]")
        result = guard.wait_for_selector('[data-testid="walk-in-result"]')
        assert "请致电业主（3-1-0802）" in result.inner_text()
        guard.click('[data-testid="walk-in-approve"]')
        guard.wait_for_selector('[data-testid="decide-result"]')
        # The remote opening comes back through the live feed with the operator.
        row = guard.wait_for_selector('#feed-rows tr[data-reason="remote_ok"]:has-text("访客登记")')
        assert "操作员 guard_chen" in row.inner_text()

        # A remote opening without a reason is refused and says why.
        guard.fill('[data-testid="open-form"] input[name=reason]', "")
        guard.click('[data-testid="open-form"] button[type=submit]')
        assert "请填写开门原因" in guard.wait_for_selector("#open-result .alert-error").inner_text()
        guard.evaluate("window.scrollTo(0, 0)")  # the sticky top bar stays on top in the full-page shot
        shot(guard, "guard_chen_walk_in")
    finally:
        guard.context.close()

"""Issue 18 walk on a phone: a resident shares a visitor link, the visitor opens it without signing in, and the
gate accepts the QR it shows."""

from __future__ import annotations

import pytest

from tests.web.browser import PHONE, present_qr, shot, sign_in

pytestmark = pytest.mark.browser

VISITOR = "孙晓红"
GATE = "南门人行"


def test_shared_link_opens_without_login_and_the_gate_accepts_it(browser, live_server):
    resident = sign_in(browser, live_server, "resident_li", PHONE)
    visitor_ctx = browser.new_context(viewport=PHONE, locale="zh-CN")
    try:
        assert resident.goto("/h5/access").status == 200
        resident.fill('[data-testid="pass-form"] input[name=visitor_name]', VISITOR)
        resident.click('[data-testid="pass-form"] button[type=submit]')
        resident.wait_for_selector('[data-testid="pass-created"]')
        card = resident.locator(".pass-card.pass-new")
        card.locator('[data-testid="share-pass"]').click()
        url = card.locator('[data-testid="share-url"]').input_value()
        assert "/h5/visit/" in url
        shot(resident, "resident_li_share_link")

        # The visitor's phone has never signed in.
        visitor = visitor_ctx.new_page()
        assert visitor.goto(url).status == 200
        assert "/login" not in visitor.url
        qr = visitor.wait_for_selector('[data-testid="visit-qr"] svg')
        assert qr.is_visible()
        text = visitor.inner_text("body")
        assert GATE in text and "孙*红" in text and VISITOR not in text and "3-1-0802" not in text
        shot(visitor, "visitor_share_page")
        token = visitor.get_attribute('[data-testid="visit-qr"]', "data-token") or ""

        doors = {d["name"]: d["id"] for d in resident.request.get("/api/v1/access/me/doors").json()}
        entry = present_qr(live_server, doors[GATE], token)
        assert (entry["decision"], entry["reason"]) == ("allow", "visitor_ok")

        # A tampered link shows no code.
        assert visitor.goto(url[:-3] + "AAA").status == 404
        assert visitor.query_selector('[data-testid="visit-qr"]') is None
    finally:
        visitor_ctx.close()
        resident.context.close()

"""Issue 20 item 8: the Content-Security-Policy blocks nothing the pages need. A real browser opens the
console, H5 and screen pages and reports every policy violation it sees (none allowed)."""

from __future__ import annotations

import pytest

from tests.web.browser import DESKTOP, PHONE, SCREEN, sign_in

pytestmark = pytest.mark.browser

PAGES = {
    ("manager_wang", "desktop"): [
        "/console",
        "/console/residents",
        "/console/fees",
        "/console/notices",
        "/console/access",
        "/console/alarms",
        "/console/workorders",
        "/console/votes",
        "/docs",
    ],
    ("manager_wang", "screen"): ["/screen"],
    ("resident_li", "phone"): ["/h5", "/h5/bills", "/h5/notices", "/h5/access", "/h5/votes", "/h5/repairs"],
}
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE, "screen": SCREEN}


@pytest.mark.parametrize(("who", "viewport"), list(PAGES))
def test_csp_pages_run_without_policy_violations(browser, live_server, who, viewport):
    page = sign_in(browser, live_server, who, VIEWPORTS[viewport])
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(f"{page.url}: {m.text}") if "Content Security Policy" in m.text else None,
    )
    page.on("pageerror", lambda e: violations.append(f"{page.url}: {e}"))
    for path in PAGES[(who, viewport)]:
        response = page.goto(path)
        assert response is not None and response.status < 400, path
        assert "content-security-policy" in response.headers, path
        page.wait_for_load_state("networkidle")
    assert violations == [], "\n".join(violations)

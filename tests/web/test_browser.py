"""Headless Chromium against a real server: every persona signs in through the form and sees its pages.

The server runs as a subprocess (tests/web/server.py) on its own committed
database, so its engine never meets the per-test rollback fixtures. Screenshots
go to test-output/screenshots/<role>_<page>.png.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from anju.sim.demo import DEMO_PASSWORD
from tests.web.browser import DESKTOP, PHONE, SCREEN, shot, sign_in

pytestmark = pytest.mark.browser


@dataclass
class Persona:
    home: str
    viewport: dict[str, int]
    sees: list[str]  # text on the home page
    hidden: list[str]  # text that must not be there
    forbidden: str  # a page this role gets a 403 for
    pages: list[str] = field(default_factory=list)  # more pages to open and photograph


_ALL = [
    "/console/compounds",
    "/console/houses",
    "/console/residents",
    "/console/vehicles",
    "/console/import",
    "/console/privacy",
    "/console/audit",
]
PERSONAS = {
    "admin": Persona(
        "/console",
        DESKTOP,
        ["导入名册", "个人信息请求", "审计日志", "数据大屏", "告警中心", "工单", "业主投票", "物业费"],
        [],
        "/h5",
        ["/console/compounds"],
    ),
    "manager_wang": Persona(
        "/console",
        DESKTOP,
        ["小区结构", "房屋", "住户", "车辆", "导入名册", "个人信息请求", "审计日志"],
        [],
        "/h5",
        _ALL,
    ),
    "staff_liu": Persona(
        "/console/my-tasks",  # issue 11 item 7: lands where it works
        DESKTOP,
        ["住户", "车辆", "数据大屏"],
        ["导入名册", "审计日志", "个人信息请求"],
        "/console/import",
        ["/console/houses"],
    ),
    "guard_chen": Persona(
        "/console/access",  # issue 11 item 7: lands where it works
        DESKTOP,
        ["车辆", "告警中心", "门岗", "巡更"],
        ["导入名册", "审计日志", "隐私合规", "物业费"],  # no roster (住户) or fees either (issue 17 item 5)
        "/console/audit",
        ["/console/vehicles"],
    ),
    "grid_zhou": Persona(
        "/console/my-tasks",  # issue 11 item 7: lands where it works
        DESKTOP,
        ["住户", "小区结构"],
        ["导入名册", "个人信息请求"],
        "/console/privacy",
        ["/console/residents"],
    ),
    "resident_li": Persona(
        "/h5", PHONE, ["3-1-0802", "导出我的数据", "申请删除/更正"], ["数据大屏", "导入名册"], "/console/residents"
    ),
    "committee_sun": Persona("/h5", PHONE, ["我的家", "导出我的数据", "小区数据大屏"], ["导入名册"], "/console/houses"),
    "gov_street": Persona(
        "/screen", SCREEN, ["社区数据大屏", "示范小区", "幸福里"], ["审计日志", "导入名册"], "/console/residents"
    ),
    "outsider_zhao": Persona(
        "/console",
        DESKTOP,
        ["幸福里", "住户", "导入名册"],
        ["示范小区"],
        "/h5",
        ["/console/residents", "/console/compounds"],
    ),
}


@pytest.mark.parametrize("username", list(PERSONAS))
def test_persona_lands_home_and_sees_only_its_pages(browser, live_server, username):
    who = PERSONAS[username]
    page = sign_in(browser, live_server, username, who.viewport)
    try:
        assert page.url == live_server + who.home
        if who.home == "/screen":
            page.wait_for_function("document.querySelectorAll('.chart canvas').length >= 7")
        text = page.inner_text("body")
        for label in who.sees:
            assert label in text, f"{username} should see {label}"
        for label in who.hidden:
            assert label not in text, f"{username} should not see {label}"
        shot(page, f"{username}_home", full_page=who.home != "/screen")

        for path in who.pages:
            response = page.goto(path)
            assert response is not None and response.status == 200, path
            shot(page, f"{username}_{path.rsplit('/', 1)[1]}")

        response = page.goto(who.forbidden)
        assert response is not None and response.status == 403
        assert "无权访问" in page.inner_text("body")
        shot(page, f"{username}_forbidden")
    finally:
        page.context.close()


def test_outsider_sees_only_xingfuli_residents(browser, live_server):
    page = sign_in(browser, live_server, "outsider_zhao", DESKTOP)
    try:
        compounds = page.request.get("/api/v1/compounds").json()
        assert [c["name"] for c in compounds] == ["幸福里"]
        page.goto("/console/residents")
        rows = page.locator("tr[data-person]")
        assert rows.count() > 0
        assert set(rows.evaluate_all("rs => rs.map(r => r.dataset.compound)")) == {str(compounds[0]["id"])}
        assert "示范小区" not in page.inner_text("body")
    finally:
        page.context.close()


def test_screen_draws_charts_with_the_real_resident_count(browser, live_server):
    page = sign_in(browser, live_server, "gov_street", SCREEN)
    try:
        page.wait_for_function("document.querySelectorAll('.chart canvas').length >= 7")
        assert page.get_attribute("body", "data-charts-ready") == "true"
        api = page.request.get("/api/v1/analytics/overview").json()
        assert api["residents"] > 0
        assert page.inner_text('[data-kpi="residents"]').strip() == str(api["residents"])
        assert page.inner_text('[data-kpi="households"]').strip() == str(api["households"])
        for chart in ("age", "building", "house", "pop", "gender", "tags", "vehicles"):
            box = page.locator(f"#chart-{chart} canvas").first.bounding_box()
            assert box and box["width"] > 100 and box["height"] > 100, chart
        shot(page, "gov_street_screen", full_page=False)
    finally:
        page.context.close()


def test_english_switch_changes_the_menu(browser, live_server):
    page = sign_in(browser, live_server, "manager_wang", DESKTOP)
    try:
        with page.expect_navigation():
            page.click('.topbar a[data-lang="en"]')
        assert page.get_attribute("html", "lang") == "en"
        nav = page.inner_text('[data-testid="nav"]')
        for label in ("Registry", "Residents", "Vehicles", "Import roster", "Audit log", "Alarm centre", "Owner votes"):
            assert label in nav
        assert "住户" not in nav
        shot(page, "manager_wang_console_en")
        page.goto("/screen")  # a manager of one compound sees its security map, population charts at the side
        page.wait_for_function("document.querySelectorAll('.chart canvas').length >= 3")
        assert "Security map" in page.inner_text("body") and "Open alarms" in page.inner_text("body")
        shot(page, "manager_wang_screen_en", full_page=False)
    finally:
        page.context.close()


def test_manager_searches_opens_a_resident_and_reveals_the_phone(browser, live_server):
    page = sign_in(browser, live_server, "manager_wang", DESKTOP)
    try:
        page.goto("/console/residents")
        first = page.locator("tr[data-person]").first
        name = first.locator(".person-link").inner_text()
        page.fill('[data-testid="resident-search"]', name)
        page.wait_for_function(
            "n => [...document.querySelectorAll('#resident-table .person-link')].every(e => e.textContent.includes(n))",
            arg=name,
        )
        page.locator("tr[data-person]").first.click()
        button = page.locator('#person-panel [data-reveal="phone"]')
        button.wait_for()
        masked = page.inner_text('#person-panel [data-field="phone"]')
        assert "****" in masked
        page.once("dialog", lambda d: d.accept("电话回访核实"))
        button.click()
        page.wait_for_selector('#person-panel [data-field="phone"].revealed')
        phone = page.inner_text('#person-panel [data-field="phone"]')
        assert re.fullmatch(r"1\d{10}", phone) and phone[-4:] == masked[-4:]
        shot(page, "manager_wang_reveal")
        page.goto("/console/audit")
        assert "电话回访核实" in page.inner_text('[data-testid="audit-table"]')
        shot(page, "manager_wang_audit_after_reveal")
    finally:
        page.context.close()


def test_manager_validates_a_roster_file(browser, live_server):
    page = sign_in(browser, live_server, "manager_wang", DESKTOP)
    try:
        page.goto("/console/import")
        csv = "姓名,手机,房屋,关系\n测试甲,13912340000,3-1-0802,家属\n测试乙,123,9-9-9999,业主\n".encode()
        page.set_input_files(
            'input[name="file"]', files=[{"name": "roster.csv", "mimeType": "text/csv", "buffer": csv}]
        )
        page.click('#import-form button[type="submit"]')
        page.wait_for_selector('[data-testid="import-report"]:not([hidden])')
        page.wait_for_function("document.querySelector('[data-key=total_rows]').textContent === '2'")
        rows = page.locator("#import-errors tbody tr")
        assert rows.count() >= 1 and rows.first.locator("td").first.inner_text() == "3"
        assert "未写入数据库" in page.inner_text("#import-committed")
        shot(page, "manager_wang_import_report")
    finally:
        page.context.close()


def test_resident_asks_for_a_correction_on_h5(browser, live_server):
    page = sign_in(browser, live_server, "resident_li", PHONE)
    try:
        assert "3-1-0802" in page.inner_text('[data-testid="house"]')
        page.select_option('#privacy-request-form select[name="kind"]', "correct")
        page.fill('#privacy-request-form textarea[name="detail"]', "手机号已更换")
        with page.expect_navigation():
            page.click('#privacy-request-form button[type="submit"]')
        listing = page.inner_text('[data-testid="my-requests"]')
        assert "更正补充" in listing and "处理中" in listing
        with page.expect_download() as download:
            page.click('[data-testid="export"]')
        data = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
        assert re.fullmatch(r"1\d{10}", data["person"]["phone"])
        shot(page, "resident_li_h5_after_request")
    finally:
        page.context.close()


def test_login_form_rejects_a_wrong_password_then_returns_to_the_asked_page(browser, live_server):
    context = browser.new_context(viewport=DESKTOP, base_url=live_server)
    page = context.new_page()
    try:
        page.goto("/console/residents")
        assert page.url.startswith(f"{live_server}/login?next=")
        shot(page, "anonymous_login")
        page.fill("input[name=username]", "staff_liu")
        page.fill("input[name=password]", "not-the-password")
        with page.expect_navigation():
            page.click("button[type=submit]")
        assert "用户名或密码错误" in page.inner_text('[data-testid="login-error"]')
        shot(page, "anonymous_login_error")
        page.fill("input[name=password]", DEMO_PASSWORD)
        with page.expect_navigation():
            page.click("button[type=submit]")
        assert page.url == f"{live_server}/console/residents"
    finally:
        context.close()

"""Who may open which page: each persona against every page, scoping, and anonymous visitors."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from anju.registry.models import Person
from tests.web.conftest import HTMX

PAGES = [
    "/console/compounds",
    "/console/houses",
    "/console/residents",
    "/console/vehicles",
    "/console/import",
    "/console/privacy",
    "/console/audit",
    "/screen",
    "/h5",
]
ALL_CONSOLE = set(PAGES[:7])
READ_CONSOLE = {"/console/compounds", "/console/houses", "/console/residents", "/console/vehicles"}
# What each persona may open (everything else is a 403 page).
ALLOWED = {
    "admin": ALL_CONSOLE | {"/screen"},
    "manager_wang": ALL_CONSOLE | {"/screen"},
    "outsider_zhao": ALL_CONSOLE | {"/screen"},
    "staff_liu": READ_CONSOLE | {"/screen"},
    "guard_chen": (READ_CONSOLE - {"/console/residents"}) | {"/screen"},  # no roster (issue 17 item 5)
    "grid_zhou": READ_CONSOLE | {"/screen"},
    "resident_li": {"/h5"},
    "committee_sun": {"/h5", "/screen"},
    "gov_street": {"/screen"},
}


@pytest.mark.parametrize("username", sorted(ALLOWED))
def test_each_role_opens_only_its_pages(client, web_login, username):
    web_login(username)
    got = {}
    for page in PAGES:
        r = client.get(page, follow_redirects=False)
        got[page] = r.status_code
    want = {page: 200 if page in ALLOWED[username] else 403 for page in PAGES}
    assert got == want


@pytest.mark.parametrize(
    ("username", "home"), [("resident_li", "/h5"), ("committee_sun", "/h5"), ("gov_street", "/screen")]
)
def test_console_home_sends_non_staff_to_their_own_home(client, web_login, username, home):
    web_login(username)
    r = client.get("/console", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == home


def test_forbidden_page_shows_no_data(client, web_login):
    web_login("gov_street")
    r = client.get("/console/residents")
    assert r.status_code == 403
    assert "无权访问" in r.text and 'data-testid="resident-table"' not in r.text
    assert "****" not in r.text


def test_forbidden_page_in_english(client, web_login):
    web_login("resident_li")
    client.cookies.set("anju_lang", "en")
    r = client.get("/console/houses")
    assert r.status_code == 403 and "Access denied" in r.text


@pytest.mark.parametrize("page", ["/console", *PAGES, "/console/residents/1"])
def test_anonymous_is_sent_to_login(client, page):
    r = client.get(page, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login?next=/")


def test_anonymous_htmx_request_navigates_to_login(client):
    r = client.get("/console/houses", headers=HTMX, follow_redirects=False)
    assert r.status_code == 204
    assert r.headers["HX-Redirect"].startswith("/login")


def test_unknown_console_page_is_a_404_page(client, web_login):
    web_login("manager_wang")
    r = client.get("/console/nothing-here")
    assert r.status_code == 404 and "页面不存在" in r.text


class TestNavigation:
    def _nav(self, html):
        return html.split('data-testid="nav"', 1)[1].split("</nav>", 1)[0]

    def test_manager_sees_every_group(self, client, web_login):
        web_login("manager_wang")
        nav = self._nav(client.get("/console").text)
        for label in (
            "基础数据",
            "小区结构",
            "房屋",
            "住户",
            "车辆",
            "导入名册",
            "个人信息请求",
            "审计日志",
            "数据大屏",
        ):
            assert label in nav

    def test_guard_does_not_see_import_or_privacy(self, client, web_login):
        web_login("guard_chen")
        nav = self._nav(client.get("/console").text)
        assert "车辆" in nav and "数据大屏" in nav
        for label in ("住户", "物业费", "导入名册", "个人信息请求", "审计日志", "隐私合规"):
            assert label not in nav

    @pytest.mark.parametrize("username", ["manager_wang", "staff_liu", "guard_chen", "grid_zhou"])
    def test_every_menu_link_opens(self, client, web_login, username):
        web_login(username)
        nav = self._nav(client.get("/console").text)
        links = re.findall(r'href="(/console/[^"?]+)" data-nav=', nav)
        assert links
        for href in links:
            assert client.get(href).status_code == 200, f"{username}: {href}"


class TestOutsiderScope:
    """outsider_zhao manages 幸福里 only: 示范小区 never appears."""

    def test_residents_are_all_from_xingfuli(self, client, web_login, ids):
        web_login("outsider_zhao")
        html = client.get("/console/residents").text
        compounds = set(re.findall(r'<tr data-person="\d+" data-compound="(\d+)"', html))
        assert compounds == {str(ids["B"])}
        assert "幸福里" in html and "示范小区" not in html

    def test_houses_and_layout_are_xingfuli(self, client, web_login, ids):
        web_login("outsider_zhao")
        html = client.get("/console/houses").text
        assert set(re.findall(r'data-compound="(\d+)"', html)) == {str(ids["B"])}
        assert "示范小区" not in client.get("/console/compounds").text

    def test_asking_for_another_compound_changes_nothing(self, client, web_login, ids):
        web_login("outsider_zhao")
        html = client.get(f"/console/residents?compound_id={ids['A']}").text
        assert set(re.findall(r'data-compound="(\d+)"', html)) == {str(ids["B"])}
        client.get(f"/console/switch?compound_id={ids['A']}")
        assert client.cookies.get("anju_compound") is None

    def test_a_person_of_another_compound_is_not_found(self, client, web_login, session, ids):
        web_login("outsider_zhao")
        pid = session.execute(select(Person.id).where(Person.compound_id == ids["A"])).scalars().first()
        r = client.get(f"/console/residents/{pid}", headers=HTMX)
        assert r.status_code == 404
        r = client.get(f"/console/residents?person={pid}")
        assert r.status_code == 404

    def test_screen_of_another_compound_is_not_found(self, client, web_login, ids):
        web_login("outsider_zhao")
        assert client.get(f"/screen?compound_id={ids['A']}").status_code == 404


class TestCompoundSwitch:
    def test_admin_switches_between_compounds(self, client, web_login, ids):
        web_login("admin")
        html = client.get("/console/residents").text
        assert set(re.findall(r'data-compound="(\d+)"', html)) == {str(ids["A"])}
        assert 'data-testid="compound-switch"' in html
        r = client.get(f"/console/switch?compound_id={ids['B']}&next=/console/residents", follow_redirects=False)
        assert r.headers["location"] == "/console/residents"
        html = client.get("/console/residents").text
        assert set(re.findall(r'data-compound="(\d+)"', html)) == {str(ids["B"])}

    def test_switch_never_redirects_off_site(self, client, web_login, ids):
        web_login("admin")
        r = client.get(f"/console/switch?compound_id={ids['B']}&next=//evil.example", follow_redirects=False)
        assert r.headers["location"] == "/console"

"""Issue 11 items 2, 5, 7 in the console and on H5: accounts pages, self-registration, each role's landing page."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from anju.accounts.models import User
from anju.sim.demo import DEMO_PASSWORD
from tests.web.conftest import ORIGIN


def _form_login(client, username: str, password: str):
    client.cookies.clear()
    return client.post(
        "/login", data={"username": username, "password": password}, headers=ORIGIN, follow_redirects=False
    )


class TestAccountsConsole:
    def test_manager_creates_a_guard_who_changes_the_temporary_password_then_lands_on_the_gate_desk(
        self, client, web_login, ids
    ):
        web_login("manager_wang")
        page = client.get("/console/users")
        assert page.status_code == 200 and "员工账号" in page.text and "staff_liu" in page.text
        r = client.post(
            "/console/users",
            data={"username": "guard_web", "display_name": "门岗小张", "role": "guard", "compound_ids": str(ids["A"])},
            headers=ORIGIN,
        )
        assert r.status_code == 201, r.text[:500]
        temp = re.search(r'data-testid="temp-password">([^<]+)<', r.text).group(1)
        r = _form_login(client, "guard_web", temp)
        assert r.status_code == 303
        # The temporary password must be changed before any page opens.
        r = client.get(r.headers["location"], follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/account/password"
        page = client.get("/account/password")
        assert 'data-testid="must-change"' in page.text
        r = client.post(
            "/account/password",
            data={"current_password": temp, "new_password": "Gate-desk-88", "confirm_password": "Gate-desk-88"},
            headers=ORIGIN,
            follow_redirects=False,
        )
        assert r.status_code == 303 and r.headers["location"].startswith("/console/access")
        assert client.get("/console/access").status_code == 200

    def test_manager_form_refuses_a_manager_account(self, client, web_login, ids):
        web_login("manager_wang")
        r = client.post(
            "/console/users",
            data={"username": "mgr_web", "role": "property_manager", "compound_ids": str(ids["A"])},
            headers=ORIGIN,
        )
        assert r.status_code == 403 and 'data-testid="acct-error"' in r.text

    def test_disable_from_the_account_page_ends_sessions(self, client, web_login, session, persona):
        web_login("manager_wang")
        guard = session.execute(select(User).where(User.username == "guard_chen")).scalar_one()
        headers = persona("guard_chen").headers
        r = client.post(
            f"/console/users/{guard.id}", data={"action": "disable"}, headers=ORIGIN, follow_redirects=False
        )
        assert r.status_code == 303 and "ok=disable" in r.headers["location"]
        assert client.get("/api/v1/me", headers=headers).status_code == 401
        page = client.get(f"/console/users/{guard.id}")
        assert "停用" in page.text and "变更记录" in page.text

    def test_organisations_page_lists_labels_not_enum_values(self, client, web_login):
        web_login("admin")
        r = client.post("/console/organisations", data={"name": "南湖街道", "kind": "street_office"}, headers=ORIGIN)
        page = client.get("/console/organisations").text
        assert "南湖街道" in page and "街道办" in page and ">street_office<" not in page
        assert r.status_code == 200

    def test_staff_cannot_open_the_accounts_pages(self, client, web_login):
        web_login("staff_liu")
        assert client.get("/console/users").status_code == 403


class TestLanding:
    """Item 7: each role lands where it works."""

    @pytest.mark.parametrize(
        ("username", "home"),
        [
            ("guard_chen", "/console/access"),
            ("staff_liu", "/console/my-tasks"),
            ("grid_zhou", "/console/my-tasks"),
            ("manager_wang", "/console"),
            ("resident_li", "/h5"),
            ("committee_sun", "/h5"),
        ],
    )
    def test_each_role_lands_where_it_works(self, client, username, home):
        r = _form_login(client, username, DEMO_PASSWORD)
        assert r.status_code == 303 and r.headers["location"] == home
        assert client.get(home).status_code == 200

    def test_guard_may_still_open_another_console_page_after_sign_in(self, client):
        client.cookies.clear()
        r = client.post(
            "/login",
            data={"username": "guard_chen", "password": DEMO_PASSWORD, "next": "/console/alarms"},
            headers=ORIGIN,
            follow_redirects=False,
        )
        assert r.headers["location"] == "/console/alarms"

    def test_manager_dashboard_shows_to_dos_not_registry_counters(self, client, web_login):
        web_login("manager_wang")
        html = client.get("/console").text
        for key in (
            "todo.open_alarms",
            "todo.overdue_orders",
            "todo.visitors_today",
            "todo.collected_month",
            "todo.inspections_due",
        ):
            assert f'data-todo="{key}"' in html, key
        assert 'data-kpi="residents"' not in html
        assert "未处理告警" in html and "本月已收物业费" in html

    def test_committee_member_h5_home_links_to_vote_and_notice_management(self, client, web_login):
        web_login("committee_sun")
        html = client.get("/h5").text
        assert 'href="/console/votes"' in html and 'href="/console/notices"' in html
        web_login("resident_li")
        assert 'data-testid="h5-committee"' not in client.get("/h5").text


class TestSelfRegistrationPages:
    def test_self_registration_on_h5_then_staff_verify_and_the_house_appears(self, client, web_login, ids):
        from tests.accounts.test_self_registration import _last_code

        client.cookies.clear()
        login = client.get("/login").text  # residents are led to the phone and a code first (issue 18 item 8)
        assert login.index('data-testid="login-phone"') < login.index('name="password"')
        assert 'href="/h5/register"' in login
        assert client.get("/h5/register").status_code == 200
        r = client.post("/h5/register", data={"phone": "13912348888"}, headers=ORIGIN)
        assert r.status_code == 200 and 'data-testid="code-sent"' in r.text
        r = client.post(
            "/h5/register",
            data={"phone": "13912348888", "code": _last_code("13912348888")},
            headers=ORIGIN,
            follow_redirects=False,
        )
        assert r.status_code == 303 and r.headers["location"] == "/h5/claims"
        r = client.post(
            "/h5/claims",
            data={"compound_id": str(ids["A"]), "house_label": "99-9-9999", "name": "王小二", "role": "family"},
            headers=ORIGIN,
        )
        assert r.status_code == 404 and 'data-testid="claim-error"' in r.text
        r = client.post(
            "/h5/claims",
            data={"compound_id": str(ids["A"]), "house_label": "3-1-0802", "name": "王小二", "role": "family"},
            headers=ORIGIN,
            follow_redirects=False,
        )
        assert r.status_code == 303
        assert "待审核" in client.get("/h5/claims").text
        assert 'data-house="3-1-0802"' not in client.get("/h5").text
        resident_cookie = client.cookies.get("anju_session")
        web_login("staff_liu")
        page = client.get("/console/claims").text
        claim_id = re.search(r'data-claim="(\d+)"', page).group(1)
        r = client.post(
            f"/console/claims/{claim_id}", data={"action": "verify"}, headers=ORIGIN, follow_redirects=False
        )
        assert r.status_code == 303 and "ok=verified" in r.headers["location"]
        client.cookies.clear()
        client.cookies.set("anju_session", resident_cookie)
        assert 'data-house="3-1-0802"' in client.get("/h5").text

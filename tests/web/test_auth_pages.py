"""Sign-in, sign-out, the landing page per role and the language switch."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from anju.accounts.models import AuthSession, LoginAttempt
from anju.core.auth import token_digest
from anju.sim.demo import DEMO_PASSWORD
from tests.web.conftest import ORIGIN

HOMES = {
    "admin": "/console",
    "manager_wang": "/console",
    # issue 11 item 7: each role lands where it works (gate desk; my tasks for technicians and grid workers)
    "staff_liu": "/console/my-tasks",
    "guard_chen": "/console/access",
    "grid_zhou": "/console/my-tasks",
    "outsider_zhao": "/console",
    "resident_li": "/h5",
    "committee_sun": "/h5",
    "gov_street": "/screen",
}


class TestLoginPage:
    def test_renders_in_chinese_by_default(self, client):
        r = client.get("/login")
        assert r.status_code == 200
        assert '<html lang="zh-CN">' in r.text
        assert "登录" in r.text and 'name="password"' in r.text

    def test_signed_in_user_goes_home(self, client, web_login):
        web_login("resident_li")
        r = client.get("/login", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/h5"


class TestLoginSubmit:
    @pytest.mark.parametrize("username", sorted(HOMES))
    def test_redirects_each_role_to_its_home(self, client, username):
        r = client.post(
            "/login", data={"username": username, "password": DEMO_PASSWORD}, headers=ORIGIN, follow_redirects=False
        )
        assert r.status_code == 303
        assert r.headers["location"] == HOMES[username]

    def test_sets_httponly_lax_session_cookie(self, client, session):
        r = client.post(
            "/login",
            data={"username": "manager_wang", "password": DEMO_PASSWORD},
            headers=ORIGIN,
            follow_redirects=False,
        )
        cookie = r.headers["set-cookie"]
        assert cookie.startswith("anju_session=")
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
        token = client.cookies.get("anju_session")
        auth = session.execute(select(AuthSession).where(AuthSession.token_hash == token_digest(token))).scalar_one()
        assert auth.kind == "web"

    def test_wrong_password_shows_error_and_keeps_the_attempt(self, client, session):
        r = client.post("/login", data={"username": "manager_wang", "password": "wrong"}, headers=ORIGIN)
        assert r.status_code == 401
        assert "用户名或密码错误" in r.text
        assert "anju_session" not in r.headers.get("set-cookie", "")
        failed = (
            session.execute(
                select(LoginAttempt).where(LoginAttempt.username == "manager_wang", LoginAttempt.success.is_(False))
            )
            .scalars()
            .all()
        )
        assert len(failed) == 1

    def test_wrong_password_in_english(self, client):
        client.cookies.set("anju_lang", "en")
        r = client.post("/login", data={"username": "manager_wang", "password": "wrong"}, headers=ORIGIN)
        assert "Wrong username or password" in r.text
        assert '<html lang="en">' in r.text

    def test_locked_after_repeated_failures(self, client):
        for _ in range(5):
            client.post("/login", data={"username": "staff_liu", "password": "wrong"}, headers=ORIGIN)
        r = client.post("/login", data={"username": "staff_liu", "password": DEMO_PASSWORD}, headers=ORIGIN)
        assert r.status_code == 429
        assert "临时锁定" in r.text

    def test_failing_commit_is_an_error_not_a_session(self, client, monkeypatch):
        # R5: the boundary commits before answering, so a failed commit never hands out a cookie.
        def broken(self):
            raise OperationalError("COMMIT", {}, Exception("disk full"))

        monkeypatch.setattr(Session, "commit", broken)
        r = client.post(
            "/login",
            data={"username": "manager_wang", "password": DEMO_PASSWORD},
            headers=ORIGIN,
            follow_redirects=False,
        )
        assert r.status_code == 500
        assert "anju_session" not in r.headers.get("set-cookie", "")

    def test_empty_form_asks_for_both_fields(self, client):
        r = client.post("/login", data={"username": "", "password": ""}, headers=ORIGIN)
        assert r.status_code == 400 and "请输入用户名和密码" in r.text

    def test_next_inside_the_role_area_is_honoured(self, client):
        r = client.post(
            "/login",
            data={"username": "manager_wang", "password": DEMO_PASSWORD, "next": "/console/residents"},
            headers=ORIGIN,
            follow_redirects=False,
        )
        assert r.headers["location"] == "/console/residents"

    @pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/h5"])
    def test_next_elsewhere_is_ignored(self, client, target):
        r = client.post(
            "/login",
            data={"username": "manager_wang", "password": DEMO_PASSWORD, "next": target},
            headers=ORIGIN,
            follow_redirects=False,
        )
        assert r.headers["location"] == "/console"


class TestLogout:
    def test_revokes_the_session(self, client, web_login):
        web_login("manager_wang")
        token = client.cookies.get("anju_session")
        r = client.post("/logout", headers=ORIGIN, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login"
        client.cookies.set("anju_session", token)  # a stolen copy of the cookie no longer works
        r = client.get("/console", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login")

    def test_is_post_only(self, client, web_login):
        web_login("manager_wang")
        assert client.get("/logout").status_code == 405


class TestRoot:
    def test_anonymous_goes_to_login(self, client):
        r = client.get("/", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login"

    @pytest.mark.parametrize("username", ["manager_wang", "resident_li", "gov_street"])
    def test_signed_in_goes_to_role_home(self, client, web_login, username):
        web_login(username)
        r = client.get("/", follow_redirects=False)
        assert r.headers["location"] == HOMES[username]


class TestLanguageSwitch:
    def test_sets_cookie_and_returns_to_the_page(self, client, web_login):
        web_login("manager_wang")
        r = client.get(
            "/lang/en", headers={"Referer": "http://testserver/console/houses?status=rented"}, follow_redirects=False
        )
        assert r.status_code == 303
        assert r.headers["location"] == "/console/houses?status=rented"
        assert "anju_lang=en" in r.headers["set-cookie"]

    def test_foreign_referer_goes_home(self, client):
        r = client.get("/lang/en", headers={"Referer": "https://evil.example/x"}, follow_redirects=False)
        assert r.headers["location"] == "/"

    def test_english_console_navigation(self, client, web_login):
        web_login("manager_wang")
        client.get("/lang/en")
        r = client.get("/console")
        assert '<html lang="en">' in r.text
        for label in ("Registry", "Residents", "Houses", "Import roster", "Audit log", "Data screen", "Sign out"):
            assert label in r.text
        assert "住户" not in r.text.split('data-testid="nav"')[1].split("</nav>")[0]
        client.get("/lang/zh-CN")
        r = client.get("/console")
        assert '<html lang="zh-CN">' in r.text and "基础数据" in r.text

    def test_unknown_language_is_not_found(self, client):
        assert client.get("/lang/fr").status_code == 404

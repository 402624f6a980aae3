"""CSRF: cookie-authenticated unsafe requests must come from this site; bearer calls are unaffected."""

from __future__ import annotations

import pytest

from anju.web.csrf import same_origin
from tests.web.conftest import ORIGIN


def _assert_refused(r):
    assert r.status_code == 403
    body = r.json()
    assert body["error"]["code"] == "csrf_failed"
    assert set(body["error"]["message"]) == {"zh", "en"} and body["error"]["fields"] == []


class TestCookieRequests:
    def test_post_without_origin_or_referer_is_refused(self, client, web_login):
        web_login("resident_li")
        _assert_refused(client.post("/api/v1/me/privacy-requests", json={"kind": "correct"}))

    def test_logout_without_origin_is_refused(self, client, web_login):
        web_login("manager_wang")
        _assert_refused(client.post("/logout"))
        assert client.get("/console").status_code == 200  # still signed in

    def test_foreign_origin_is_refused(self, client, web_login):
        web_login("resident_li")
        r = client.post(
            "/api/v1/me/privacy-requests", json={"kind": "correct"}, headers={"Origin": "https://evil.example"}
        )
        _assert_refused(r)

    def test_foreign_referer_is_refused(self, client, web_login):
        web_login("manager_wang")
        _assert_refused(client.post("/logout", headers={"Referer": "https://evil.example/page"}))

    @pytest.mark.parametrize("method", ["put", "patch", "delete"])
    def test_other_unsafe_methods_are_checked(self, client, web_login, method, ids):
        web_login("manager_wang")
        r = client.request(method.upper(), f"/api/v1/houses/{ids['li_house']}", json={})
        _assert_refused(r)

    def test_odd_cookie_header_cannot_hide_the_session(self, client, web_login):
        web_login("resident_li")
        token = client.cookies.get("anju_session")
        client.cookies.clear()
        r = client.post(
            "/api/v1/me/privacy-requests",
            json={"kind": "correct"},
            headers={"Cookie": f'junk="x; anju_session={token}; b=\\q'},
        )
        _assert_refused(r)

    def test_same_origin_passes(self, client, web_login):
        web_login("resident_li")
        r = client.post("/api/v1/me/privacy-requests", json={"kind": "correct", "detail": "手机号变更"}, headers=ORIGIN)
        assert r.status_code == 201, r.text

    def test_same_origin_referer_passes(self, client, web_login):
        web_login("resident_li")
        r = client.post(
            "/api/v1/me/privacy-requests", json={"kind": "explain"}, headers={"Referer": "http://testserver/h5"}
        )
        assert r.status_code == 201, r.text

    def test_safe_methods_need_no_origin(self, client, web_login):
        web_login("manager_wang")
        assert client.get("/api/v1/me").status_code == 200


class TestOtherRequests:
    def test_bearer_calls_need_no_origin(self, client, login):
        r = client.post("/api/v1/me/privacy-requests", json={"kind": "correct"}, headers=login("resident_li"))
        assert r.status_code == 201, r.text

    def test_bearer_wins_over_a_cookie(self, client, login, web_login):
        bearer = login("resident_li")
        web_login("resident_li")
        r = client.post("/api/v1/me/privacy-requests", json={"kind": "explain"}, headers=bearer)
        assert r.status_code == 201

    def test_cross_site_login_is_refused(self, client):
        r = client.post(
            "/login", data={"username": "manager_wang", "password": "x"}, headers={"Origin": "https://evil.example"}
        )
        _assert_refused(r)


class TestSameOrigin:
    @pytest.mark.parametrize(
        ("source", "host", "ok"),
        [
            ("http://testserver", "testserver", True),
            ("https://anju.example", "anju.example", True),  # TLS ends at the proxy
            ("http://127.0.0.1:8000/console", "127.0.0.1:8000", True),
            ("http://127.0.0.1:8001", "127.0.0.1:8000", False),
            ("http://anju.example.evil.com", "anju.example", False),
            ("null", "anju.example", False),
            ("file:///etc/passwd", "anju.example", False),
            ("http://anju.example", "", False),
        ],
    )
    def test_compares_host_and_port(self, source, host, ok):
        assert same_origin(source, host) is ok

"""Sign-in, tokens and device credentials."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from anju.accounts.models import AuthSession, DeviceCredential, LoginAttempt, User
from anju.core.auth import token_digest
from anju.core.db import utcnow
from anju.sim.demo import DEMO_PASSWORD

TOKEN = "/api/v1/auth/token"


def _failures(session, username: str) -> int:
    return session.execute(
        select(func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.username == username, LoginAttempt.success.is_(False))
    ).scalar_one()


class TestPasswords:
    def test_are_stored_as_argon2_hashes(self, session):
        hashes = session.execute(select(User.username, User.password_hash)).all()
        assert hashes
        for username, h in hashes:
            assert h.startswith("$argon2"), username
            assert DEMO_PASSWORD not in h


class TestIssueToken:
    def test_right_password_gets_a_token_stored_only_as_digest(self, client, session):
        r = client.post(TOKEN, json={"username": "staff_liu", "password": DEMO_PASSWORD})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["token_type"] == "bearer" and body["role"] == "property_staff"
        token = body["access_token"]
        stored = (
            session.execute(
                select(AuthSession.token_hash)
                .join(User, User.id == AuthSession.user_id)
                .where(User.username == "staff_liu")
            )
            .scalars()
            .all()
        )
        assert token_digest(token) in stored and token not in stored

    def test_wrong_password_is_401_and_recorded(self, client, session):
        r = client.post(TOKEN, json={"username": "staff_liu", "password": "wrong"})
        assert r.status_code == 401
        assert r.json()["error"]["code"] == "unauthenticated"
        assert _failures(session, "staff_liu") == 1

    def test_unknown_user_is_the_same_401(self, client):
        r = client.post(TOKEN, json={"username": "nobody_here", "password": "wrong"})
        assert r.status_code == 401
        assert r.json()["error"]["message"]["en"] == "wrong username or password"

    def test_unknown_and_inactive_users_cost_a_hash_check_too(self, client, session, monkeypatch):
        # Without timing: count the checks. A missing check would let response time tell
        # which usernames exist.
        import anju.accounts.service as accounts

        calls: list[str] = []
        real = accounts.verify_password
        monkeypatch.setattr(accounts, "verify_password", lambda h, p: calls.append(h) or real(h, p))
        session.execute(update(User).where(User.username == "grid_zhou").values(active=False))
        session.flush()
        for username in ("nobody_here", "grid_zhou", "staff_liu"):
            client.post(TOKEN, json={"username": username, "password": "wrong"})
        assert len(calls) == 3 and all(h.startswith("$argon2") for h in calls)

    def test_inactive_user_cannot_sign_in(self, client, session):
        session.execute(update(User).where(User.username == "staff_liu").values(active=False))
        session.flush()
        r = client.post(TOKEN, json={"username": "staff_liu", "password": DEMO_PASSWORD})
        assert r.status_code == 401


class TestRateLimit:
    def test_sixth_attempt_after_five_failures_is_429_and_failures_persist(self, client, session):
        for _ in range(5):
            assert client.post(TOKEN, json={"username": "guard_chen", "password": "nope"}).status_code == 401
        # The failed requests rolled back their work, yet the attempts were kept.
        assert _failures(session, "guard_chen") == 5
        r = client.post(TOKEN, json={"username": "guard_chen", "password": DEMO_PASSWORD})
        assert r.status_code == 429
        assert r.json()["error"]["code"] == "rate_limited"
        assert r.json()["error"]["message"]["zh"]

    def test_lockout_is_per_username(self, client):
        for _ in range(5):
            client.post(TOKEN, json={"username": "guard_chen", "password": "nope"})
        assert client.post(TOKEN, json={"username": "grid_zhou", "password": DEMO_PASSWORD}).status_code == 200

    def test_old_failures_do_not_count(self, client, session):
        for _ in range(5):
            client.post(TOKEN, json={"username": "guard_chen", "password": "nope"})
        session.execute(
            update(LoginAttempt).where(LoginAttempt.username == "guard_chen").values(at=utcnow() - timedelta(hours=1))
        )
        session.flush()
        assert client.post(TOKEN, json={"username": "guard_chen", "password": DEMO_PASSWORD}).status_code == 200


class TestTokens:
    def test_logout_revokes_the_token(self, client, login):
        h = login("staff_liu")
        assert client.get("/api/v1/me", headers=h).status_code == 200
        assert client.post("/api/v1/auth/logout", headers=h).status_code == 204
        r = client.get("/api/v1/me", headers=h)
        assert r.status_code == 401
        assert r.json()["error"]["code"] == "unauthenticated"

    def test_expired_token_is_401(self, client, login, session):
        h = login("staff_liu")
        token = h["Authorization"].split()[1]
        session.execute(
            update(AuthSession)
            .where(AuthSession.token_hash == token_digest(token))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        session.flush()
        assert client.get("/api/v1/me", headers=h).status_code == 401

    def test_deactivated_user_token_is_401(self, client, login, session):
        h = login("staff_liu")
        session.execute(update(User).where(User.username == "staff_liu").values(active=False))
        session.flush()
        assert client.get("/api/v1/me", headers=h).status_code == 401

    def test_garbage_token_is_401(self, client):
        for value in ("Bearer not-a-token", "Bearer ", "Basic abc", "bearer"):
            r = client.get("/api/v1/me", headers={"Authorization": value})
            assert r.status_code == 401, value

    def test_me_describes_the_caller(self, client, login, ids):
        r = client.get("/api/v1/me", headers=login("resident_li"))
        assert r.status_code == 200
        me = r.json()
        assert me["role"] == "resident" and me["person_id"] == ids["li_person"]
        assert me["house_ids"] == [ids["li_house"]] and me["compound_ids"] == [ids["A"]]
        assert "self.service" in me["permissions"] and "people.unmask" not in me["permissions"]


class TestDeviceCredentials:
    def _issue(self, client, headers, compound_id):
        return client.post(
            "/api/v1/device-credentials",
            headers=headers,
            json={"compound_id": compound_id, "name": "南门闸机", "device_kind": "gate"},
        )

    def test_issue_and_whoami(self, client, login, ids, session):
        r = self._issue(client, login("manager_wang"), ids["A"])
        assert r.status_code == 201, r.text
        cred = r.json()
        assert cred["compound_id"] == ids["A"] and cred["key_id"].startswith("dev_") and cred["secret"]
        stored = session.execute(select(DeviceCredential).where(DeviceCredential.key_id == cred["key_id"])).scalar_one()
        assert stored.secret_hash.startswith("$argon2") and cred["secret"] not in stored.secret_hash
        who = client.get(
            "/api/v1/device/whoami", headers={"X-Device-Key": cred["key_id"], "X-Device-Secret": cred["secret"]}
        )
        assert who.status_code == 200, who.text
        assert who.json() == {"key_id": cred["key_id"], "compound_id": ids["A"], "device_kind": "gate"}

    def test_wrong_secret_is_401(self, client, login, ids):
        cred = self._issue(client, login("manager_wang"), ids["A"]).json()
        r = client.get("/api/v1/device/whoami", headers={"X-Device-Key": cred["key_id"], "X-Device-Secret": "guess"})
        assert r.status_code == 401
        assert r.json()["error"]["code"] == "unauthenticated"

    def test_unknown_key_is_401(self, client):
        r = client.get("/api/v1/device/whoami", headers={"X-Device-Key": "dev_nope", "X-Device-Secret": "x"})
        assert r.status_code == 401

    def test_missing_device_headers_are_401(self, client):
        assert client.get("/api/v1/device/whoami").status_code == 401
        assert client.get("/api/v1/device/whoami", headers={"X-Device-Key": "dev_nope"}).status_code == 401

    def test_deactivated_credential_is_401(self, client, login, ids, session):
        cred = self._issue(client, login("manager_wang"), ids["A"]).json()
        session.execute(update(DeviceCredential).where(DeviceCredential.key_id == cred["key_id"]).values(active=False))
        session.flush()
        r = client.get(
            "/api/v1/device/whoami", headers={"X-Device-Key": cred["key_id"], "X-Device-Secret": cred["secret"]}
        )
        assert r.status_code == 401

    def test_user_token_is_not_a_device_credential(self, client, login):
        assert client.get("/api/v1/device/whoami", headers=login("manager_wang")).status_code == 401

    def test_other_compound_is_not_found(self, client, login, ids):
        assert self._issue(client, login("outsider_zhao"), ids["A"]).status_code == 404

    def test_guard_may_not_issue(self, client, login, ids):
        assert self._issue(client, login("guard_chen"), ids["A"]).status_code == 403


class TestLogoutWithCookie:
    def test_api_logout_with_a_cookie_ends_the_session(self, client, session):
        from anju.core.auth import SESSION_COOKIE

        r = client.post("/login", data={"username": "staff_liu", "password": DEMO_PASSWORD}, follow_redirects=False)
        assert r.status_code == 303, r.text
        token = r.cookies.get(SESSION_COOKIE) or client.cookies.get(SESSION_COOKIE)
        assert token
        client.cookies.set(SESSION_COOKIE, token)
        assert client.get("/api/v1/me").status_code == 200
        # Before: 204 but the cookie's session stayed valid (only a bearer token was revoked).
        r = client.post("/api/v1/auth/logout", headers={"Origin": "http://testserver"})
        assert r.status_code == 204, r.text
        client.cookies.clear()
        r = client.get("/api/v1/me", cookies={SESSION_COOKIE: token})
        assert r.status_code == 401

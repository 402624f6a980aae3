"""Issue 11 item 2: organisations and accounts (API, service and CLI)."""

from __future__ import annotations

from sqlalchemy import select

from anju.accounts.models import AuthSession, User
from anju.accounts.user_admin_service import user_admin_service
from anju.core.audit import ObjectChange


def _changes(session, entity: str, entity_id: int) -> list[ObjectChange]:
    return list(
        session.execute(
            select(ObjectChange)
            .where(ObjectChange.entity == entity, ObjectChange.entity_id == entity_id)
            .order_by(ObjectChange.id)
        ).scalars()
    )


def _sign_in(client, username: str, password: str):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password})


class TestOrganisations:
    def test_admin_creates_lists_and_edits_organisations_with_change_records(self, client, login, session):
        h = login("admin")
        r = client.post("/api/v1/organisations", json={"name": "东湖街道办事处", "kind": "street_office"}, headers=h)
        assert r.status_code == 201, r.text
        org_id = r.json()["id"]
        r = client.patch(f"/api/v1/organisations/{org_id}", json={"name": "东湖街道"}, headers=h)
        assert r.status_code == 200 and r.json()["name"] == "东湖街道"
        names = [o["name"] for o in client.get("/api/v1/organisations", headers=h).json()]
        assert "东湖街道" in names
        assert [c.action for c in _changes(session, "organisation", org_id)] == ["create", "update"]

    def test_duplicate_organisation_name_is_409(self, client, login):
        h = login("admin")
        body = {"name": "重名物业", "kind": "property_company"}
        assert client.post("/api/v1/organisations", json=body, headers=h).status_code == 201
        r = client.post("/api/v1/organisations", json=body, headers=h)
        assert r.status_code == 409 and r.json()["error"]["fields"][0]["field"] == "name"

    def test_manager_cannot_create_organisations(self, client, login):
        r = client.post(
            "/api/v1/organisations", json={"name": "x物业", "kind": "property_company"}, headers=login("manager_wang")
        )
        assert r.status_code == 403


class TestCreateAccounts:
    def test_manager_creates_a_guard_with_a_temporary_password_that_must_be_changed(self, client, login, ids, session):
        r = client.post(
            "/api/v1/users",
            json={"username": "guard_new", "display_name": "新保安", "role": "guard", "compound_ids": [ids["A"]]},
            headers=login("manager_wang"),
        )
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["must_change_password"] is True and body["compound_ids"] == [ids["A"]]
        temp = body["temporary_password"]
        assert temp and body["link"] is None
        token = _sign_in(client, "guard_new", temp).json()["access_token"]
        h = {"Authorization": f"Bearer {token}"}
        # Everything but the password change is refused until the temporary password is replaced.
        r = client.get("/api/v1/houses", headers=h)
        assert r.status_code == 403 and r.json()["error"]["code"] == "password_change_required"
        assert client.get("/api/v1/me", headers=h).status_code == 200
        r = client.post("/api/v1/me/password", json={"current_password": temp, "new_password": "short"}, headers=h)
        assert r.status_code == 422
        r = client.post(
            "/api/v1/me/password", json={"current_password": temp, "new_password": "Gate-desk-2026"}, headers=h
        )
        assert r.status_code == 204, r.text
        assert client.get("/api/v1/houses", headers=h).status_code == 200
        user = session.execute(select(User).where(User.username == "guard_new")).scalar_one()
        assert user.last_login_at is not None and not user.must_change_password
        actions = [c.action for c in _changes(session, "user", user.id)]
        assert actions == ["create", "password"]
        assert "password_hash" not in str(_changes(session, "user", user.id)[0].after)

    def test_manager_cannot_create_users_for_another_compound(self, client, login, ids):
        r = client.post(
            "/api/v1/users",
            json={"username": "guard_b", "role": "guard", "compound_ids": [ids["B"]]},
            headers=login("manager_wang"),
        )
        assert r.status_code == 404

    def test_manager_cannot_create_managers_or_admins(self, client, login, ids):
        for role in ("property_manager", "platform_admin"):
            r = client.post(
                "/api/v1/users",
                json={"username": f"x_{role}", "role": role, "compound_ids": [ids["A"]]},
                headers=login("manager_wang"),
            )
            assert r.status_code == 403, (role, r.text)

    def test_staff_member_cannot_create_managers(self, client, login, ids):
        r = client.post(
            "/api/v1/users",
            json={"username": "x_mgr", "role": "property_manager", "compound_ids": [ids["A"]]},
            headers=login("staff_liu"),
        )
        assert r.status_code == 403

    def test_admin_creates_a_manager(self, client, login, ids):
        r = client.post(
            "/api/v1/users",
            json={"username": "mgr_new", "role": "property_manager", "compound_ids": [ids["A"]]},
            headers=login("admin"),
        )
        assert r.status_code == 201, r.text

    def test_duplicate_username_is_409(self, client, login, ids):
        r = client.post(
            "/api/v1/users",
            json={"username": "staff_liu", "role": "guard", "compound_ids": [ids["A"]]},
            headers=login("manager_wang"),
        )
        assert r.status_code == 409 and r.json()["error"]["fields"][0]["field"] == "username"

    def test_staff_need_a_compound_and_a_valid_username(self, client, login, ids):
        h = login("admin")
        r = client.post("/api/v1/users", json={"username": "no_grant", "role": "guard"}, headers=h)
        assert r.status_code == 422
        r = client.post(
            "/api/v1/users", json={"username": "bad name!", "role": "guard", "compound_ids": [ids["A"]]}, headers=h
        )
        assert r.status_code == 422

    def test_invite_link_sets_the_first_password_once(self, client, login, ids, session):
        r = client.post(
            "/api/v1/users",
            json={"username": "invited_grid", "role": "grid_worker", "compound_ids": [ids["A"]], "invite": True},
            headers=login("manager_wang"),
        )
        assert r.status_code == 201
        link = r.json()["link"]
        assert link.startswith("/account/link/") and r.json()["temporary_password"] is None
        token = link.rsplit("/", 1)[1]
        user_admin_service.use_link(session, token=token, new="Grid-worker-77")
        assert _sign_in(client, "invited_grid", "Grid-worker-77").status_code == 200
        import pytest

        from anju.core.errors import NotFound

        with pytest.raises(NotFound):
            user_admin_service.use_link(session, token=token, new="Another-pass-88")


class TestManageAccounts:
    def _guard(self, client, login, ids) -> tuple[int, str]:
        r = client.post(
            "/api/v1/users",
            json={"username": "guard_tmp", "role": "guard", "compound_ids": [ids["A"]], "password": "Guard-pass-2026"},
            headers=login("admin"),
        )
        assert r.status_code == 201, r.text
        return r.json()["id"], "Guard-pass-2026"

    def test_disable_revokes_sessions_at_once(self, client, login, ids, session):
        uid, pw = self._guard(client, login, ids)
        token = _sign_in(client, "guard_tmp", pw).json()["access_token"]
        h = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/v1/me", headers=h).status_code == 200
        r = client.post(f"/api/v1/users/{uid}/disable", headers=login("manager_wang"))
        assert r.status_code == 200 and r.json()["active"] is False
        assert client.get("/api/v1/me", headers=h).status_code == 401
        open_sessions = session.execute(
            select(AuthSession).where(AuthSession.user_id == uid, AuthSession.revoked_at.is_(None))
        ).all()
        assert open_sessions == []
        assert _sign_in(client, "guard_tmp", pw).status_code == 401
        assert "disable" in [c.action for c in _changes(session, "user", uid)]

    def test_reset_password_gives_a_temporary_password_or_a_link(self, client, login, ids, session):
        uid, pw = self._guard(client, login, ids)
        h = login("manager_wang")
        r = client.post(f"/api/v1/users/{uid}/reset-password", json={}, headers=h)
        assert r.status_code == 200 and r.json()["temporary_password"] and r.json()["must_change_password"]
        assert _sign_in(client, "guard_tmp", pw).status_code == 401
        r = client.post(f"/api/v1/users/{uid}/reset-password", json={"link": True}, headers=h)
        assert r.json()["link"].startswith("/account/link/")
        assert [c.action for c in _changes(session, "user", uid)].count("reset") == 2

    def test_manager_grants_only_own_compounds_and_cannot_touch_managers(self, client, login, ids, session):
        uid, _ = self._guard(client, login, ids)
        h = login("manager_wang")
        r = client.put(f"/api/v1/users/{uid}/compounds", json={"compound_ids": [ids["A"], ids["B"]]}, headers=h)
        assert r.status_code == 404
        outsider = session.execute(select(User.id).where(User.username == "outsider_zhao")).scalar_one()
        assert client.post(f"/api/v1/users/{outsider}/disable", headers=h).status_code == 404
        wang = session.execute(select(User.id).where(User.username == "manager_wang")).scalar_one()
        other = client.post(
            "/api/v1/users",
            json={"username": "mgr_peer", "role": "property_manager", "compound_ids": [ids["A"]]},
            headers=login("admin"),
        ).json()["id"]
        assert client.post(f"/api/v1/users/{other}/disable", headers=h).status_code == 403
        assert client.patch(f"/api/v1/users/{uid}", json={"role": "property_manager"}, headers=h).status_code == 403
        assert wang

    def test_manager_lists_accounts_of_own_compounds_with_last_login(self, client, login, ids):
        users = client.get("/api/v1/users", headers=login("manager_wang")).json()
        names = {u["username"] for u in users}
        assert "staff_liu" in names and "outsider_zhao" not in names and "admin" not in names
        assert all("last_login_at" in u for u in users)


class TestCli:
    def test_users_create_grant_disable_for_scripted_installs(self, session, ids, monkeypatch):
        from typer.testing import CliRunner

        from anju import cli

        monkeypatch.setenv("ANJU_NEW_USER_PASSWORD", "Scripted-Guard-1")
        runner = CliRunner()
        r = runner.invoke(
            cli.app, ["users", "create", "guard_cli", "--role", "guard", "--compound", "SFXQ", "--name", "脚本保安"]
        )
        assert r.exit_code == 0, r.output
        user = session.execute(select(User).where(User.username == "guard_cli")).scalar_one()
        assert user.must_change_password
        r = runner.invoke(cli.app, ["users", "grant", "guard_cli", "--compound", "XFL"])
        assert r.exit_code == 0, r.output
        from anju.accounts.user_admin_service import grants_of

        assert grants_of(session, user.id) == {ids["A"], ids["B"]}
        r = runner.invoke(cli.app, ["users", "disable", "guard_cli"])
        assert r.exit_code == 0, r.output
        session.refresh(user)
        assert user.active is False
        r = runner.invoke(cli.app, ["users", "create", "guard_cli", "--role", "guard", "--compound", "SFXQ"])
        assert r.exit_code != 0 and "taken" in r.output

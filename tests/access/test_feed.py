"""The guard desk's live feed API (issue 20 items 5 and 8): async, capped per user, names masked."""

from __future__ import annotations

import inspect

from anju.access.auth import feed_streams
from anju.access.config import access_settings
from anju.access.endpoints import live_feed
from tests.access.conftest import LI

GATE = "南门人行"


def _guard_id(session) -> int:
    from sqlalchemy import select

    from anju.accounts.models import User

    return session.execute(select(User.id).where(User.username == "guard_chen")).scalar_one()


class TestLiveFeed:
    def test_feed_holds_no_worker_thread(self):
        # A sync generator held one of the server's worker threads per open stream (45 froze it).
        assert inspect.iscoroutinefunction(live_feed)

    def test_feed_streams_are_capped_per_user(self, client, login, session):
        h = login("guard_chen")
        cap = access_settings().feed_streams_per_user
        held = [feed_streams.acquire(_guard_id(session)) for _ in range(cap)]
        try:
            r = client.get("/api/v1/access/feed?max_seconds=0.1", headers=h)
            assert r.status_code == 429
            assert r.json()["error"]["code"] == "too_many_streams"
            assert r.json()["error"]["message"]["zh"]
            # Another user is not affected.
            assert client.get("/api/v1/access/feed?max_seconds=0.1", headers=login("manager_wang")).status_code == 200
        finally:
            for release in held:
                release()
        assert client.get("/api/v1/access/feed?max_seconds=0.1", headers=h).status_code == 200

    def test_feed_cap_also_covers_the_guard_desk_page_feed(self, client, login, session):
        from anju.core.auth import SESSION_COOKIE

        client.cookies.set(SESSION_COOKIE, login("guard_chen")["Authorization"][7:])
        assert client.get("/console/access/feed?max_seconds=0.1").status_code == 200
        held = [feed_streams.acquire(_guard_id(session)) for _ in range(access_settings().feed_streams_per_user)]
        try:
            assert client.get("/console/access/feed?max_seconds=0.1").status_code == 429
        finally:
            for release in held:
                release()
        assert feed_streams.open_for(_guard_id(session)) == 0

    def test_feed_slots_are_released_when_streams_end(self, client, login, session):
        h = login("guard_chen")
        for _ in range(access_settings().feed_streams_per_user + 2):
            assert client.get("/api/v1/access/feed?max_seconds=0.1", headers=h).status_code == 200
        assert feed_streams.open_for(_guard_id(session)) == 0

    def test_feed_sends_new_attempts_and_resumes_from_last_event_id(self, client, login, decide, south, points):
        h = login("guard_chen")
        first = decide(south, points[GATE], "card", LI)["log_id"]
        body = client.get(f"/api/v1/access/feed?max_seconds=0.1&after={first - 1}", headers=h).text
        assert f"id: {first}\n" in body and "event: access" in body
        second = decide(south, points[GATE], "card", "FFFF0000")["log_id"]
        body = client.get("/api/v1/access/feed?max_seconds=0.1", headers={**h, "Last-Event-ID": str(first)}).text
        assert f"id: {second}\n" in body and f"id: {first}\n" not in body
        odd = client.get("/api/v1/access/feed?max_seconds=0.1", headers={**h, "Last-Event-ID": "²".encode() * 5})
        assert odd.status_code == 200


class TestVisitorNames:
    def test_visitor_names_masked_for_staff_in_the_api_like_the_guard_page(self, client, login, ids):
        r = client.post(
            "/api/v1/access/walk-ins",
            headers=login("guard_chen"),
            json={"host_house_id": ids["li_house"], "visitor_name": "李大师傅", "minutes": 60},
        )
        assert r.status_code == 201, r.text
        assert r.json()["visitor_name"] == "李**傅"
        pass_id = r.json()["id"]
        staff = client.get("/api/v1/access/visitor-passes", headers=login("manager_wang")).json()
        assert [p["visitor_name"] for p in staff if p["id"] == pass_id] == ["李**傅"]
        assert (
            client.get(f"/api/v1/access/visitor-passes/{pass_id}", headers=login("guard_chen")).json()["visitor_name"]
            == "李**傅"
        )
        # The host household sees the name.
        host = client.get(f"/api/v1/access/visitor-passes/{pass_id}", headers=login("resident_li")).json()
        assert host["visitor_name"] == "李大师傅"

    def test_visitor_names_masked_in_the_api_feed(self, client, login, ids, decide, south, points):
        from tests.access.test_visitors import _pass

        p = _pass(client, login, ids, visitor_name="王阿姨")
        assert p["visitor_name"] == "王阿姨"  # the host sees the name they gave
        log_id = decide(south, points[GATE], "qr", p["qr"])["log_id"]
        rows = client.get(f"/api/v1/access/logs?compound_id={ids['A']}&after={log_id - 1}", headers=login("guard_chen"))
        assert [row["visitor"] for row in rows.json() if row["id"] == log_id] == ["王*姨"]


def test_feed_no_async_def_in_access_or_accounts_calls_the_database_synchronously():
    """An async endpoint runs on the event loop: a synchronous query there stalls every request."""
    import ast
    from pathlib import Path

    import anju

    root = Path(anju.__file__).parent
    blocking = {"new_session", "transaction", "execute", "scalar", "scalars", "get", "commit", "flush", "refresh"}
    found = []
    for path in [*(root / "access").glob("*.py"), *(root / "accounts").glob("*.py")]:
        for fn in ast.walk(ast.parse(path.read_text())):
            if not isinstance(fn, ast.AsyncFunctionDef):
                continue
            stack = list(fn.body)
            while stack:
                node = stack.pop()
                if isinstance(node, ast.FunctionDef | ast.Lambda):
                    continue  # a sync helper run in a thread (run_in_threadpool)
                if isinstance(node, ast.Call):
                    f = node.func
                    name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
                    value = f.value if isinstance(f, ast.Attribute) else None
                    owner = (
                        value.id
                        if isinstance(value, ast.Name)
                        else value.attr
                        if isinstance(value, ast.Attribute)
                        else ""
                    )
                    if name in blocking and owner not in {"request", "headers", "asyncio"}:
                        found.append(f"{path.name}:{node.lineno} {owner}.{name}")
                stack.extend(ast.iter_child_nodes(node))
    assert found == []

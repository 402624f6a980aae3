"""The pages' form posts (report with a photo, dispatch, my tasks, rating) and the figures API."""

from __future__ import annotations

from sqlalchemy import func, select

from anju.workorders.models import WorkOrder, WorkOrderPhoto
from tests.workorders.conftest import png_bytes

ORIGIN = {"Origin": "http://testserver"}


def _uid(session, username: str) -> int:
    from anju.accounts.models import User

    return session.execute(select(User.id).where(User.username == username)).scalar_one()


def _count(session) -> int:
    return session.execute(select(func.count()).select_from(WorkOrder)).scalar_one()


class TestH5Report:
    def test_report_with_photo_then_dispatch_work_and_rate(self, client, web_login, session, ids):
        web_login("resident_li")
        r = client.post(
            "/h5/repairs",
            headers=ORIGIN,
            follow_redirects=False,
            data={
                "kind": "household_repair",
                "category": "plumbing",
                "title": "厨房水管漏水",
                "house_id": str(ids["li_house"]),
                "description": "水槽下方滴水",
            },
            files={"photo": ("leak.png", png_bytes(), "image/png")},
        )
        assert r.status_code == 303, r.text[:300]
        oid = int(r.headers["location"].split("/h5/repairs/")[1].split("?")[0])
        order = session.get(WorkOrder, oid)
        assert order.reporter_user_id == _uid(session, "resident_li") and order.house_id == ids["li_house"]
        assert (
            session.execute(
                select(func.count()).select_from(WorkOrderPhoto).where(WorkOrderPhoto.order_id == oid)
            ).scalar_one()
            == 1
        )
        page = client.get(f"/h5/repairs/{oid}")
        assert page.status_code == 200 and 'data-testid="photo"' in page.text

        web_login("manager_wang")
        board = client.get("/console/workorders?status=new")
        assert f'data-order="{oid}"' in board.text
        r = client.post(
            f"/console/workorders/{oid}/act",
            headers=ORIGIN,
            follow_redirects=False,
            data={
                "action": "dispatched",
                "assignee_user_id": str(_uid(session, "staff_liu")),
                "next": "/console/workorders",
            },
        )
        assert r.status_code == 303 and "ok=" in r.headers["location"]

        web_login("staff_liu")
        assert f'data-order="{oid}"' in client.get("/console/my-tasks").text
        for action in ("accepted", "arrived", "completed"):
            r = client.post(
                f"/console/workorders/{oid}/act",
                headers=ORIGIN,
                follow_redirects=False,
                data={"action": action, "next": "/console/my-tasks", "note": "已修好"},
            )
            assert "ok=" in r.headers["location"], (action, r.headers["location"])

        web_login("resident_li")
        r = client.post(
            f"/h5/repairs/{oid}/act",
            headers=ORIGIN,
            follow_redirects=False,
            data={"action": "rated", "rating": "5", "note": "很快"},
        )
        assert "ok=" in r.headers["location"]
        session.refresh(order)
        assert order.rating == 5 and order.status == "completed"

    def test_a_non_image_is_refused_and_nothing_is_kept(self, client, web_login, session, ids):
        web_login("resident_li")
        before = _count(session)
        r = client.post(
            "/h5/repairs",
            headers=ORIGIN,
            follow_redirects=False,
            data={"kind": "household_repair", "title": "漏水", "house_id": str(ids["li_house"])},
            files={"photo": ("leak.png", b"MZ\x90\x00 not an image", "image/png")},
        )
        assert r.status_code == 415 and 'data-testid="wo-error"' in r.text and "图片" in r.text
        assert _count(session) == before

    def test_console_action_refused_comes_back_with_reason(self, client, web_login, session, ids):
        order = session.execute(select(WorkOrder).where(WorkOrder.title == "夜间施工噪音")).scalar_one()
        web_login("manager_wang")
        r = client.post(
            f"/console/workorders/{order.id}/act", headers=ORIGIN, follow_redirects=True, data={"action": "closed"}
        )
        assert r.status_code == 200 and "未指派处理人的工单不能关闭" in r.text

    def test_board_filters_by_sla_state(self, client, web_login, session):
        order = session.execute(select(WorkOrder).where(WorkOrder.title == "地下车库排水沟堵塞")).scalar_one()
        order.sla_state = "breached"
        session.flush()
        web_login("manager_wang")
        breached = client.get("/console/workorders?sla=breached").text
        ok = client.get("/console/workorders?sla=ok").text
        assert f'data-order="{order.id}"' in breached and f'data-order="{order.id}"' not in ok
        assert 'data-testid="kanban"' in client.get("/console/workorders?view=kanban").text


class TestFigures:
    def test_figures_by_category(self, client, login, ids):
        r = client.get("/api/v1/work-orders/figures", params={"compound_id": ids["A"]}, headers=login("manager_wang"))
        assert r.status_code == 200, r.text
        body = r.json()
        cats = {c["category"]: c for c in body["by_category"]}
        electrical = cats["electrical"]  # the demo's closed order: accepted after 5 min, done after 70
        assert electrical["mtta_minutes"] == 5.0 and electrical["mttr_minutes"] == 70.0
        assert electrical["satisfaction"] == 5.0 and electrical["response_compliance"] == 100.0
        assert body["orders"] >= 5 and body["open_orders"] >= 2 and body["satisfaction"] == 5.0
        assert body["patrol_completion"] is None or 0 <= body["patrol_completion"] <= 100
        assert any(g["name"] == "周网格员" for g in body["grid_workers"])

    def test_figures_scope_and_role(self, client, login, ids):
        assert (
            client.get(
                "/api/v1/work-orders/figures", params={"compound_id": ids["B"]}, headers=login("manager_wang")
            ).status_code
            == 404
        )
        assert (
            client.get(
                "/api/v1/work-orders/figures", params={"compound_id": ids["A"]}, headers=login("resident_li")
            ).status_code
            == 403
        )

    def test_sla_settings_api(self, client, login, ids):
        h = login("manager_wang")
        r = client.put(
            "/api/v1/work-orders/sla",
            headers=h,
            json={
                "compound_id": ids["A"],
                "category": "lift",
                "priority": "emergency",
                "response_minutes": 15,
                "resolution_minutes": 120,
                "calendar": "24x7",
            },
        )
        assert r.status_code == 200 and r.json()["response_minutes"] == 15
        rows = client.get("/api/v1/work-orders/sla", params={"compound_id": ids["A"]}, headers=h).json()
        assert any(x["category"] == "lift" for x in rows)
        bad = client.put(
            "/api/v1/work-orders/sla",
            headers=h,
            json={"compound_id": ids["A"], "priority": "whenever", "response_minutes": 0},
        )
        assert bad.status_code == 422


def test_system_timeline_notes_follow_the_language(client, web_login, session):
    order = session.execute(select(WorkOrder).where(WorkOrder.title == "卫生间灯不亮")).scalar_one()
    web_login("manager_wang")
    zh = client.get(f"/console/workorders/{order.id}").text
    assert "自动派单" in zh and "auto-dispatched" not in zh
    client.cookies.set("anju_lang", "en")
    en = client.get(f"/console/workorders/{order.id}").text
    assert "auto-dispatched" in en and "自动派单" not in en and "Timeline" in en

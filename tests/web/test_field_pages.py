"""Issue 17: the staff phone pages — 随手拍 becomes a routed order with a 2-hour deadline, the technician
completes it with an after photo, the grid worker sees the grid's households (masked), each role's tabs."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from anju.accounts.models import User
from anju.workorders.enums import OrderKind, OrderSource, OrderStatus
from anju.workorders.models import WorkOrder, WorkOrderPhoto
from tests.web.conftest import ORIGIN
from tests.workorders.conftest import png_bytes


def _uid(session, username: str) -> int:
    return session.execute(select(User.id).where(User.username == username)).scalar_one()


def _snap(client, photo: bytes, name: str = "stairs.png", **data):
    form = {"category": "fire_safety", "location": "3号楼2单元5楼楼道", "description": "楼道堆放杂物", **data}
    return client.post(
        "/field/snap", data=form, files={"photo": (name, photo, "image/png")}, headers=ORIGIN, follow_redirects=False
    )


def test_snap_becomes_a_hazard_order_for_the_property_within_two_hours(client, web_login, session, ids):
    from anju.registry.models import House

    building_id = session.get(House, ids["li_house"]).building_id
    web_login("grid_zhou")
    r = _snap(client, png_bytes(), building_id=str(building_id))
    assert r.status_code == 303 and "/field/reports" in r.headers["location"], r.headers.get("location")
    order = (
        session.execute(
            select(WorkOrder)
            .where(WorkOrder.created_by_user_id == _uid(session, "grid_zhou"))
            .order_by(WorkOrder.id.desc())
        )
        .scalars()
        .first()
    )
    assert order.kind == OrderKind.hazard and order.source == OrderSource.grid and order.category == "fire_safety"
    assert order.resolution_due_at - order.created_at == timedelta(hours=2)
    assert order.status == OrderStatus.dispatched and order.assignee_user_id == _uid(session, "staff_liu")  # 工程部
    photo = session.execute(select(WorkOrderPhoto).where(WorkOrderPhoto.order_id == order.id)).scalar_one()
    assert photo.stage == "before"
    reports = client.get("/field/reports")
    assert f"#{order.id}" in reports.text and "已派单" in reports.text
    web_login("staff_liu")
    tasks = client.get("/field/tasks")
    assert tasks.status_code == 200 and f'data-order-id="{order.id}"' in tasks.text
    card = tasks.text.split(f'data-order-id="{order.id}"', 1)[1].split("</section>", 1)[0]
    assert 'data-testid="task-plan"' in card and 'class="field-here"' in card  # the building, on the site plan


def test_snap_with_a_file_that_is_not_an_image_records_nothing(client, web_login, session):
    web_login("grid_zhou")
    before = session.execute(select(WorkOrder.id).order_by(WorkOrder.id.desc())).scalars().first()
    r = _snap(client, b"%PDF-1.4 not a photo", name="x.png")
    assert r.status_code == 303 and "err=" in r.headers["location"]
    assert session.execute(select(WorkOrder.id).order_by(WorkOrder.id.desc())).scalars().first() == before
    r = client.post("/field/snap", data={"category": "fire_safety"}, headers=ORIGIN, follow_redirects=False)
    assert "err=" in r.headers["location"]  # no photo at all


def test_technician_completes_with_an_after_photo(client, web_login, session):
    web_login("grid_zhou")
    _snap(client, png_bytes())
    order = session.execute(select(WorkOrder).order_by(WorkOrder.id.desc())).scalars().first()
    web_login("staff_liu")
    url = f"/field/tasks/{order.id}/act"
    for step in ("accepted", "arrived"):
        r = client.post(url, data={"action": step}, headers=ORIGIN, follow_redirects=False)
        assert r.status_code == 303 and "ok=" in r.headers["location"], r.headers["location"]
    r = client.post(url, data={"action": "completed"}, headers=ORIGIN, follow_redirects=False)
    assert "err=" in r.headers["location"]  # the after photo is required
    r = client.post(
        url,
        data={"action": "completed", "note": "已清理"},
        files={"photo": ("after.txt", b"hello", "image/png")},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert "err=" in r.headers["location"]  # not an image
    session.expire_all()
    assert session.get(WorkOrder, order.id).status == OrderStatus.arrived
    r = client.post(
        url,
        data={"action": "completed", "note": "已清理"},
        files={"photo": ("after.png", png_bytes(color=(200, 200, 200)), "image/png")},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert "ok=" in r.headers["location"]
    session.expire_all()
    assert session.get(WorkOrder, order.id).status == OrderStatus.completed
    stages = session.execute(select(WorkOrderPhoto.stage).where(WorkOrderPhoto.order_id == order.id)).scalars().all()
    assert sorted(s or "" for s in stages) == ["after", "before"]


def test_grid_worker_sees_the_grid_households_masked(client, web_login):
    web_login("grid_zhou")
    r = client.get("/field/grid")
    assert r.status_code == 200 and 'data-testid="grid-households"' in r.text
    assert "****" in r.text or "*" in r.text


def test_tabs_follow_the_role(client, web_login):
    web_login("guard_chen")
    page = client.get("/field/alarms").text
    assert 'data-tab="alarms"' in page and 'data-tab="patrol"' in page and 'data-tab="grid"' not in page
    assert client.get("/field/grid").status_code == 403  # a guard does not browse households
    web_login("staff_liu")
    page = client.get("/field/tasks").text
    assert 'data-tab="tasks"' in page and 'data-tab="snap"' not in page
    web_login("resident_li")
    assert client.get("/field/tasks", follow_redirects=False).status_code in (303, 403)

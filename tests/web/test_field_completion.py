"""Issue 17: the technician completes on the phone with the after photo, the parts used and the customer's
signature (drawn on the phone, sent as a PNG data: URL and checked as an image); the order page shows both."""

from __future__ import annotations

import base64

from sqlalchemy import select

from anju.workorders.models import WorkOrder, WorkOrderPhoto
from tests.web.conftest import ORIGIN
from tests.workorders.conftest import png_bytes


def _arrived_order(client, web_login, session) -> WorkOrder:
    web_login("grid_zhou")
    r = client.post(
        "/field/snap",
        data={"category": "fire_safety", "location": "2号楼防火门", "description": "防火门闭门器损坏"},
        files={"photo": ("door.png", png_bytes(), "image/png")},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert "ok=" in r.headers["location"], r.headers["location"]
    order = session.execute(select(WorkOrder).order_by(WorkOrder.id.desc())).scalars().first()
    web_login("staff_liu")
    for step in ("accepted", "arrived"):
        r = client.post(f"/field/tasks/{order.id}/act", data={"action": step}, headers=ORIGIN, follow_redirects=False)
        assert "ok=" in r.headers["location"], r.headers["location"]
    return order


def _complete(client, order_id: int, **data):
    return client.post(
        f"/field/tasks/{order_id}/act",
        data={"action": "completed", "note": "已更换", **data},
        files={"photo": ("after.png", png_bytes(color=(90, 160, 90)), "image/png")},
        headers=ORIGIN,
        follow_redirects=False,
    )


def test_completion_records_parts_and_the_customers_signature(client, web_login, session):
    order = _arrived_order(client, web_login, session)
    page = client.get("/field/tasks").text
    card = page.split(f'data-order-id="{order.id}"', 1)[1].split("</section>", 1)[0]
    assert 'data-testid="task-sign"' in card and 'name="parts"' in card
    signature = "data:image/png;base64," + base64.b64encode(png_bytes(color=(255, 255, 255), size=(340, 140))).decode()
    r = _complete(client, order.id, parts="闭门器 1 个，  螺丝 4 颗", signature=signature)
    assert "ok=" in r.headers["location"], r.headers["location"]
    session.expire_all()
    done = session.get(WorkOrder, order.id)
    assert done.status == "completed" and done.parts_used == "闭门器 1 个， 螺丝 4 颗"
    stages = sorted(
        s or ""
        for s in session.execute(select(WorkOrderPhoto.stage).where(WorkOrderPhoto.order_id == order.id)).scalars()
    )
    assert stages == ["after", "before", "signature"]
    web_login("manager_wang")
    detail = client.get(f"/console/workorders/{order.id}").text
    assert 'data-testid="parts-used"' in detail and "闭门器 1 个" in detail and 'data-stage="signature"' in detail


def test_a_signature_that_is_not_an_image_completes_nothing(client, web_login, session):
    order = _arrived_order(client, web_login, session)
    fake = "data:image/png;base64," + base64.b64encode(b"%PDF-1.4 not a drawing").decode()
    for bad in (fake, "data:text/html;base64,PGgxPmhpPC9oMT4=", "data:image/png;base64,!!!"):
        r = _complete(client, order.id, parts="闭门器", signature=bad)
        assert "err=" in r.headers["location"], bad
    session.expire_all()
    kept = session.get(WorkOrder, order.id)
    assert kept.status == "arrived" and kept.parts_used is None
    stages = session.execute(select(WorkOrderPhoto.stage).where(WorkOrderPhoto.order_id == order.id)).scalars().all()
    assert "signature" not in stages and "after" not in stages

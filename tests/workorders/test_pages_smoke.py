"""Every work-order, patrol and facilities page opens for the roles that may use it, and refuses the others."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from anju.workorders.models import WorkOrder


@pytest.mark.parametrize(
    ("username", "path"),
    [
        ("manager_wang", "/console/workorders"),
        ("manager_wang", "/console/workorders?view=kanban"),
        ("manager_wang", "/console/workorders?sla=breached"),
        ("staff_liu", "/console/my-tasks"),
        ("grid_zhou", "/console/my-tasks"),
        ("guard_chen", "/console/patrol"),
        ("manager_wang", "/console/patrol"),
        ("staff_liu", "/console/facilities"),
        ("resident_li", "/h5/repairs"),
        ("guard_chen", "/h5/patrol/scan"),
    ],
)
def test_page_opens(client, web_login, username, path):
    web_login(username)
    r = client.get(path)
    assert r.status_code == 200, r.text[:500]


@pytest.mark.parametrize(
    ("username", "path"),
    [
        ("guard_chen", "/console/my-tasks"),
        ("resident_li", "/console/workorders"),
        ("staff_liu", "/h5/repairs"),
        ("grid_zhou", "/console/facilities"),
        ("resident_li", "/h5/patrol/scan"),
    ],
)
def test_page_refused(client, web_login, username, path):
    web_login(username)
    assert client.get(path).status_code == 403


def test_order_pages_show_the_timeline(client, web_login, session):
    order = session.execute(select(WorkOrder).where(WorkOrder.title == "卫生间灯不亮")).scalar_one()
    web_login("manager_wang")
    r = client.get(f"/console/workorders/{order.id}")
    assert r.status_code == 200 and 'data-testid="timeline"' in r.text and "电话回访" in r.text
    web_login("resident_li")
    r = client.get(f"/h5/repairs/{order.id}")
    assert r.status_code == 200 and "更换灯管" in r.text
    web_login("outsider_zhao")
    assert client.get(f"/console/workorders/{order.id}").status_code == 404

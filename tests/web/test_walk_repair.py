"""Playwright walk: a resident reports a leak with a photo on her phone, the manager dispatches it on the board,
the technician works it on 我的任务 (phone), and the resident rates it."""

from __future__ import annotations

import io
import re

import pytest

from tests.web.browser import DESKTOP, PHONE, shot, sign_in

pytestmark = pytest.mark.browser


def _png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (40, 110, 190)).save(buf, format="PNG")
    return buf.getvalue()


def test_leak_reported_dispatched_completed_and_rated(browser, live_server):
    title = "卫生间天花板漏水"
    # 1. resident_li reports on her phone, with a photo
    li = sign_in(browser, live_server, "resident_li", PHONE)
    try:
        li.goto("/h5")
        with li.expect_navigation():
            li.click('[data-testid="h5-link-repairs"]')
        form = li.locator('[data-testid="repair-form"]')
        form.locator("select[name=kind]").select_option("household_repair")
        form.locator("select[name=category]").select_option("plumbing")
        form.locator("input[name=title]").fill(title)
        form.locator("textarea[name=description]").fill("楼上渗水，滴到卫生间吊顶")
        form.locator("input[name=photo]").set_input_files(
            {"name": "leak.png", "mimeType": "image/png", "buffer": _png()}
        )
        with li.expect_navigation():
            form.locator("button[type=submit]").click()
        assert re.search(r"/h5/repairs/\d+", li.url)
        order_id = int(re.search(r"/h5/repairs/(\d+)", li.url).group(1))
        assert li.locator('[data-testid="wo-ok"]').is_visible()
        assert li.locator('[data-testid="photo"]').evaluate("img => img.naturalWidth") == 64
        shot(li, "walk_repair_1_reported")
    finally:
        li.context.close()

    # 2. manager_wang dispatches it to 刘师傅 on the board
    wang = sign_in(browser, live_server, "manager_wang", DESKTOP)
    try:
        wang.goto("/console/workorders?status=new")
        row = wang.locator(f'tr[data-order="{order_id}"]')
        assert title in row.inner_text()
        row.locator("select[name=assignee_user_id]").select_option(label="刘师傅")
        with wang.expect_navigation():
            row.locator('button[data-action="dispatched"]').click()
        assert wang.locator(".alert-ok").is_visible()
        wang.goto(f"/console/workorders/{order_id}")
        assert wang.inner_text('[data-testid="assignee"]').strip() == "刘师傅"
        shot(wang, "walk_repair_2_dispatched")
    finally:
        wang.context.close()

    # 3. staff_liu works it from 我的任务 on his phone
    liu = sign_in(browser, live_server, "staff_liu", PHONE)
    try:
        liu.goto("/console/my-tasks")
        task = f'[data-testid="my-tasks"] article[data-order="{order_id}"]'
        for action in ("accepted", "arrived"):
            with liu.expect_navigation():
                liu.locator(f'{task} button[data-action="{action}"]').click()
            assert liu.locator('[data-testid="wo-ok"]').is_visible(), action
        liu.locator(f'{task} form:has(button[data-action="completed"]) input[name=note]').fill("更换防水层，已不漏")
        shot(liu, "walk_repair_3_my_tasks", full_page=False)
        with liu.expect_navigation():
            liu.locator(f'{task} button[data-action="completed"]').click()
        assert liu.locator(task).count() == 0  # done: no longer in my hands
    finally:
        liu.context.close()

    # 4. resident_li sees the timeline and rates it
    li = sign_in(browser, live_server, "resident_li", PHONE)
    try:
        li.goto(f"/h5/repairs/{order_id}")
        steps = li.locator('[data-testid="timeline"] li').evaluate_all("ls => ls.map(l => l.dataset.action)")
        assert steps[:1] == ["created"] and {"dispatched", "accepted", "arrived", "completed"} <= set(steps)
        li.click('label[for="star4"]')
        li.locator('[data-testid="rate-form"] input[name=note]').fill("师傅很专业")
        with li.expect_navigation():
            li.locator('[data-testid="rate-form"] button[type=submit]').click()
        assert "4 星" in li.inner_text('[data-testid="rated"]')
        shot(li, "walk_repair_4_rated")
    finally:
        li.context.close()

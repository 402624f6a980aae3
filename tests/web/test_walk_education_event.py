"""Issue 18 walk: staff post a 安全小课堂 on the console; a resident books it on her phone (H5) and gets a check-in
code with its QR; at the door staff type her code and she is checked in; her phone then says so.

Robust to the other walks on the shared live server: it posts its own event (a unique title) and reads that event's
rows only, never "the first" one."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest

from anju.core.db import utcnow
from anju.core.kit.china_time import to_china
from tests.web.browser import DESKTOP, PHONE, shot, sign_in

pytestmark = pytest.mark.browser


def test_resident_books_a_safety_class_on_h5_and_staff_check_her_in(browser, live_server):
    title = f"消防安全小课堂 {uuid.uuid4().hex[:4]}"
    start = to_china(utcnow() + timedelta(minutes=30))  # check-in opens an hour before the start
    desk = sign_in(browser, live_server, "manager_wang", DESKTOP)
    phone = sign_in(browser, live_server, "resident_li", PHONE)
    try:
        assert desk.goto("/console/safety-education").status == 200
        desk.click('[data-testid="to-events"]')
        form = desk.locator('[data-testid="event-form"]')
        form.locator('input[name="title"]').fill(title)
        form.locator('select[name="audience"]').select_option("everyone")
        form.locator('input[name="place"]').fill("社区活动室")
        form.locator('input[name="starts_at"]').fill(start.strftime("%Y-%m-%dT%H:%M"))
        form.locator('input[name="ends_at"]').fill((start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
        form.locator('input[name="capacity"]').fill("20")
        form.locator("button").click()
        desk.wait_for_selector('[data-testid="safety-ok"], [data-testid="safety-error"]')
        assert desk.locator('[data-testid="safety-error"]').count() == 0, desk.inner_text(
            '[data-testid="safety-error"]'
        )
        row = desk.locator('[data-testid="events"] tr', has_text=title)
        assert start.strftime("%H:%M") in row.inner_text() and "全体居民" in row.inner_text()
        event_id = row.get_attribute("data-event")

        # The resident books it on her phone and gets her code and its QR.
        assert phone.goto("/h5/education").status == 200
        card = phone.locator(f'[data-testid="edu-event"][data-event="{event_id}"]')
        assert title in card.inner_text()
        card.locator('[data-testid="edu-book"]').click()
        phone.wait_for_selector('[data-testid="edu-ok"]')
        card = phone.locator(f'[data-testid="edu-event"][data-event="{event_id}"]')
        code = card.locator('[data-testid="edu-code"]').inner_text().strip()
        assert re.fullmatch(r"\d{6}", code) and card.locator('[data-testid="edu-qr"] svg').count() == 1
        shot(phone, "issue18-education-event-booked")

        # At the door staff type the code she shows.
        desk.click(f'[data-testid="events"] tr[data-event="{event_id}"] a')
        assert "报名 1/20 人，已到场 0 人" in desk.inner_text('[data-testid="event-counts"]')
        desk.fill('[data-testid="code-form"] input[name="code"]', code)
        desk.click('[data-testid="code-form"] button')
        desk.wait_for_selector('[data-testid="safety-ok"], [data-testid="safety-error"]')
        assert desk.locator('[data-testid="safety-error"]').count() == 0, desk.inner_text(
            '[data-testid="safety-error"]'
        )
        assert "已到场 1 人" in desk.inner_text('[data-testid="event-counts"]')
        assert desk.locator('[data-testid="bookings"] [data-testid="checked-in"]').count() == 1
        shot(desk, "issue18-education-event-checked-in")

        # Her phone says she was checked in (no code to show any more).
        phone.reload()
        card = phone.locator(f'[data-testid="edu-event"][data-event="{event_id}"]')
        assert card.locator('[data-testid="edu-attended"]').count() == 1
        assert card.locator('[data-testid="edu-code"]').count() == 0
    finally:
        phone.context.close()
        desk.context.close()

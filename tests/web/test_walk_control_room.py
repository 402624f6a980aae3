"""Walk: the simulator raises the smoke incident, the guard sees it arrive live and acknowledges it.

The simulator runs in this process exactly as `anju simulate` does: it reads the demo
compound's devices (keys and secrets) from the database it is pointed at and pushes
signed messages over HTTP. Here that database is the test process's own seeded copy
(the `engine` fixture): the seed is deterministic, so keys and secrets are the live
server's too. The alarm is raised by the server's intake; the page learns about it
from the alarm stream (no reload), and the guard acts through the page's buttons.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from anju.sim import simulator
from tests.web.browser import DESKTOP, shot, sign_in

pytestmark = pytest.mark.browser

LIVE_TIMEOUT = 60_000  # ms: generous, a busy 2-core machine; the wait ends as soon as the row is there


def test_guard_acknowledges_the_simulated_smoke_alarm_live(browser, live_server, engine):
    page = sign_in(browser, live_server, "guard_chen", DESKTOP)
    try:
        response = page.goto("/console/alarms")
        assert response is not None and response.status == 200
        page.wait_for_selector("#cr-live[data-state=open]", timeout=LIVE_TIMEOUT)  # the stream is connected
        page.evaluate("window.__walkMark = 'same page'")  # gone if anything reloads the page
        shot(page, "guard_chen_control_room_before")

        injected = simulator.inject("smoke", compound_code="SFXQ", transport="http", http_url=live_server)
        assert injected.sent == 2 and injected.failed == 0
        assert injected.device.building == "3" and injected.incident.data["smoke"] > 4

        row = page.locator(".cr-alarm", has_text=injected.device.location)
        row.first.wait_for(state="visible", timeout=LIVE_TIMEOUT)
        assert page.evaluate("window.__walkMark") == "same page", "the alarm must arrive without a reload"
        assert row.count() == 1  # both smoke rules fired: one alarm, the repeat is a counter
        assert "sev-critical" in (row.get_attribute("class") or "")
        assert row.locator("[data-testid=alarm-status]").inner_text() == "新告警"
        marker = page.locator(f"#cr-plan circle.m-alarm[data-alarm-id='{row.get_attribute('data-alarm-id')}']")
        marker.wait_for(state="attached", timeout=LIVE_TIMEOUT)
        alarm_id = int(row.get_attribute("data-alarm-id") or 0)
        shot(page, "guard_chen_control_room_alarm")

        popup = page.locator("[data-testid=cr-popup]")  # a critical alarm pops up over the page (issue 17)
        popup.wait_for(state="visible", timeout=LIVE_TIMEOUT)
        popup.locator("[data-popup=later]").click()
        row.click()
        panel = page.locator(f"#cr-detail [data-testid=alarm-detail][data-alarm-id='{alarm_id}']")
        panel.wait_for(state="visible")
        assert injected.device.location in panel.locator("[data-testid=detail-location]").inner_text()
        assert injected.device.key in panel.inner_text()
        panel.locator("[data-testid=act-acknowledge]").click()

        page.locator("#cr-detail [data-testid=detail-status]", has_text="已确认").wait_for(timeout=LIVE_TIMEOUT)
        page.locator(f".cr-alarm[data-alarm-id='{alarm_id}'] [data-testid=alarm-status]", has_text="已确认").wait_for(
            timeout=LIVE_TIMEOUT
        )
        assert "陈保安" in page.locator("#cr-detail [data-testid=detail-ack-by]").inner_text()
        shot(page, "guard_chen_control_room_acknowledged")

        me = page.request.get("/api/v1/me").json()
        api = page.request.get(f"/api/v1/alarms/{alarm_id}")
        assert api.status == 200
        alarm = api.json()
        assert alarm["status"] == "acknowledged" and alarm["acknowledged_by"] == me["user_id"]
        last = alarm["history"][-1]
        assert last["action"] == "acknowledged" and last["actor_user_id"] == me["user_id"]
        assert alarm["evidence"]["device_key"] == injected.device.key

        # From the panel to the device: its telemetry, and a mute for the sounder.
        page.locator("#cr-detail a[href^='/console/devices?device=']").click()
        device = page.locator("#device-detail")
        device.locator("[data-testid=device-telemetry]", has_text="烟雾浓度 6.8 dB/m").wait_for()
        page.select_option("[data-testid=device-command]", "mute")
        device.locator("input[name=reason]").fill("已到场确认，消音")
        device.locator("[data-testid=device-send]").click()
        device.locator("[data-testid=device-issued]").wait_for()
        assert "消音" in device.locator("[data-testid=device-commands]").inner_text()
        page.select_option("[data-testid=device-filter-type]", "smoke_detector")
        expect(page).to_have_url(re.compile(r"device_type=smoke_detector"))  # pushed after the table swap
        types = page.locator("#device-table tr[data-device-id] td:nth-child(2)").all_inner_texts()
        assert types and set(types) == {"烟感"}
        shot(page, "guard_chen_devices")
    finally:
        page.context.close()

"""Walks for issue 17 on a 390×844 phone and the desktop control room (screenshots in test-output/screenshots).

- the patrol guard checks in at three checkpoints by camera: Chromium's fake camera plays a video of each
  checkpoint's printed QR (`--use-file-for-fake-video-capture`), the page decodes it with jsQR and checks in;
  the manager then sees the three check-ins on the patrol page;
- the grid worker 随手拍 a blocked stairwell with a photo, it reaches the technician's tasks, and the technician
  completes it with an after photo;
- the console on a phone: the menu folds behind the menu button;
- a critical alarm pops up with its procedure and sound on the desktop; the operator resolves it with a note.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from anju.sim import simulator
from tests.web.browser import CHROMIUM, CHROMIUM_ARGS, DESKTOP, PHONE, shot, sign_in

pytestmark = pytest.mark.browser
LIVE_TIMEOUT = 60_000
CODES = ("SFXQ-PT-01", "SFXQ-PT-02", "SFXQ-PT-03")  # the demo's night route


def _png(color: tuple[int, int, int] = (120, 110, 100), size: tuple[int, int] = (64, 48)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format="PNG")
    return buf.getvalue()


def qr_video(path: Path, text: str, frames: int = 6) -> Path:
    """A Y4M clip (640×480, grey) showing the QR of `text` in the middle: what the phone camera sees."""
    import segno
    from PIL import Image

    buf = io.BytesIO()
    segno.make(text, error="m").save(buf, kind="png", scale=8, border=4)
    qr = Image.open(io.BytesIO(buf.getvalue())).convert("L")
    side = min(440, qr.width)
    qr = qr.resize((side, side))
    frame = Image.new("L", (640, 480), 255)
    frame.paste(qr, ((640 - side) // 2, (480 - side) // 2))
    y = frame.tobytes()
    uv = bytes([128]) * (320 * 240)
    with path.open("wb") as f:
        f.write(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n")
        for _ in range(frames):
            f.write(b"FRAME\n" + y + uv + uv)
    return path


def test_patrol_guard_checks_in_by_camera_and_the_manager_sees_the_round(live_server, tmp_path, browser):
    playwright = browser.browser_type  # the shared Playwright; a second Chromium with a fake camera
    for i, code in enumerate(CODES):
        clip = qr_video(tmp_path / f"cp{i}.y4m", f"{live_server}/h5/patrol/scan?code={code}")
        cam = playwright.launch(
            executable_path=CHROMIUM,
            args=[
                *CHROMIUM_ARGS,
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-video-capture={clip}",
            ],
        )
        try:
            page = sign_in(cam, live_server, "guard_chen", PHONE)
            page.context.grant_permissions(["camera"], origin=live_server)
            page.goto("/h5/patrol/scan")
            page.locator("[data-testid=scan-camera]").click()
            ok = page.locator("[data-testid=wo-ok]")
            ok.wait_for(timeout=LIVE_TIMEOUT)  # decoded, submitted, checked in
            assert re.search(r"打卡成功 \d{2}:\d{2}", ok.inner_text())
            assert "code=" not in page.url  # the scan page came back clean
            if i == 0:
                shot(page, "phone_guard_patrol_scanned")
        finally:
            cam.close()
    page = sign_in(browser, live_server, "manager_wang", DESKTOP)
    try:
        page.goto("/console/patrol")
        body = page.inner_text("body")
        for name in ("东门岗", "配电房", "地下车库入口"):
            assert name in body
        rows = page.request.get("/api/v1/patrol/checkins?limit=10")
        if rows.status == 200:  # the list endpoint, where there is one
            assert len(rows.json()) >= 3
        shot(page, "manager_patrol_after_camera_round")
    finally:
        page.context.close()


def test_grid_worker_snap_reaches_the_technician_who_completes_it(live_server, browser):
    page = sign_in(browser, live_server, "grid_zhou", PHONE)
    try:
        page.goto("/field/snap")
        shot(page, "phone_grid_snap_form")
        page.set_input_files(
            "[data-testid=snap-photo]", {"name": "stairs.png", "mimeType": "image/png", "buffer": _png()}
        )
        page.select_option("[data-testid=snap-category]", "fire_safety")
        page.fill("[data-testid=snap-location]", "3号楼2单元5楼楼道")
        page.fill("textarea[name=description]", "楼道堆放纸箱和旧家具，堵塞疏散通道")
        with page.expect_navigation():
            page.click("[data-testid=snap-submit]")
        ok = page.locator("[data-testid=field-ok]").inner_text()
        number = int(re.search(r"#(\d+)", ok).group(1))
        assert "2" in ok
        shot(page, "phone_grid_reports")
        page.goto("/field/grid")
        page.locator("[data-testid=grid-households] li").first.wait_for()
        shot(page, "phone_grid_households")
    finally:
        page.context.close()

    page = sign_in(browser, live_server, "staff_liu", PHONE)
    try:
        page.goto("/field/tasks")
        task = page.locator(f"[data-testid=field-task][data-order-id='{number}']")
        task.wait_for()
        shot(page, "phone_technician_tasks")
        for step in ("accepted", "arrived"):
            with page.expect_navigation():
                task.locator(f"[data-testid=task-{step}]").click()
        task.locator("[data-testid=task-photo]").set_input_files(
            {"name": "after.png", "mimeType": "image/png", "buffer": _png((220, 220, 220))}
        )
        task.locator("[data-testid=task-parts]").fill("无（清运杂物）")
        pad = task.locator("[data-testid=task-sign]")
        pad.scroll_into_view_if_needed()
        box = pad.bounding_box()
        assert box is not None
        page.mouse.move(box["x"] + 20, box["y"] + 30)  # the resident signs with a finger
        page.mouse.down()
        for k in range(1, 12):
            page.mouse.move(box["x"] + 20 + k * 22, box["y"] + 30 + (k % 3) * 25)
        page.mouse.up()
        shot(page, "phone_technician_signature")
        with page.expect_navigation():
            task.locator("[data-testid=task-completed]").click()
        assert page.locator("[data-testid=field-ok]").count() == 1
        assert page.locator(f"[data-testid=field-task][data-order-id='{number}']").count() == 0
        api = page.request.get(f"/api/v1/work-orders/{number}").json()
        assert api["status"] == "completed"
        shot(page, "phone_technician_completed")
        detail = page.request.get(f"/console/workorders/{number}").text()
        assert 'data-stage="signature"' in detail and "清运杂物" in detail
    finally:
        page.context.close()


# Each staff role's phone pages (its bottom tabs) at 390×844: nothing wider than the screen, the tabs in reach.
PHONE_TABS = {
    "guard_chen": ("/field/alarms", "/h5/patrol/scan"),
    "tech_ma": ("/field/tasks",),
    "grid_zhou": ("/field/tasks", "/field/grid", "/field/visits", "/field/snap", "/field/reports"),
    "staff_liu": ("/field/tasks", "/field/alarms"),
}


@pytest.mark.parametrize("username", list(PHONE_TABS))
def test_each_staff_role_has_a_phone_view(live_server, browser, username):
    page = sign_in(browser, live_server, username, PHONE)
    try:
        for path in PHONE_TABS[username]:
            response = page.goto(path)
            assert response is not None and response.status == 200, (path, response and response.status)
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1, path
            if path.startswith("/field"):
                tabs = page.locator("[data-testid=field-tabs]")
                box = tabs.bounding_box()
                assert box is not None and box["y"] + box["height"] <= PHONE["height"] + 1, path  # at the bottom
                assert tabs.locator("a").first.bounding_box()["height"] >= 44  # a thumb-sized target
            shot(page, f"phone_{username}_{path.strip('/').replace('/', '_')}")
    finally:
        page.context.close()


def test_grid_worker_records_a_visit_on_the_phone(live_server, browser):
    page = sign_in(browser, live_server, "grid_zhou", PHONE)
    try:
        page.goto("/field/visits")
        item = page.locator("[data-testid=field-visits-due] li[data-visit-id]").first
        item.wait_for()
        visit = item.get_attribute("data-visit-id")
        item.locator("select[name=outcome]").select_option("fine")
        item.locator("input[name=note]").fill("上门看望，老人精神很好")
        with page.expect_navigation():
            item.locator(f"[data-testid=visit-record-{visit}]").click()
        assert page.locator("[data-testid=field-ok]").count() == 1
        done = page.locator(f"[data-testid=field-visits-done] li[data-visit-id='{visit}']")
        done.wait_for()
        assert "精神很好" in done.inner_text()
        shot(page, "phone_grid_visit_recorded")
    finally:
        page.context.close()


def test_console_on_a_phone_folds_the_menu(live_server, browser):
    page = sign_in(browser, live_server, "manager_wang", PHONE)
    try:
        # A console page without the alarm stream: on the shared live server another walk's critical alarm
        # would pop up over the control room and cover the menu button.
        page.goto("/console/houses")
        nav = page.locator("[data-testid=nav]")
        assert not nav.is_visible()
        top = page.locator("header.topbar").bounding_box()
        assert top is not None and top["height"] <= 60 and top["width"] <= PHONE["width"]
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
        shot(page, "phone_console_menu_closed")
        page.locator("[data-testid=nav-toggle]").click()
        assert nav.is_visible()
        shot(page, "phone_console_menu_open")
    finally:
        page.context.close()


def test_critical_alarm_pops_up_with_its_procedure_and_is_resolved_with_a_note(live_server, browser, engine):
    page = sign_in(browser, live_server, "manager_wang", DESKTOP)
    try:
        page.goto("/console/alarms")
        page.wait_for_selector("#cr-live[data-state=open]", timeout=LIVE_TIMEOUT)
        page.mouse.click(5, 5)  # a user gesture: the page may play sound
        injected = simulator.inject("gas", compound_code="SFXQ", transport="http", http_url=live_server)
        assert injected.failed == 0
        popup = page.locator("[data-testid=cr-popup]")
        popup.wait_for(state="visible", timeout=LIVE_TIMEOUT)
        page.locator("[data-testid=cr-popup-body]", has_text="燃气").wait_for(
            timeout=LIVE_TIMEOUT
        )  # ours, not an older one
        assert "119" in popup.inner_text() or "燃气" in popup.inner_text()
        page.wait_for_function("document.getElementById('cr-popup').getAttribute('data-sound')", timeout=10_000)
        shot(page, "desktop_critical_alarm_popup", full_page=False)
        page.locator("[data-testid=cr-popup-open]").click()
        panel = page.locator("#cr-detail [data-testid=alarm-detail]")
        panel.wait_for()
        assert panel.locator("[data-testid=detail-procedure] li").count() >= 3
        assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}", panel.inner_text())
        panel.locator("[data-testid=act-resolve]").click()  # without a note: the browser refuses
        assert panel.locator("[data-testid=detail-status]").inner_text() != "已处理"
        page.select_option("[data-testid=resolve-outcome]", "handled")
        panel.locator("[data-testid=resolve-note]").fill("关闭燃气总阀，开窗通风，复测正常")
        panel.locator("[data-testid=act-resolve]").click()
        page.locator("#cr-detail [data-testid=detail-status]", has_text="已处理").wait_for(timeout=LIVE_TIMEOUT)
        assert "现场已处置" in page.locator("#cr-detail [data-testid=detail-outcome]").inner_text()
        shot(page, "desktop_alarm_resolved_with_note")
    finally:
        page.context.close()

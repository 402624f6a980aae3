"""Walk: the manager opens the 大屏, the simulator raises a smoke alarm and it blinks on the map without a reload;
then the manager makes last month's security report and downloads it as Excel, whose figures match the database."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import openpyxl
import pypdf
import pytest

from anju.core.kit.china_time import china_date
from anju.sim import simulator
from tests.web.browser import SCREEN, shot, sign_in

pytestmark = pytest.mark.browser

LIVE_TIMEOUT = 60_000  # ms: generous for a busy 2-core machine; the wait ends as soon as the marker is there


def fits(page) -> None:
    """The 大屏 at the viewport's size: no sideways scrolling, the map and the device online-rate tile (device-hours,
    with its formula) inside the screen."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    width = page.viewport_size["width"]
    for sel in ("[data-testid=screen-plan]", "[data-kpi=online-rate]"):
        box = page.locator(sel).first.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width + 1, sel
    tile = page.locator("[data-kpi=online-rate]").locator("xpath=..")
    assert "÷" in tile.inner_text() and "÷" in (tile.get_attribute("title") or "")


def test_manager_sees_a_simulated_alarm_blink_on_the_security_map(browser, live_server, engine):
    page = sign_in(browser, live_server, "manager_wang", SCREEN)
    try:
        response = page.goto("/screen")
        assert response is not None and response.status == 200
        page.wait_for_selector("body[data-charts-ready=true]")
        page.wait_for_selector("[data-testid=screen-plan]")
        page.evaluate("window.__walkMark = 'same page'")
        before = page.locator("#screen-live .mk-alarm").count()
        fits(page)
        shot(page, "manager_wang_screen_1920x1080", full_page=False)

        injected = simulator.inject("smoke", compound_code="SFXQ", transport="http", http_url=live_server)
        assert injected.sent == 2 and injected.failed == 0

        page.wait_for_function(
            "n => Number(document.body.getAttribute('data-live-updates') || 0) >= 1"
            " && document.querySelectorAll('#screen-live .mk-alarm.alarm-critical').length >= 1",
            arg=before,
            timeout=LIVE_TIMEOUT,
        )
        assert page.evaluate("window.__walkMark") == "same page", "the alarm must arrive without a reload"
        blinking = page.locator("#screen-live .mk-alarm.alarm-critical .pulse").first
        assert blinking.evaluate("el => getComputedStyle(el).animationName") == "screen-blink"
        assert int(page.locator("[data-kpi=alarms-open]").inner_text()) >= 1
        shot(page, "manager_wang_screen_alarm_1920x1080", full_page=False)

        # Layers switch off and stay off when the live part is replaced.
        page.uncheck("input[data-layer=devices]")
        assert page.locator("#screen-live g.layer-devices").evaluate("el => el.style.display") == "none"

        # The same page on a 4K wall.
        page.set_viewport_size({"width": 3840, "height": 2160})
        page.wait_for_selector("[data-testid=screen-plan]")
        fits(page)
        shot(page, "manager_wang_screen_3840x2160", full_page=False)
    finally:
        page.context.close()


def test_manager_downloads_last_months_report_and_its_figures_match(browser, live_server):
    page = sign_in(browser, live_server, "manager_wang", {"width": 1440, "height": 900})
    try:
        page.goto("/console/reports")
        last_month = china_date().replace(day=1) - timedelta(days=1)
        page.select_option("[data-testid=report-request] select[name=kind]", "month")
        page.fill("[data-testid=report-request] input[name=day]", last_month.isoformat())
        with page.expect_navigation():
            page.click("[data-testid=report-request] button[type=submit]")
        assert "/console/reports/" in page.url
        report_id = int(page.url.rstrip("/").split("/")[-1].split("?")[0])
        shot(page, "manager_wang_monthly_report")

        with page.expect_download() as download:
            page.click("[data-testid=report-xlsx]")
        ws = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
        cells = {str(r[0].value): r[1].value for r in ws.iter_rows() if r and r[0].value}

        stored = page.request.get(f"/api/v1/analytics/reports/{report_id}").json()["data"]["kpis"]
        assert cells["告警事件数"] == stored["alarms"]
        assert cells["拒绝通行次数"] == stored["denied"]
        assert cells["访客进入人次"] == stored["visitors"]

        # The same report as a printable PDF: a real PDF whose Chinese text reads back.
        with page.expect_download() as pdf_download:
            page.click("[data-testid=report-pdf]")
        pdf_bytes = Path(pdf_download.value.path()).read_bytes()
        assert pdf_bytes.startswith(b"%PDF-")
        text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf_bytes)).pages)
        assert "安全管理工作总结" in text and "巡更到位率" in text
    finally:
        page.context.close()


def test_street_office_opens_the_district_report_and_downloads_it(browser, live_server):
    """The street office goes from the district comparison to its pooled report of last month, and downloads it."""
    page = sign_in(browser, live_server, "gov_street", SCREEN)
    try:
        page.goto("/screen")
        page.wait_for_selector("[data-testid=district-table]")
        # The district view: care, governance and fee columns, and the pooled hot-spot map, at 1920×1080 and 4K.
        assert page.locator("[data-testid=district-table] tbody [data-d=fee_collection]").count() >= 2
        assert page.locator("[data-testid=street-heat] tbody tr").count() >= 7 + 2  # weekdays, then each compound
        for size in (SCREEN, {"width": 3840, "height": 2160}):
            page.set_viewport_size(size)
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
            box = page.locator("[data-testid=street-hot]").bounding_box()
            assert box is not None and box["x"] + box["width"] <= size["width"] + 1
            table = page.locator("[data-testid=district-table]").bounding_box()
            below = page.locator(".p-age").bounding_box()
            assert table is not None and table["height"] > 60  # the comparison is not squeezed away
            assert below is not None and box["y"] + box["height"] <= below["y"] + 1  # no panel runs into the next
            shot(page, f"gov_street_screen_{size['width']}x{size['height']}", full_page=False)
        page.set_viewport_size(SCREEN)
        with page.expect_navigation():
            page.click("[data-testid=street-report-link]")
        page.wait_for_selector("[data-testid=street-compounds]")
        rows = page.locator("[data-testid=street-compounds] tbody tr")
        assert rows.count() >= 2  # both demo compounds, whatever other walks added
        assert page.locator("[data-testid=report-kpis] [data-kpi=false_alarm_rate]").count() == 1
        shot(page, "gov_street_district_report")

        with page.expect_download() as download:
            page.click("[data-testid=street-xlsx]")
        ws = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
        cells = {str(r[0].value): r[1].value for r in ws.iter_rows() if r and r[0].value}
        # The pooled alarm count is the sum of the compounds' own stored reports of the same month.
        start = cells["统计期间"].split(" ")[0]
        total = 0
        for r in page.request.get("/api/v1/analytics/reports", params={"kind": "month"}).json():
            if r["period_start"] == start:
                total += page.request.get(f"/api/v1/analytics/reports/{r['id']}").json()["data"]["kpis"]["alarms"]
        assert cells["告警事件数"] == total

        with page.expect_download() as pdf_download:
            page.click("[data-testid=street-pdf]")
        assert Path(pdf_download.value.path()).read_bytes().startswith(b"%PDF-")
    finally:
        page.context.close()

"""The parking walk in a real browser (issue 13 acceptance): a resident authorises a visitor's car on H5, the lane
camera's capture of that plate opens the lane, the guard's desk shows it live with the masked photo (R-A3), and the
visitor leaves and pays the temporary fee at the booth.

The walk makes its own car park (no free minutes, so the short visit costs one started hour), its own camera device
and lanes, so other walks' traffic on the shared live server does not matter; it waits for its own rows only.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from anju.sim.lane_sim import SHARED_DATA, SimLane, capture_body, post_capture
from tests.web.browser import DESKTOP, PHONE, shot, sign_in

pytestmark = pytest.mark.browser

PLATE = "新A89R95"  # the car in ../shared/data/plates/ds_5.jpg, photographed by a barrier-gate camera
PHOTO = SHARED_DATA / "plates" / "ds_5.jpg"


def api(page: Any, base: str, method: str, url: str, body: dict[str, Any]) -> Any:
    r = page.request.fetch(
        url, method=method, data=json.dumps(body), headers={"content-type": "application/json", "Origin": base}
    )
    assert r.ok, (url, r.status, r.text())
    return r.json()


class Camera:
    """The walk's lane camera: posts signed captures as a device, like the simulator."""

    def __init__(self, base: str, lanes: dict[str, SimLane]) -> None:
        import httpx

        self.http = httpx.Client(base_url=base, timeout=60)
        self.lanes = lanes

    def see(self, direction: str, plate: str, photo: Path | None) -> dict[str, Any]:
        r = post_capture(self.http, self.lanes[direction], capture_body(plate, photo))
        assert r.status_code == 200, r.text
        return r.json()


def test_visitor_car_enters_on_the_residents_authorisation_and_pays_on_leaving(browser, live_server):
    if not PHOTO.exists():
        pytest.skip("shared plate images not present")
    run = uuid.uuid4().hex[:6]
    manager = sign_in(browser, live_server, "manager_wang", DESKTOP)
    resident = sign_in(browser, live_server, "resident_li", PHONE)
    guard = sign_in(browser, live_server, "guard_chen", DESKTOP)
    camera = None
    try:
        # Set-up by the manager: a car park, a camera device and its two lanes.
        cps = manager.request.get("/api/v1/parking/car-parks").json()
        compound = cps[0]["compound_id"]
        cp = api(
            manager,
            live_server,
            "POST",
            "/api/v1/parking/car-parks",
            {
                "compound_id": compound,
                "name": f"访客停车场{run}",
                "unknown_policy": "hold",
                "visitor_cap_per_house": 5,
                "free_minutes": 0,
                "per_hour_fen": 500,
                "day_cap_fen": 3000,
            },
        )
        cam = api(
            manager,
            live_server,
            "POST",
            "/api/v1/devices",
            {
                "compound_id": compound,
                "device_key": f"walk-lpr-{run}",
                "name": f"车牌相机{run}",
                "device_type": "camera",
            },
        )
        lanes = {}
        for direction, name in (("entry", "访客入口"), ("exit", "访客出口")):
            lane = api(
                manager,
                live_server,
                "POST",
                "/api/v1/parking/lanes",
                {
                    "car_park_id": cp["id"],
                    "name": f"{name}{run}",
                    "direction": direction,
                    "camera_device_id": cam["id"],
                },
            )
            lanes[direction] = SimLane(lane["id"], lane["name"], direction, cam["device_key"], cam["secret"])
        camera = Camera(live_server, lanes)

        # The resident lets the visitor's car in from the phone.
        assert resident.goto("/h5/parking").status == 200
        resident.fill('[data-testid="visitor-car-form"] input[name=plate]', PLATE)
        resident.click('[data-testid="visitor-car-form"] button[type=submit]')
        resident.wait_for_selector('[data-testid="h5-ok"]')
        assert PLATE in resident.locator('[data-testid="my-visitor-cars"]').inner_text()
        shot(resident, "resident_li_visitor_car")

        # The guard's desk for the walk's car park is open before the car arrives.
        assert guard.goto(f"/console/parking?car_park_id={cp['id']}").status == 200
        guard.wait_for_selector('[data-testid="lane-live"]')

        # The camera sees the visitor's car (plate and photo): the lane opens.
        entered = camera.see("entry", PLATE, PHOTO)
        ev = entered["event"]
        assert (ev["decision"], ev["reason"], ev["plate"]) == ("open", "visitor", PLATE) and "访客" in entered[
            "display"
        ]

        # The guard's page shows it without a reload, with the masked photo.
        row = guard.wait_for_selector(f'[data-testid="lane-live"] tr[data-event="{ev["id"]}"]', timeout=30_000)
        assert PLATE in row.inner_text() and "访客" in row.inner_text()
        img = guard.wait_for_selector(f'tr[data-event="{ev["id"]}"] img[data-testid="lane-photo"]')
        guard.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img, timeout=30_000)
        assert "打码" in (img.get_attribute("title") or "")
        shot(guard, "guard_chen_parking_desk_visitor")

        # The visitor leaves: one started hour is due, the lane holds, the guard takes the fee at the booth.
        left = camera.see("exit", PLATE, None)
        out = left["event"]
        assert (out["decision"], out["reason"], out["fee_fen"]) == ("hold", "fee_due", 500) and "5.00" in left[
            "display"
        ]
        guard.wait_for_selector(f'tr[data-event="{out["id"]}"]', timeout=30_000)
        pay_form = guard.locator(f'tr[data-event="{out["id"]}"] [data-testid="pay-form"]')
        pay_form.locator("input[name=receipt]").fill(f"W{run}")
        # The desk's poll (every 3 s) holds while a form in it is being filled: the typed receipt is still
        # in the live table after a refresh would have replaced it.
        guard.wait_for_timeout(4_000)
        assert pay_form.locator("input[name=receipt]").input_value() == f"W{run}"
        with guard.expect_navigation():
            pay_form.locator("button[type=submit]").click()
        guard.wait_for_selector('[data-testid="wo-ok"]')
        done = guard.wait_for_selector(f'tr[data-event="{out["id"]}"]')
        assert "已缴费" in done.inner_text() or "缴费" in done.inner_text()
        assert done.query_selector('[data-testid="pay-form"]') is None
        shot(guard, "guard_chen_parking_desk_paid")
    finally:
        if camera is not None:
            camera.http.close()
        for page in (manager, resident, guard):
            page.context.close()
